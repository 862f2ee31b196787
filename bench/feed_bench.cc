// Change-feed benches: catch-up read rate, and append-to-delivery latency at
// a steady append rate.
//
//   build/bench/feed_bench

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "evlog/store.h"

namespace evlog::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<Store> OpenStore(const std::string& path) {
  auto store = Store::Open(Options{}, path + "/store");
  if (!store.ok()) std::abort();
  return std::move(store).value();
}

// Fills the store with `n` standard events in 100-event appends.
void Fill(Store& store, int64_t n) {
  std::vector<EventData> events(100, EventData{.type = kEventType, .data = Payload()});
  for (int64_t i = 0; i < n; i += 100) {
    if (!store
             .Append(StreamNames()[(i / 100) % kStreams], ExpectedVersion::Any(), events,
                     Durability::kBuffered)
             .ok()) {
      std::abort();
    }
  }
}

// A feed catching up over a 1M-event log, in batches of 1,000.
void BM_FeedCatchUp(benchmark::State& state) {
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  const int64_t n = state.range(0);
  Fill(*store, n);
  int64_t read = 0;
  for (auto _ : state) {
    auto feed = store->OpenFeed({.start = FeedStart::Oldest(), .max_batch_events = 1000});
    FeedBatch batch;
    while ((*feed)->Next(std::chrono::milliseconds(0), &batch).ok() && !batch.events.empty()) {
      read += static_cast<int64_t>(batch.events.size());
    }
  }
  state.SetItemsProcessed(read);
}
BENCHMARK(BM_FeedCatchUp)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

// One ChangeFeed::Next call over a filled log, with batches of range(0)
// events (catch-up reading; the feed is reopened when it reaches the end).
void BM_FeedNext(benchmark::State& state) {
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  Fill(*store, 200'000);
  const auto batch_events = static_cast<size_t>(state.range(0));
  auto open = [&] {
    return std::move(
        store->OpenFeed({.start = FeedStart::Oldest(), .max_batch_events = batch_events}).value());
  };
  auto feed = open();
  FeedBatch batch;
  int64_t read = 0;
  for (auto _ : state) {
    if (!feed->Next(std::chrono::milliseconds(0), &batch).ok()) {
      state.SkipWithError("next failed");
      break;
    }
    if (batch.events.empty()) {
      state.PauseTiming();
      feed = open();
      state.ResumeTiming();
    }
    read += static_cast<int64_t>(batch.events.size());
  }
  state.SetItemsProcessed(read);
}
BENCHMARK(BM_FeedNext)->Arg(1)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

// L1: one thread appends single events (buffered) at `range(0)` appends/s;
// a live feed delivers them; latency = delivery time - append call time.
void BM_AppendToDeliveryLatency(benchmark::State& state) {
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  const int64_t rate = state.range(0);
  const int64_t total = rate * 2;  // two seconds of traffic
  std::vector<Clock::time_point> sent(static_cast<size_t>(total) + 1);
  std::vector<double> latency_us;
  latency_us.reserve(static_cast<size_t>(total));
  for (auto _ : state) {
    auto feed = store->OpenFeed({.start = FeedStart::Latest(), .max_batch_events = 256});
    const uint64_t base = store->LastPosition().value();
    std::thread consumer([&] {
      FeedBatch batch;
      int64_t got = 0;
      while (got < total) {
        if (!(*feed)->Next(std::chrono::seconds(5), &batch).ok() || batch.events.empty()) break;
        auto now = Clock::now();
        for (const OwnedEvent& e : batch.events) {
          size_t i = static_cast<size_t>(e.position.value() - base);
          latency_us.push_back(std::chrono::duration<double, std::micro>(now - sent[i]).count());
          ++got;
        }
      }
    });
    // Paced in 1 ms ticks (rate/1000 appends each), sleeping between ticks:
    // a spinning pacer would take one of this machine's two cores.
    const auto start = Clock::now();
    const int64_t per_tick = std::max<int64_t>(1, rate / 1000);
    for (int64_t i = 1; i <= total; ++i) {
      if (i % per_tick == 1 || per_tick == 1) {
        std::this_thread::sleep_until(start + std::chrono::milliseconds(i / per_tick));
      }
      sent[static_cast<size_t>(i)] = Clock::now();
      store->AppendAsync(
          AppendRequest{.streams = {StreamAppend{
                            .stream = StreamNames()[i % kStreams],
                            .events = {EventData{.type = kEventType, .data = Payload()}}}},
                        .durability = Durability::kBuffered},
          [](Result<AppendResult>) {});
    }
    consumer.join();
  }
  std::sort(latency_us.begin(), latency_us.end());
  auto pct = [&](double p) {
    return latency_us.empty() ? 0.0 : latency_us[static_cast<size_t>(p * (latency_us.size() - 1))];
  };
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["p999_us"] = pct(0.999);
  state.SetItemsProcessed(static_cast<int64_t>(latency_us.size()));
}
BENCHMARK(BM_AppendToDeliveryLatency)
    ->Arg(50'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace
}  // namespace evlog::bench

BENCHMARK_MAIN();
