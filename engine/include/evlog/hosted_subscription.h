// Hosted subscriptions: named, durable subscriptions whose definition and
// checkpoint live in the store, consumed by any number of competing
// consumers that acknowledge what they handled — KurrentDB's persistent
// subscriptions, JetStream's durable consumers. evlogd hosts them for
// consumers in other processes; an embedded Store hosts them for the
// consumers of its own process.
//
//   store->CreateSubscription({.name = "billing", .category = "order"});
//   auto consumer = std::move(store->Consume("billing")).value();
//   for (;;) {
//     auto batch = consumer->Next(25, std::chrono::seconds(1));
//     if (!batch.ok()) break;
//     for (const evlog::HostedEvent& e : *batch) handle(e.event);
//     consumer->Ack(*batch);
//   }
//
// Caveats:
//  - Delivery is at least once. An event is redelivered when its consumer
//    detaches (is destroyed, disconnects) before acknowledging it, when it
//    is not acknowledged within ack_timeout, after a Nack, and after the
//    store reopens if it was not acknowledged before.
//  - Every delivery counts towards max_attempts, whichever way it ends
//    without an acknowledgement (Nack, ack timeout, its consumer detaching
//    or its process dying). The counts are kept in the store, so an event
//    that kills each consumer it goes to is parked like one that is
//    nacked, across new consumers and reopens.
//  - Each stream's events go, in order, to one consumer at a time: a stream
//    with events delivered and not yet acknowledged stays with their
//    consumer; once none is in flight, the next consumer to ask may take it
//    (so streams rebalance as consumers come and go). A retried event (after
//    a Nack or a timeout) may come after later events of its stream that
//    were delivered in the same batch.
//  - The stored checkpoint is the highest position below which every
//    matching event has been acknowledged or parked; ListSubscriptions shows
//    it with the lag (events the filter matches after it), and trims and
//    retention rules never pass it when they are set (a max count or max
//    age that moves on by itself later is not held back).
//  - System streams ("$..."), parked events included, are never delivered.
//
// Thread-safety: a SubscriptionConsumer may be used from any thread; its
// Next calls must not overlap. Lifetime: destroy every consumer before its
// store or client.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evlog/change_feed.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

// The definition of a hosted subscription, stored with it.
struct HostedSubscriptionSpec {
  // Its name, the key of its checkpoint (as SubscriptionOptions::name):
  // 1..200 bytes of UTF-8, no NUL, no '/'. Required.
  std::string name;
  // Only events of streams in this category ("order" for "order-7").
  // Default: empty, every category.
  std::string category;
  // Only events of this type. Default: empty, every type.
  std::string event_type;
  // Only events of streams whose names start with this. Default: empty.
  std::string stream_prefix;
  // Where it begins the first time (its checkpoint decides afterwards):
  // Oldest(), Latest(), At(P) (P is the first event delivered) or After(P).
  // Default: Oldest().
  FeedStart start = FeedStart::Oldest();
  // Deliveries of an event before it is parked in "$parked-<name>" when
  // the last of them is nacked, times out or ends with its consumer
  // detaching. Default: 5
  uint32_t max_attempts = 5;
  // An event not acknowledged this long after its delivery is delivered
  // again. Default: 30 s
  std::chrono::milliseconds ack_timeout{30000};
  // Wait before a nacked event is delivered again; doubled for each further
  // attempt, up to max_backoff. Default: 10 ms and 5 s
  std::chrono::milliseconds initial_backoff{10};
  std::chrono::milliseconds max_backoff{5000};
  // Most events read ahead and not yet acknowledged, across all consumers:
  // the subscription stops reading the log while it holds this many.
  // Default: 1000
  uint32_t max_in_flight = 1000;

  bool operator==(const HostedSubscriptionSpec&) const = default;
};

// One delivered event.
struct HostedEvent {
  OwnedEvent event;
  // Which delivery of this event this is: 1 the first time.
  uint32_t attempt = 1;
  // Whether it comes from a replay of the parked events (ReplayParked).
  bool replayed = false;
};

// A consumer of a hosted subscription (EventStore::Consume): takes batches
// and acknowledges them. Destroying it detaches it: the events it holds
// unacknowledged go to the other consumers.
class SubscriptionConsumer {
 public:
  virtual ~SubscriptionConsumer() = default;

  // Up to `max_events` (0 counts as 1) events for this consumer, waiting up
  // to `timeout` for some: OK with an empty batch when it expires. Errors:
  // Aborted when the store or client closes; IOError from the storage or
  // the connection.
  virtual Result<std::vector<HostedEvent>> Next(size_t max_events,
                                                std::chrono::milliseconds timeout) = 0;

  // Whether the subscription has read every event committed so far and
  // none of those it holds can go to this consumer now: each is held by
  // (or of a stream held by) another consumer. A consumer that drains what
  // is there and stops (`evlog consume` without --follow) stops here.
  virtual bool CaughtUp() = 0;

  // Acknowledges the events at `positions` that this consumer holds: they
  // are handled and never delivered again. Positions it no longer holds
  // (timed out, already acknowledged) are ignored. Errors: IOError when the
  // checkpoint cannot be stored (the acknowledgement still counts here).
  virtual Status Ack(std::span<const Position> positions) = 0;
  // Acknowledges every event of `batch` (as returned by Next).
  Status Ack(const std::vector<HostedEvent>& batch) {
    std::vector<Position> positions;
    positions.reserve(batch.size());
    for (const HostedEvent& e : batch) positions.push_back(e.event.position);
    return Ack(positions);
  }

  // Gives back the event at `position`, which failed: it is delivered again
  // after a backoff, or parked in "$parked-<name>" with `reason` once it has
  // been delivered max_attempts times. Ignored if this consumer does not
  // hold it. Errors: IOError when parking fails (it stays to be retried).
  virtual Status Nack(Position position, std::string_view reason) = 0;
};

}  // namespace evlog
