// owned_dir: temporary directories that name their owner, so a later
// process can remove those a killed one left behind.
//
// A read-only store's RocksDB secondary keeps its info logs in one under the
// temporary directory; a backup writes into one beside its destination, a
// restore into one beside the store directory. Each is removed when its
// work ends, but a process killed first leaves it (a restore's holds a whole
// copy of the store). So each holds a file `pid` with its owner's process
// id, and whoever next makes such directories in the same place removes
// those whose owner is gone. A directory without that file, or whose owner
// is alive (or not ours to signal), is left alone.

#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "evlog/status.h"

namespace evlog {

// Creates a fresh directory `parent`/`prefix`XXXXXX (mkdtemp) holding this
// process's pid. IOError if it cannot be created or written.
Result<std::filesystem::path> MakeOwnedDir(const std::filesystem::path& parent,
                                           std::string_view prefix);

// Removes each directory of `parent` whose name `ours` accepts and whose
// `pid` file names a process that no longer exists. Errors are ignored:
// what cannot be removed stays for the next time.
void RemoveAbandonedDirs(const std::filesystem::path& parent,
                         const std::function<bool(std::string_view name)>& ours);

}  // namespace evlog
