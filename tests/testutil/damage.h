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

// The table files (.sst) of column family `family` ("log", "by_category")
// of the closed store at `dir`, in key order; empty if it cannot be read.
std::vector<std::filesystem::path> TableFilesOf(const std::string& dir, const std::string& family);

// Cuts `file` to `size` bytes; false on failure.
bool TruncateFile(const std::filesystem::path& file, uint64_t size);

// Inverts `count` bytes of `file` starting at `offset`; false if the file
// cannot be opened.
bool FlipBytes(const std::filesystem::path& file, uint64_t offset, size_t count);

// Copies the directory of an open store, whose log the caller has synced,
// to `to`: the store as a crash would leave it, its recent events only in
// the write-ahead log (a clean close flushes them into tables and empties
// the log). False if the copy fails.
bool CopyAsCrashed(const std::string& from, const std::string& to);

}  // namespace evlog::testutil
