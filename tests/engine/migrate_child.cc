// Child process of Migrate.* (migrate_test.cc): migrates a store, and
// kills itself with SIGKILL at a phase boundary when asked, as a crash
// there would stop it. Exits 0 once the migration is done, 1 on an error.
//   migrate_child STORE_DIR [--stop-at PHASE] [--no-exchange] [--keep-old]

#include <signal.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "migrate.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string stop_at;
  evlog::MigrateOptions options;
  evlog::MigrateHooks hooks;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--stop-at" && i + 1 < argc) {
      stop_at = argv[++i];
    } else if (arg == "--no-exchange") {
      hooks.without_rename_exchange = true;
    } else if (arg == "--keep-old") {
      options.keep_old = true;
    } else {
      return 2;
    }
  }
  hooks.at_phase = [&](std::string_view phase) {
    if (phase == stop_at) raise(SIGKILL);
  };
  auto info = evlog::MigrateStore(argv[1], options, hooks);
  if (!info.ok()) {
    std::fprintf(stderr, "%s\n", info.status().ToString().c_str());
    return 1;
  }
  std::printf("migrated %d\n", info->migrated ? 1 : 0);
  return 0;
}
