// backup: online backups of a store and their restore.
//
// Invariant: a directory named as a backup is complete. A backup is written
// into a temporary directory beside its destination and renamed into place
// only once every file and the manifest (EVLOG-BACKUP, docs/format.md) are
// on disk; a restore copies into a temporary directory beside the store
// directory and renames it into place only once the copy opens as a store.
// A crash leaves at most a hidden temporary directory, never a half backup
// or a half store under the real name.

#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "evlog/store.h"
#include "swap_hooks.h"

namespace evlog {

struct Db;

// The name of a backup's manifest, in the backup's top directory.
inline constexpr std::string_view kBackupManifest = "EVLOG-BACKUP";

// Removes the hidden directories a backup or restore killed before it
// finished left beside `target` (and any other such directory in its
// parent): only those whose owner is gone (owned_dir.h). Called before each
// backup or restore and by each writable open of a store directory.
void RemoveAbandonedStages(const std::filesystem::path& target);

// fsyncs the file or directory `path`. IOError if it cannot be opened or
// synced.
Status SyncPath(const std::filesystem::path& path, bool directory);

// Writes a backup of the open, writable `db` to `dest`. See Store::Backup.
Result<BackupInfo> WriteBackup(Db& db, std::string_view dest);

// Swaps the directories `a` and `b` in one atomic step (renameat2 with
// RENAME_EXCHANGE) and syncs `b`'s parent. False, with nothing changed, if
// the file system cannot exchange (EINVAL, ENOSYS); IOError otherwise (a
// mount point cannot be swapped).
Result<bool> ExchangeDirectories(const std::filesystem::path& a, const std::filesystem::path& b);

// For tests of RestoreBackup. Phases: "copied" (the copy is checked and
// synced), "moved-aside" (the fallback only: the old store is in the stage
// and `path` is missing), "in-place".
struct RestoreHooks : SwapHooks {};

// Restores the backup in `backup` into the store directory `path`. See
// Store::Restore.
Result<BackupInfo> RestoreBackup(std::string_view backup, std::string_view path,
                                 const RestoreOptions& options, const RestoreHooks& hooks = {});

}  // namespace evlog
