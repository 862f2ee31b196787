// swap_hooks: the test hooks shared by every swap of a store directory
// (RestoreBackup in backup.h, MigrateStore in migrate.h).

#pragma once

#include <functional>
#include <string_view>

namespace evlog {

// For tests of a swap of a store directory (RestoreBackup, MigrateStore).
struct SwapHooks {
  // Called at each phase boundary with its name (see each user's hooks). A
  // test looks at the store directory there, or kills the process.
  std::function<void(std::string_view phase)> at_phase;
  // Take the fallback as if RENAME_EXCHANGE were not supported.
  bool without_rename_exchange = false;

  void At(std::string_view phase) const {
    if (at_phase) at_phase(phase);
  }
};

}  // namespace evlog
