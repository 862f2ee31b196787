// Where evlogd lets a remote client's Backup write: only under the
// directory given with --backup-dir (docs/protocol.md, "Backup"). Pure path
// arithmetic plus one look at the file system to follow symbolic links.

#pragma once

#include <string>
#include <string_view>

#include "evlog/status.h"

namespace evlog::server {

// The path a Backup request for `dest` writes to: `dest` resolved under
// `backup_dir` (a relative `dest` is taken from it; an absolute one must lie
// in it), with symbolic links of existing components followed. Errors:
//   NotSupported     `backup_dir` is empty (remote backup is disabled)
//   InvalidArgument  `dest` is empty, is `backup_dir` itself, or leads
//                    outside it (by "..", by being another absolute path, or
//                    through a symbolic link)
//   IOError          the file system could not be asked
// A link swapped in between this check and the backup is not caught: the
// directory must not be writable by someone evlogd does not trust.
Result<std::string> ResolveBackupDest(const std::string& backup_dir, std::string_view dest);

// The message of the NotSupported above.
inline constexpr std::string_view kRemoteBackupDisabled =
    "evlogd was started without --backup-dir; remote backup is disabled";

}  // namespace evlog::server
