// HttpConsumers: the consumers of hosted subscriptions (evlog/
// hosted_subscription.h) that evlogd's HTTP clients hold. HTTP is
// stateless, so a consumer is a lease: POST /subscriptions/{name}/consumers
// opens one (Store::Consume) under a random id, later requests name it, and
// one not used for `idle_timeout` is detached (destroyed: the events it
// holds unacknowledged go to the other consumers). At most `max_consumers`
// are open at once. Idle consumers are detached as any request to the
// registry passes, so one with no traffic at all costs only its slot.
//
// Thread-safety: every member may be called from any thread. A consumer's
// calls are serialised by its own mutex (Lease); none of them waits.

#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evlog/hosted_subscription.h"
#include "evlog/store.h"

namespace evlog::server {

struct HttpConsumerOptions {
  // Most consumers open at once, all subscriptions together; one more is
  // refused (evlogd: --http-max-consumers).
  // Default: 64
  size_t max_consumers = 64;
  // A consumer no request has named this long is detached
  // (evlogd: --http-consumer-idle-timeout).
  // Default: 60 s
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
};

class HttpConsumers {
 public:
  using Clock = std::chrono::steady_clock;

  // `store` must outlive the registry, which destroys its consumers.
  HttpConsumers(Store& store, HttpConsumerOptions options) : store_(store), options_(options) {}
  HttpConsumers(const HttpConsumers&) = delete;
  HttpConsumers& operator=(const HttpConsumers&) = delete;

  // One open consumer, locked while a Lease holds it.
  struct Entry {
    std::string subscription;
    std::mutex mu;
    // Null once detached (idle, closed, its subscription deleted).
    std::unique_ptr<SubscriptionConsumer> consumer;
    // An event taken from the consumer that did not fit in the last fetch's
    // answer: the next fetch begins with it.
    std::optional<HostedEvent> leftover;
    Clock::time_point last_used;  // under the registry's mutex
  };

  // Exclusive use of one consumer: `consumer` is never null while held.
  class Lease {
   public:
    explicit Lease(std::shared_ptr<Entry> entry) : entry_(std::move(entry)), lock_(entry_->mu) {}
    bool has_consumer() const { return entry_->consumer != nullptr; }
    SubscriptionConsumer& consumer() { return *entry_->consumer; }
    std::optional<HostedEvent>& leftover() { return entry_->leftover; }

   private:
    std::shared_ptr<Entry> entry_;
    std::unique_lock<std::mutex> lock_;
  };

  // Opens a consumer of `subscription`; its id (32 hex digits). Busy when
  // `max_consumers` are open; Store::Consume's errors (NotFound for no such
  // hosted subscription).
  Result<std::string> Open(std::string_view subscription);

  // The consumer `id` of `subscription`, marked used now. NotFound if there
  // is none (never opened, closed, detached for idleness).
  Result<Lease> Use(std::string_view subscription, std::string_view id);

  // Detaches consumer `id`. NotFound if there is none.
  Status Close(std::string_view subscription, std::string_view id);

  // Detaches every consumer of `subscription` (it is being deleted).
  void CloseAll(std::string_view subscription);

  size_t size() const;

 private:
  // Removes the consumers idle past the timeout (under mu_) into `out`, to
  // be detached once mu_ is released.
  void TakeIdle(Clock::time_point now, std::vector<std::shared_ptr<Entry>>* out);
  // Destroys the consumers of `entries` (each under its own mutex).
  static void Detach(std::vector<std::shared_ptr<Entry>> entries);

  Store& store_;
  const HttpConsumerOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> consumers_;  // by id
};

}  // namespace evlog::server
