// OpenStore: the one line where the CLI picks the embedded or the remote
// EventStore.

#include "cli/target.h"
#include "evlog/store.h"

namespace evlog::cli {

Result<std::unique_ptr<EventStore>> OpenStore(const Target& target, OpenMode mode) {
  if (target.remote()) return ConnectRemote(target);
  Options options;
  options.read_only = mode == OpenMode::kRead;
  options.create_if_missing = mode == OpenMode::kCreate;
  auto store = Store::Open(options, target.db);
  if (!store.ok()) return store.status();
  return std::unique_ptr<EventStore>(std::move(store).value());
}

#ifdef EVLOG_CLI_NO_REMOTE
Result<std::unique_ptr<EventStore>> ConnectRemote(const Target&) {
  return Status::NotSupported(
      "this evlog was built without the daemon client (EVLOG_BUILD_SERVER)");
}
#endif

}  // namespace evlog::cli
