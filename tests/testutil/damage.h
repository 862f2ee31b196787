// Damage to a closed store's files, for the corruption tests.

#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace evlog::testutil {

// The files of `dir` whose names end with `suffix` (".sst", ".log").
std::vector<std::filesystem::path> FilesEndingWith(const std::string& dir,
                                                   const std::string& suffix);

// Inverts `count` bytes of `file` starting at `offset`; false if the file
// cannot be opened.
bool FlipBytes(const std::filesystem::path& file, uint64_t offset, size_t count);

}  // namespace evlog::testutil
