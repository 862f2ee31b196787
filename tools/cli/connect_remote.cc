// ConnectRemote: `--connect HOST:PORT` (main.cc has checked its shape).

#include "cli/target.h"
#include "client.h"

namespace evlog::cli {

Result<std::unique_ptr<EventStore>> ConnectRemote(const Target& target) {
  const size_t colon = target.connect.rfind(':');
  ClientOptions options;
  options.host = target.connect.substr(0, colon);
  options.port = static_cast<uint16_t>(std::stoul(target.connect.substr(colon + 1)));
  options.token = target.token;
  options.client_name = "evlog-cli";
  auto client = Client::Connect(options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<EventStore>(std::move(client).value());
}

}  // namespace evlog::cli
