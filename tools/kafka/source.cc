// The embedded source is a Store subscription that never parks: an event
// Kafka would not take is offered again forever (with backoff), because a
// parked event would be missing from the topic.

#include "kafka/source.h"

#include <cstdint>
#include <limits>
#include <utility>

namespace evlog::kafka {

EmbeddedSource::EmbeddedSource(Store& store, SourceOptions options)
    : store_(store), options_(std::move(options)) {}

EmbeddedSource::~EmbeddedSource() { Stop(); }

Status EmbeddedSource::Start(BatchHandler handler) {
  if (subscription_ != nullptr) return Status::InvalidArgument("the source is already started");
  SubscriptionOptions sub{
      .name = options_.subscription,
      .feed = {.start = FeedStart::Oldest(),
               .category = options_.category,
               .max_batch_events = options_.batch_events == 0 ? 1 : options_.batch_events},
      .max_attempts = std::numeric_limits<uint32_t>::max(),
      .initial_backoff = options_.initial_backoff,
      .max_backoff = options_.max_backoff,
      .on_failure = FailurePolicy::kStop,
  };
  Result<std::unique_ptr<Subscription>> s = store_.Subscribe(std::move(sub), std::move(handler));
  if (!s.ok()) return s.status();
  subscription_ = std::move(*s);
  return Status::OK();
}

Status EmbeddedSource::Wait(std::chrono::milliseconds timeout) {
  if (subscription_ == nullptr) return Status::OK();
  // Nothing is ever checkpointed at the largest position: WaitFor returns
  // only on the timeout or when the subscription stops.
  Status s = subscription_->WaitFor(Position(std::numeric_limits<uint64_t>::max()), timeout);
  if (s.IsTimedOut()) return s;
  return subscription_->status();
}

Status EmbeddedSource::WaitFor(Position position, std::chrono::milliseconds timeout) {
  if (subscription_ == nullptr) return Status::Aborted("the source is not started");
  return subscription_->WaitFor(position, timeout);
}

void EmbeddedSource::Stop() {
  if (subscription_ != nullptr) subscription_->Stop();
}

Position EmbeddedSource::checkpoint() const {
  return subscription_ == nullptr ? Position() : subscription_->checkpoint();
}

}  // namespace evlog::kafka
