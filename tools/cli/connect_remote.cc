// ConnectRemote: `--connect HOST:PORT` (main.cc has checked its shape).

#include "cli/target.h"
#include "client.h"

namespace evlog::cli {

Result<std::unique_ptr<EventStore>> ConnectRemote(const Target& target) {
  ClientOptions options;
  options.host = target.host;
  options.port = target.port;
  options.token = target.token;
  options.client_name = "evlog-cli";
  auto client = Client::Connect(options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<EventStore>(std::move(client).value());
}

}  // namespace evlog::cli
