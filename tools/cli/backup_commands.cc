// backup and restore. A backup needs the store open for writing (a RocksDB
// checkpoint is taken by the writer); when another process holds it, the
// way is to ask that process, the daemon, through --connect.

#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "json/event_json.h"

namespace evlog::cli {

using json::Dump;
using json::Json;

namespace {

void PrintInfo(std::string_view key, std::string_view path, const BackupInfo& info) {
  Json j;
  j[std::string(key)] = std::string(path);
  j["position"] = info.position.value();
  j["files"] = info.files;
  j["bytes"] = info.bytes;
  std::cout << Dump(j) << std::endl;
}

}  // namespace

int RunBackup(const Target& target, const std::string& dest) {
  auto store = OpenStore(target, OpenMode::kWrite);
  if (!store.ok()) {
    if (!target.remote() && store.status().IsBusy()) {
      return ReportError(Status::Busy(
          std::string(store.status().message()) +
          "; a backup needs the writer: if evlogd serves this store, ask it with "
          "evlog --connect HOST:PORT backup DEST (DEST is then a path on the daemon's machine)"));
    }
    return ReportOpenError(target, store.status());
  }
  auto info = (*store)->Backup(dest);
  if (!info.ok()) return ReportError(info.status());
  PrintInfo("backup", dest, *info);
  return kExitOk;
}

int RunRestore(const Target& target, const std::string& backup, bool force) {
  if (target.remote()) {
    return ReportUsage(
        "restore writes a store directory: give --db DIR, with no process serving it");
  }
  auto info = Store::Restore(backup, target.db, {.overwrite = force});
  if (!info.ok()) return ReportError(info.status());
  PrintInfo("restored", target.db, *info);
  return kExitOk;
}

}  // namespace evlog::cli
