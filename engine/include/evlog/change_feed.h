// ChangeFeed: the store's change feed, the local stand-in for DynamoDB
// Streams. A tail cursor over the global log that yields every committed
// event exactly once, in commit (position) order, optionally filtered, in
// batches; when it has caught up it blocks until the writer commits more.
//
//   auto feed = store->OpenFeed({.start = evlog::FeedStart::Oldest(), .category = "product"});
//   evlog::FeedBatch batch;
//   while (running) {
//     if (Status s = (*feed)->Next(std::chrono::seconds(1), &batch); !s.ok()) break;
//     for (const evlog::OwnedEvent& e : batch.events) handle(e);
//   }
//
// NextView hands out the same events without copying them (FeedView): a
// consumer that reads each event once and keeps nothing, as most do, saves
// a copy of every event per feed.
//
// Start points mirror DynamoDB Streams' shard iterator types: Oldest
// (TRIM_HORIZON), Latest, At(position) and After(position).
//
// A feed that has caught up takes new events from the writer's live tail in
// memory (Options::live_tail_bytes), decoded once for every feed, and is
// woken by the commit itself; a feed behind the tail reads RocksDB until it
// reaches it. Which source served it never shows in what it yields. A feed
// of a read-only store reads RocksDB and finds the writer's commits within
// about 10 ms.
//
// Thread-safety: a feed is used by one thread at a time; any number of feeds
// may run beside each other and beside appends. A feed never blocks the
// writer. Lifetime: destroy every feed before its Store.

#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

// Where a feed begins.
class FeedStart {
 public:
  enum class Kind : uint8_t { kOldest, kLatest, kAt, kAfter };

  // The oldest event still in the store (DynamoDB's TRIM_HORIZON).
  static constexpr FeedStart Oldest() { return FeedStart(Kind::kOldest, Position()); }
  // Only events committed after the feed is opened (LATEST).
  static constexpr FeedStart Latest() { return FeedStart(Kind::kLatest, Position()); }
  // The event at `p` and everything after it (AT_SEQUENCE_NUMBER).
  static constexpr FeedStart At(Position p) { return FeedStart(Kind::kAt, p); }
  // Everything after `p` (AFTER_SEQUENCE_NUMBER): resume from a checkpoint.
  // At and After fail to open with Trimmed when `p` is below the store's
  // trim horizon (Store::OpenFeed).
  static constexpr FeedStart After(Position p) { return FeedStart(Kind::kAfter, p); }

  constexpr Kind kind() const { return kind_; }
  constexpr Position position() const { return position_; }
  constexpr bool operator==(const FeedStart&) const = default;

 private:
  constexpr FeedStart(Kind kind, Position p) : kind_(kind), position_(p) {}
  Kind kind_;
  Position position_;
};

struct ChangeFeedOptions {
  // Default: Oldest().
  FeedStart start = FeedStart::Oldest();
  // Only events of streams in this category ("product" for "product-42").
  // Default: empty, all categories.
  std::string category;
  // Only events of streams whose names start with this. Default: empty.
  std::string stream_prefix;
  // Only events of this type. Default: empty, all types.
  std::string event_type;
  // Also the events of system streams (names starting with '$': metadata
  // changes in "$meta-<stream>", parked events). false filters them out
  // like any other filter: the feed's position still moves past them.
  // In-process subscriptions and views keep the default, so they see
  // deletes and metadata changes. Default: true
  bool include_system = true;
  // Most events per batch. Default: 25 (a Lambda batch).
  size_t max_batch_events = 25;
  // Most bytes of event data and metadata per batch; a batch holds at least
  // one event however large. Default: 1 MiB.
  size_t max_batch_bytes = 1 << 20;
};

// Events handed out by one ChangeFeed::Next. Owns its memory.
struct FeedBatch {
  std::vector<OwnedEvent> events;
  // The feed's position after this batch: every event up to here has been
  // delivered or filtered out. A durable consumer checkpoints this value and
  // resumes with FeedStart::After(checkpoint).
  Position position;
};

// Events handed out by one ChangeFeed::NextView, viewed where the feed
// found them rather than copied: in the writer's live tail, decoded once for
// every feed, or (for a feed behind the tail) in memory the view owns.
// Every view in `events` stays valid until the next NextView into this
// FeedView, or its destruction, whichever comes first; copy what you keep
// (OwnedEvent::From). While it lives, the view holds the tail's groups it
// views (at most one batch's worth), so a consumer should not keep it long.
// Movable: a moved view's events stay valid.
struct FeedView {
  FeedView();
  FeedView(FeedView&&) noexcept;
  FeedView& operator=(FeedView&&) noexcept;
  ~FeedView();

  std::vector<RecordedEvent> events;
  // As FeedBatch::position.
  Position position;

  // Internal, opaque: what keeps `events` valid.
  struct Hold;
  std::unique_ptr<Hold> hold;
};

class ChangeFeed {
 public:
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;
  ~ChangeFeed();

  // Replaces `batch` with the next events after position(). If none is
  // committed, waits up to `timeout` for the writer and returns OK with an
  // empty batch when it expires. A batch may also be empty with an advanced
  // `position` when every new event was filtered out.
  //
  // Errors: Aborted if the store is closing; Corruption or IOError from the
  // storage (the feed stays at its position, so Next may be retried).
  Status Next(std::chrono::milliseconds timeout, FeedBatch* batch);

  // Next, without the copy: replaces `view` with the next events after
  // position(), as views (FeedView). The same events, batches, waits and
  // errors as Next; the two may be mixed on one feed.
  Status NextView(std::chrono::milliseconds timeout, FeedView* view);

  // Every event up to this position has been delivered or filtered out.
  Position position() const;

  // Sets ChangeFeedOptions::max_batch_events for the following Next calls
  // (0 counts as 1): a consumer that may take only so many events (evlogd's
  // credit-based subscriptions) is never handed more.
  void set_max_batch_events(size_t max_batch_events);

  // Sets ChangeFeedOptions::max_batch_bytes for the following Next calls
  // (0 counts as 1; a batch still holds at least one event): a view that is
  // behind reads in larger batches than it does once caught up.
  void set_max_batch_bytes(size_t max_batch_bytes);

  // While set, the following Next calls read the log without filling the
  // block cache (off by default): a reader far behind reads each block once,
  // in order, and must not evict what the store's other readers use.
  void set_bulk_reads(bool bulk);

  // Internal, opaque: its state (made by Store::OpenFeed).
  struct Rep;

 private:
  explicit ChangeFeed(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace evlog
