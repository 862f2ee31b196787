// Subscription: a named, durable consumer of the change feed — the local
// stand-in for a Lambda function on a DynamoDB stream.
//
// A subscription runs on its own thread: it catches up from its checkpoint
// (or its start point, the first time), then follows new commits, calling
// the handler with batches of events in commit order. The checkpoint is
// stored in the store's `checkpoints` family after the handler succeeds, so
// delivery is at least once: after a crash the last batch may be delivered
// again, never skipped.
//
// A failing batch is retried with exponential backoff. After max_attempts the
// batch is retried event by event, and an event that still fails is parked
// in the stream "$parked-<name>" with the error text (FailurePolicy::kPark),
// or the subscription stops at it (FailurePolicy::kStop). Parked events can
// be read with Store::ReadStream("$parked-<name>") and replayed with
// Store::ReplayParked.
//
// Many subscriptions run side by side; each has its own thread and reads the
// log on its own, so a slow or stopped one never slows writers or others.
// Consumer groups: subscriptions with the same name and group_size, and
// different `member`, split the streams between them by a hash of the stream
// name; each stream's events are seen by one member, in order. Each member
// keeps its own checkpoint.
//
// Thread-safety: all methods are safe from any thread. Lifetime: stop or
// destroy every subscription before its Store.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "evlog/change_feed.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

enum class FailurePolicy : uint8_t {
  // Park the failing event in "$parked-<name>" and go on.
  kPark,
  // Stop the subscription at the failing event; status() says why.
  kStop,
};

struct SubscriptionOptions {
  // Durable identity, the key of the checkpoint: 1..200 bytes of UTF-8, no
  // NUL, no '/'. Required.
  std::string name;
  // Filters and batch limits. `feed.start` applies only the first time, when
  // the subscription has no checkpoint yet. Default batch: 25 events.
  ChangeFeedOptions feed;
  // Handler attempts for a batch, and then for each of its events, before
  // the failure policy applies. Default: 5
  uint32_t max_attempts = 5;
  // Wait before the second attempt; doubled for each further one, up to
  // max_backoff. Default: 10 ms and 5 s
  std::chrono::milliseconds initial_backoff{10};
  std::chrono::milliseconds max_backoff{5000};
  // Default: park and go on.
  FailurePolicy on_failure = FailurePolicy::kPark;
  // Consumer group: this member handles the streams whose name hashes to
  // `member` modulo `group_size`. Default: 1 member, which handles all.
  uint32_t group_size = 1;
  uint32_t member = 0;
};

// Handles one batch. Return OK when every event of it is handled; any other
// status is a failure and the batch is retried. Runs on the subscription's
// thread. `events` is valid for the call only.
using BatchHandler = std::function<Status(const std::vector<OwnedEvent>& events)>;

// One row of Store::ListSubscriptions.
struct SubscriptionInfo {
  // The subscription name, with "/<member>" for members of a group of more
  // than one.
  std::string name;
  Position checkpoint;
  // Last committed position minus the checkpoint.
  uint64_t lag = 0;
  // Events in "$parked-<name>" not yet replayed.
  uint64_t parked = 0;
};

// An event a subscription parked: the original event and why.
struct ParkedEvent {
  OwnedEvent event;
  // The handler's last error, as Status::ToString().
  std::string error;
  // Its version in "$parked-<name>".
  Version parked_version;
  // Whether a replay has already re-delivered it.
  bool replayed = false;
};

class Subscription {
 public:
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  // Stop()s.
  ~Subscription();

  // Stops the subscription after the batch in hand (if any) and joins its
  // thread. The checkpoint stays where the last handled batch left it.
  void Stop();

  // Every event up to here has been handled (or parked) and checkpointed.
  Position checkpoint() const;

  // Waits until checkpoint() >= position. Returns OK when reached,
  // TimedOut after `timeout`, or the status that stopped the subscription.
  Status WaitFor(Position position, std::chrono::milliseconds timeout);

  // OK while running or after Stop(); otherwise why it stopped (the handler's
  // error under FailurePolicy::kStop, or a storage error).
  Status status() const;

  // Internal, opaque: its state (made by Store::Subscribe).
  struct Rep;

 private:
  explicit Subscription(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace evlog
