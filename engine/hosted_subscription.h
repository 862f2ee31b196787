// hosted_subscription: the brokers behind evlog/hosted_subscription.h. One
// broker per subscription name serves every consumer of it in this process:
// a thread reads the change feed ahead (at most max_in_flight events held),
// consumers take batches under the stream-pinning rule, and acknowledgements
// move the stored checkpoint over the contiguous handled prefix.

#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "db.h"
#include "evlog/hosted_subscription.h"
#include "evlog/options.h"
#include "writer.h"

namespace evlog::hosted {

struct Broker;

// The hosted subscriptions of one store. Thread-safe. `db`, `writer` and
// `store_options` outlive it; every consumer is destroyed before it.
class Brokers {
 public:
  Brokers(Db* db, Writer* writer, const Options* store_options);
  Brokers(const Brokers&) = delete;
  Brokers& operator=(const Brokers&) = delete;
  ~Brokers();

  // See Store::CreateSubscription, DeleteSubscription and Consume.
  Result<bool> Create(const HostedSubscriptionSpec& spec);
  Status Delete(std::string_view name);
  Result<std::unique_ptr<SubscriptionConsumer>> Consume(std::string_view name);

 private:
  Db* const db_;
  Writer* const writer_;
  const Options* const store_options_;
  std::mutex mu_;
  // The brokers with consumers; a broker lives as long as its consumers.
  std::map<std::string, std::weak_ptr<Broker>, std::less<>> live_;
};

}  // namespace evlog::hosted
