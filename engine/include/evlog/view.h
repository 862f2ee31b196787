// View: a materialized read model kept by the engine — the local stand-in
// for a DynamoDB view table fed by a stream-triggered Lambda.
//
// A view is a subscription whose handler does not touch the world but emits
// key/value mutations. The mutations of a batch and the view's new position
// commit in ONE RocksDB write batch, so the view reflects every event exactly
// once, also across crashes: after a restart it resumes exactly after the
// last batch it applied.
//
//   auto view = store->OpenView({.name = "stock", .feed = {.category = "product"}},
//       [](const std::vector<evlog::OwnedEvent>& events, evlog::ViewWriter& w) {
//         for (const auto& e : events) w.Put(e.stream, ...);
//         return evlog::Status::OK();
//       });
//   (*view)->WaitFor(appended.last_position, std::chrono::seconds(1));  // read your writes
//   auto stock = (*view)->Get("product-42");
//
// A failing batch is retried with backoff (like a subscription) and the view
// stops after max_attempts: a view must not skip an event. Rebuild()
// recomputes the view from the start of history beside the current one and
// switches to it atomically; queries keep answering from the old one until
// then.
//
// Thread-safety: all methods are safe from any thread. Lifetime: destroy
// every view before its Store.

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evlog/change_feed.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

// Collects a batch's mutations. Reads see the view as of the previous batch
// plus this batch's own mutations so far.
class ViewWriter {
 public:
  virtual ~ViewWriter() = default;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
  // The current value of `key`, nullopt if absent.
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
};

using ViewHandler = std::function<Status(const std::vector<OwnedEvent>& events, ViewWriter& out)>;

struct ViewOptions {
  // 1..200 bytes, no NUL or '/'. Required.
  std::string name;
  // Filters and batch limits. A view always starts from the oldest event.
  // The batch limits hold while the view keeps up with the writer.
  ChangeFeedOptions feed;
  // A view that is behind (a batch left committed events unread: a replay,
  // a rebuild, a burst) doubles its batch limits after each such batch, up
  // to these, so it commits its rows and position once per many events;
  // the first batch that reaches the committed position returns it to the
  // feed's limits. Bytes count event data and metadata, as
  // ChangeFeedOptions::max_batch_bytes does. Values at or below the feed's
  // limits keep every batch at the feed's limits.
  // Defaults: 16,384 events, 16 MiB
  size_t max_catch_up_batch_events = 16384;
  size_t max_catch_up_batch_bytes = 16 << 20;
  // Attempts per batch before the view stops. Default: 5
  uint32_t max_attempts = 5;
  // Backoff between attempts, doubled each time. Default: 10 ms
  std::chrono::milliseconds initial_backoff{10};
  // Bytes of rows the view's thread keeps in memory as it committed or read
  // them, so that ViewWriter::Get reads RocksDB only at a row's first touch
  // (emptied whole when full). 0: every Get not of the batch's own rows
  // reads RocksDB. Default: 16 MiB
  size_t row_cache_bytes = 16 << 20;
};

// Progress of a rebuild: events up to `position` of `target` applied.
using RebuildProgress = std::function<void(Position position, Position target)>;

class View {
 public:
  View(const View&) = delete;
  View& operator=(const View&) = delete;
  ~View();

  // Stops applying events. Queries keep working.
  void Stop();

  // The value of `key` as of the last applied batch; nullopt if absent.
  // Works after Stop() and after the view failed. Errors: Corruption or
  // IOError from the storage (an absent key is not an error).
  Result<std::optional<std::string>> Get(std::string_view key);

  // Keys starting with `prefix`, in key order, at most `max_count`, as of
  // the last applied batch. Errors: as Get; no match is an empty list.
  Result<std::vector<std::pair<std::string, std::string>>> Scan(std::string_view prefix,
                                                                size_t max_count = SIZE_MAX);

  // Every event up to this position is reflected.
  Position position() const;

  // Waits until position() >= `position`: OK, TimedOut, or why the view stopped.
  Status WaitFor(Position position, std::chrono::milliseconds timeout);

  // Recomputes the view from the start of history into a new version beside
  // the current one, then switches to it atomically and drops the old one.
  // Blocks until done; `progress` (optional) is called as it goes. Queries
  // answer from the old version until the switch. Events committed during
  // the rebuild are applied to the new version before the switch.
  Status Rebuild(const RebuildProgress& progress = nullptr);

  // OK while running or after Stop(); otherwise why it stopped.
  Status status() const;

  // Internal, opaque: its state (made by Store::OpenView).
  struct Rep;

 private:
  explicit View(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace evlog
