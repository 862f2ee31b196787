// The engine as a bench target.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "evlog/aggregate.h"
#include "evlog/store.h"
#include "target.h"

namespace evlog::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Appends a pipelining client keeps in flight (BM_AppendPipelined/1024).
constexpr int64_t kWindow = 1024;

// A1 on the engine: the Aggregate template with a snapshot codec, so a load
// reads the product's newest snapshot (taken by the target's snapshot
// policy) and the events after it.
class EvlogClerk final : public InventoryClerk {
 public:
  EvlogClerk(Store& store, Durability durability) : store_(store) {
    options_.durability = durability;
    options_.max_attempts = 1'000;  // every conflict is retried (8 threads)
  }

  CommandOutcome Handle(uint64_t product, InventoryCommand command) override {
    Aggregate<Stock> aggregate = Open(product);
    bool refused = false;
    auto r = aggregate.Handle(
        [&](const Stock& stock) -> Result<std::vector<EventData>> {
          const char* type = DecideCommand(stock, command);
          refused = type == nullptr;
          if (refused) return Status::InvalidArgument("nothing to reserve");
          return std::vector<EventData>{EventData{.type = type, .data = Payload()}};
        },
        options_);
    if (!r.ok() && !refused) throw std::runtime_error("A1: " + r.status().ToString());
    return {.committed = !refused, .conflicts = static_cast<int64_t>(aggregate.conflicts())};
  }

  Stock Load(uint64_t product, uint64_t* version) override {
    Aggregate<Stock> aggregate = Open(product);
    if (Status s = aggregate.Load(); !s.ok()) throw std::runtime_error("A1: " + s.ToString());
    *version = aggregate.version().value();
    return aggregate.state();
  }

 private:
  Aggregate<Stock> Open(uint64_t product) {
    return Aggregate<Stock>(
        store_, ProductName(product),
        [](Stock& stock, const RecordedEvent& e) { ApplyStock(stock, e.type); },
        Aggregate<Stock>::Codec{.encode = EncodeStock, .decode = DecodeStock});
  }

  Store& store_;
  CommandOptions options_;
};

// The snapshot policy's fold: the previous stock plus the batch's events.
Result<std::string> FoldStock(std::string_view, const std::optional<std::string>& previous,
                              const std::vector<OwnedEvent>& events) {
  Stock stock;
  if (previous.has_value()) {
    std::optional<Stock> decoded = DecodeStock(*previous);
    if (!decoded) return Status::Corruption("unreadable stock snapshot");
    stock = *decoded;
  }
  for (const OwnedEvent& e : events) ApplyStock(stock, e.type);
  return EncodeStock(stock);
}

class EvlogTarget final : public Target {
 public:
  EvlogTarget(const std::string& dir, const TargetOptions& options)
      : durability_(options.sync ? Durability::kSync : Durability::kBuffered),
        event_ids_(options.event_ids) {
    auto store = Store::Open(Options{.live_feed_spin_us = options.live_feed_spin_us,
                                     .low_priority_background = options.low_priority_background},
                             dir);
    if (!store.ok()) throw std::runtime_error(store.status().ToString());
    store_ = std::move(store).value();
  }

  int64_t AppendRoundRobin(const StreamSet& streams, int64_t appends, bool sync, bool pipelined,
                           LatencySink sink, void* sink_context) override {
    const Durability durability = sync ? Durability::kSync : Durability::kBuffered;
    std::vector<uint64_t> versions((streams.count - streams.first + streams.stride - 1) /
                                   streams.stride);
    Window window(kWindow);  // outlives every callback below
    int64_t failed = 0;
    size_t slot = 0;
    for (int64_t i = 0; i < appends; ++i) {
      AppendRequest request;
      request.durability = durability;
      StreamAppend& sa = request.streams.emplace_back();
      const uint64_t n = streams.first + slot * streams.stride;
      StreamName(n, &sa.stream);
      const uint64_t version = versions[slot]++;
      sa.expected = ExpectedVersion::Exact(Version(version));
      sa.events.push_back(EventData{.type = kEventType, .data = Payload()});
      if (event_ids_) sa.events.back().id = Uuid(EventId(n, version + 1));
      if (++slot == versions.size()) slot = 0;
      if (pipelined) {
        window.Acquire();
        store_->AppendAsync(std::move(request),
                            [&window](Result<AppendResult> r) { window.Release(r.ok()); });
      } else if (sink != nullptr) {
        const auto start = Clock::now();
        if (!store_->Append(std::move(request)).ok()) ++failed;
        sink(sink_context, std::chrono::duration<float, std::micro>(Clock::now() - start).count());
      } else if (!store_->Append(std::move(request)).ok()) {
        ++failed;
      }
    }
    return failed + window.Drain();
  }

  int64_t AppendBatches(uint64_t stream, int64_t appends, int batch, bool pipelined) override {
    std::string name;
    StreamName(stream, &name);
    Window window(pipelined ? kWindow / 8 : 1);
    int64_t failed = 0;
    for (int64_t i = 0; i < appends; ++i) {
      AppendRequest request;
      request.durability = durability_;
      StreamAppend& sa = request.streams.emplace_back();
      sa.stream = name;
      sa.expected = ExpectedVersion::Exact(Version(static_cast<uint64_t>(i * batch)));
      sa.events.assign(static_cast<size_t>(batch),
                       EventData{.type = kEventType, .data = Payload()});
      if (pipelined) {
        window.Acquire();
        store_->AppendAsync(std::move(request),
                            [&window](Result<AppendResult> r) { window.Release(r.ok()); });
      } else if (!store_->Append(std::move(request)).ok()) {
        ++failed;
      }
    }
    return failed + window.Drain();
  }

  void Load(int64_t events, uint64_t streams) override {
    // Appends of up to 100 streams with one event each: the global order is
    // W1's round-robin, at a fraction of W1's cost.
    // (An append names each stream once.)
    const auto per_append = static_cast<int64_t>(std::min<uint64_t>(100, streams));
    Window window(64);
    for (int64_t i = 0; i < events;) {
      AppendRequest request;
      request.durability = Durability::kBuffered;
      for (int64_t k = 0; k < per_append && i < events; ++k, ++i) {
        StreamAppend& sa = request.streams.emplace_back();
        StreamName(static_cast<uint64_t>(i) % streams, &sa.stream);
        sa.events.push_back(EventData{.type = kEventType, .data = Payload()});
      }
      window.Acquire();
      store_->AppendAsync(std::move(request),
                          [&window](Result<AppendResult> r) { window.Release(r.ok()); });
    }
    if (window.Drain() > 0) throw std::runtime_error("load: appends failed");
  }

  void Settle() override {
    if (Status s = store_->Compact(); !s.ok()) throw std::runtime_error(s.ToString());
  }

  int64_t ReadStream(uint64_t stream) override {
    std::string name;
    StreamName(stream, &name);
    auto it = store_->ReadStream(name);
    if (!it.ok()) return it.status().IsNotFound() ? 0 : -1;
    return Drain(**it, /*stream_order=*/true);
  }

  int64_t ScanAll() override { return Drain(*store_->ReadAll().value(), /*stream_order=*/false); }

  // The DCB decision of evlog: Read(query) gives the events and the head;
  // the append's condition is the same query after that head.
  int64_t Decide(int threads, int64_t decisions, int tags) override {
    std::atomic<int64_t> conflicts{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
        for (int64_t i = t; i < decisions && !failed; i += threads) {
          const std::string k = std::to_string(rng() % static_cast<uint64_t>(tags));
          const Query query{.items = {QueryItem{.tags = {"entity:" + k}}}};
          for (;;) {
            Result<QueryResult> read = store_->Read(query);
            if (!read.ok()) {
              failed = true;
              break;
            }
            AppendRequest request{.durability = durability_};
            request.streams.push_back(
                {"entity-" + k,
                 ExpectedVersion::Any(),
                 {EventData{.type = kEventType, .data = Payload(), .tags = query.items[0].tags}}});
            request.condition =
                AppendCondition{.after = read->head, .fail_if_events_match = query};
            Result<AppendResult> r = store_->Append(std::move(request));
            if (r.ok()) break;
            if (!r.status().IsConditionFailed()) {
              failed = true;
              break;
            }
            ++conflicts;
          }
        }
      });
    }
    for (std::thread& w : workers) w.join();
    if (failed) throw std::runtime_error("Q1: a read or append failed");
    return conflicts;
  }

  // Every product's history, appended 100 products at a time (one event
  // each), while the snapshot policy runs; then waits for its snapshots.
  void LoadInventory(int products, int64_t history) override {
    if (snapshotter_ == nullptr) {
      auto snapshotter = store_->StartSnapshots({.name = "stock",
                                                 .category = "product",
                                                 .every_events = kSnapshotEvery,
                                                 .fold = FoldStock});
      if (!snapshotter.ok()) throw std::runtime_error(snapshotter.status().ToString());
      snapshotter_ = std::move(snapshotter).value();
    }
    Window window(64);
    for (int64_t i = 0; i < history; ++i) {
      for (int first = 0; first < products; first += 100) {
        AppendRequest request{.durability = Durability::kBuffered};
        for (int p = first; p < std::min(products, first + 100); ++p) {
          request.streams.push_back({ProductName(static_cast<uint64_t>(p)),
                                     ExpectedVersion::Exact(Version(static_cast<uint64_t>(i))),
                                     {EventData{.type = HistoryType(i), .data = Payload()}}});
        }
        window.Acquire();
        store_->AppendAsync(std::move(request),
                            [&window](Result<AppendResult> r) { window.Release(r.ok()); });
      }
    }
    if (window.Drain() > 0) throw std::runtime_error("A1 set-up: appends failed");
    if (Status s = snapshotter_->WaitFor(store_->LastPosition(), std::chrono::minutes(5));
        !s.ok()) {
      throw std::runtime_error("A1 set-up: snapshots: " + s.ToString());
    }
  }

  std::unique_ptr<InventoryClerk> OpenClerk() override {
    return std::make_unique<EvlogClerk>(*store_, durability_);
  }

  Store* engine() override { return store_.get(); }

 private:
  // Walks the iterator; every event is decoded and verified by the engine.
  static int64_t Drain(EventIterator& it, bool stream_order) {
    int64_t n = 0;
    uint64_t previous = 0;
    size_t bytes = 0;
    for (; it.Valid(); it.Next()) {
      const RecordedEvent& e = it.event();
      const uint64_t key = stream_order ? e.version.value() : e.position.value();
      if (key != previous + 1 && stream_order) return -1;
      if (key <= previous) return -1;
      previous = key;
      bytes += e.data.size();
      ++n;
    }
    if (!it.status().ok()) return -1;
    return bytes == static_cast<size_t>(n) * Payload().size() ? n : -1;
  }

  Durability durability_;
  bool event_ids_;
  std::unique_ptr<Store> store_;
  // A1's snapshot policy, once LoadInventory started it; stopped before the
  // store closes (declared after it).
  std::unique_ptr<Snapshotter> snapshotter_;
};

}  // namespace

std::unique_ptr<Target> OpenEvlogTarget(const std::string& dir, const TargetOptions& options) {
  return std::make_unique<EvlogTarget>(dir, options);
}

}  // namespace evlog::bench
