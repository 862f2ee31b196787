// migrate_swap: the stage of `evlog migrate` (migrate.h) and the crash-safe
// swap of the new store into place, and RecoverMigration's side of it.
//
// A stage is PARENT/.NAME.migrate-XXXXXX/ (owned_dir.h: it names its pid):
// `new/` is built there; the marker `MIGRATE` ("evlog-migrate 1\nready\n",
// plus "keep-old\n") is written, synced, only once `new/` is verified and
// synced and the store is locked. From then on the new store is the one
// that counts: a rename may move the old store into the stage (`old/`, or
// `new/` after RENAME_EXCHANGE), never the other way.

#pragma once

#include <filesystem>
#include <string>

#include "evlog/status.h"
#include "format1.h"
#include "migrate.h"

namespace evlog::migrate {

inline constexpr std::string_view kStageInfix = ".migrate-";
inline constexpr std::string_view kMarkerName = "MIGRATE";
inline constexpr std::string_view kKeptSuffix = ".format1";

// `path` made absolute and normal, without a trailing separator.
std::filesystem::path NormalPath(std::string_view path);

// fsyncs every file and directory under `dir`, and `dir`.
Status SyncTree(const std::filesystem::path& dir);

// Step 1 of migrate.h's free-space check: the bytes of the regular files
// under `dir` against the free space of `dir`'s parent (hooks.free_bytes,
// or statvfs). IOError naming both figures and what is needed if it is
// below MigrateSpaceNeeded, or if either cannot be read. Reads only.
Status CheckFreeSpace(const std::filesystem::path& dir, const MigrateHooks& hooks);

// Steps 4 and 5 of migrate.h: closes `old` (the store at `dir`), locks
// `dir`, checks that no writer slipped in, marks the stage ready and swaps
// `stage`/new into `dir`; then removes the stage, first moving the old
// store to `dir`.format1 with keep_old (*old_store names it). Busy if a
// writer opened the store after `old` closed (nothing is swapped); IOError
// from the file system (a mount point as `dir` cannot be swapped).
Status SwapIn(const std::filesystem::path& dir, const std::filesystem::path& stage,
              format1::Format1Store& old, bool keep_old, const MigrateHooks& hooks,
              std::string* old_store);

}  // namespace evlog::migrate
