#include "kafka/source_remote.h"

#include <utility>

namespace evlog::kafka {

RemoteSource::RemoteSource(ClientOptions client, std::string checkpoint_file,
                           SourceOptions options)
    : Source(
          [client = std::move(client)]() -> Result<std::shared_ptr<EventStore>> {
            Result<std::unique_ptr<Client>> c = Client::Connect(client);
            if (!c.ok()) return c.status();
            return std::shared_ptr<EventStore>(std::move(c).value());
          },
          std::move(checkpoint_file), std::move(options)) {}

}  // namespace evlog::kafka
