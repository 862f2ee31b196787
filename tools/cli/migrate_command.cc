// migrate: converts a format-1 store directory into format 2, offline
// (Store::Migrate). Embedded only: the daemon never has an old store open.

#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "json/event_json.h"

namespace evlog::cli {

int RunMigrate(const Target& target, bool keep_old) {
  if (target.remote()) {
    return ReportUsage(
        "migrate converts a store directory offline: give --db DIR, with no process using it");
  }
  auto info = Store::Migrate(target.db, {.keep_old = keep_old});
  if (!info.ok()) return ReportError(info.status());
  json::Json j;
  j["migrated"] = target.db;
  j["format"] = Store::kFormatVersion;
  j["converted"] = info->migrated;
  j["events"] = info->events;
  j["last_position"] = info->last_position.value();
  if (!info->old_store.empty()) j["old_store"] = info->old_store;
  std::cout << json::Dump(j) << std::endl;
  return kExitOk;
}

}  // namespace evlog::cli
