// migrate: `evlog migrate --db DIR` (Store::Migrate), the offline
// conversion of a format-1 store into format 2, and the recovery of a
// conversion that was killed (docs/plans/format2.md §3).
//
// Invariant: at every instant DIR is either the old store, unchanged, or the
// new one, built, verified and synced; or, only while the fallback swap
// (no RENAME_EXCHANGE) is between its two renames, absent with a stage whose
// marker says the new one is ready, which RecoverMigration completes.
//
// The conversion:
//  1. RecoverMigration(DIR). Format 2 already: done. Refuse (IOError,
//     nothing changed) if DIR's parent has less free space than
//     MigrateSpaceNeeded. Open the old store as RocksDB's primary: it takes
//     LOCK (Busy if any writer runs).
//  2. Build the new store in a stage beside DIR, ".NAME.migrate-XXXXXX/new"
//     (same parent, so the same file system), pass by pass
//     (migrate_passes.h), under one snapshot; flush it.
//  3. Reopen it, run the format-2 verify and cross-check it against the
//     old store (events, counters, stream heads). Sync every file of it.
//  4. Close the old store and at once take an OFD lock on DIR/LOCK (it
//     conflicts with RocksDB's lock in any other process); CURRENT must be
//     as it was, or a writer slipped in and nothing is swapped.
//  5. Write the marker MIGRATE, then swap with renameat2(RENAME_EXCHANGE),
//     one atomic step; without it, rename DIR into the stage and the new
//     store to DIR. Sync the parent. Remove the stage, which holds the old
//     store (or, with keep_old, rename the old store to DIR.format1).
//
// Thread-safety: one migration per store at a time (the lock says so).

#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "evlog/status.h"
#include "evlog/store.h"
#include "swap_hooks.h"

namespace evlog {

// What a test may do to a migration. Not part of the public API.
// Phases: "opened", "built", "verified", "synced", "closed", "locked",
// "marked", "renamed-old" (the fallback only), "swapped", "done".
struct MigrateHooks : SwapHooks {
  // The free bytes of the file system holding the directory `dir` (the
  // store's parent), in place of statvfs's f_bavail * f_frsize.
  std::function<Result<uint64_t>(const std::string& dir)> free_bytes;
};

// The free space a migration asks of the store's parent file system before
// it starts, for a store whose files take `store_bytes`: the new store is
// built beside the old one and is about as big (the same records, in
// chunks), plus a margin for RocksDB's own files and a new store bigger
// than the old (a tenth of it, and at least 64 MiB).
uint64_t MigrateSpaceNeeded(uint64_t store_bytes);

// See Store::Migrate.
Result<MigrateInfo> MigrateStore(const std::string& path, const MigrateOptions& options,
                                 const MigrateHooks& hooks = {});

// Completes or undoes each migration of the store directory `path` whose
// process is gone (its stage names a pid that no longer exists): with no
// store at `path` and a ready marker, renames the new store into place
// (roll forward); with a store there, removes the stage, first renaming the
// old store to `path`.format1 if the migration was asked to keep it. A
// stage of a live process is left alone. IOError if a rename fails.
// Called by MigrateStore and at the start of every Db::Open.
Status RecoverMigration(const std::string& path);

}  // namespace evlog
