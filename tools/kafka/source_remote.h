// RemoteSource: the change feed of a store served by evlogd (`--connect`):
// a Source (source.h) that connects an evlog::Client at Start and again
// after a lost connection.

#pragma once

#include <string>

#include "client.h"
#include "kafka/source.h"

namespace evlog::kafka {

class RemoteSource final : public Source {
 public:
  // `checkpoint_file`: where the checkpoint lives; empty: in the daemon's
  // store as `options.subscription`'s checkpoint. Errors of Start add the
  // daemon's refusal (see Client::Connect).
  RemoteSource(ClientOptions client, std::string checkpoint_file, SourceOptions options);
};

}  // namespace evlog::kafka
