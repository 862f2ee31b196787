#include "workload.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "aggregate_workload.h"
#include "bench_util.h"
#ifdef EVLOG_BENCH_WITH_DAEMON
#include "daemon_run.h"
#endif
#include "evlog/change_feed.h"
#include "evlog/store.h"
#include "view_workload.h"

namespace evlog::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Spec {
  const char* name;
  const char* summary;
};

constexpr Spec kSpecs[] = {
    {"W1",
     "single-event appends, 1,000 streams round-robin, exact expected version, 1 writer, "
     "buffered (the engine pipelines with AppendAsync)"},
    {"W2",
     "as W1 with 4 writer threads, each owning 250 streams, one synchronous append at a "
     "time"},
    {"W3", "atomic appends of 100 events to one stream, 1 writer, buffered"},
    {"W4", "16 writer threads, each append acknowledged after the WAL sync"},
    {"W5",
     "W1 where every event carries a caller-given id (idempotent appends), checked by "
     "every system"},
    {"R1", "read one 10,000-event stream in order (10 streams interleaved, compacted)"},
    {"R2", "scan the whole global log of W1 in order (compacted)"},
    {"L1", "append -> live feed delivery latency at 50,000 appends/s, buffered"},
    {"F1", "W1 with 1, 4 and 16 live feed subscribers following it"},
    {"V1",
     "a view counting events per stream applies all of W1: events/s and its lag behind the "
     "writer when W1 ends"},
    {"S1",
     "W1 and W3 through evlogd over loopback, pipelined on one session; append latency "
     "at 10,000 appends/s"},
    {"X1", "W1 over 1,000,000 distinct streams (one event each)"},
    {"Q1",
     "4 threads deciding over 10,000 tags: read the tag's events, decide, append with the "
     "DCB condition (conflicts are decided again)"},
    {"A1",
     "aggregate commands (the seeds' inventory): 8 threads, 1,000 products, snapshots every "
     "100 events; load, decide (reserve or restock), commit at the loaded version, retry on "
     "a conflict"},
    {"X2",
     "open time of a store holding 10 x W1's events: the first after the loading process "
     "exited without closing it (recovery), then after clean closes"},
};

struct LatencyLog {
  std::vector<float> values;
  static void Record(void* self, float micros) {
    static_cast<LatencyLog*>(self)->values.push_back(micros);
  }
};

void SetLatency(std::vector<float>& values, Measurement* m) {
  if (values.empty()) return;
  m->has_latency = true;
  m->p50_us = Percentile(values, 0.50);
  m->p99_us = Percentile(values, 0.99);
  m->p999_us = Percentile(values, 0.999);
}

void Check(int64_t failed, const char* what) {
  if (failed != 0) {
    throw std::runtime_error(std::string(what) + ": " + std::to_string(failed) + " failed");
  }
}

// `threads` writers, writer t appending round-robin to streams t, t +
// threads, ... of `streams`, `appends` in all; latencies when `latency`.
Measurement Writers(Target& target, int threads, uint64_t streams, int64_t appends, bool sync,
                    bool pipelined, bool latency) {
  std::vector<LatencyLog> logs(static_cast<size_t>(threads));
  std::vector<int64_t> failed(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const auto i = static_cast<size_t>(t);
      const int64_t mine = appends / threads + (t < appends % threads ? 1 : 0);
      if (latency) logs[i].values.reserve(static_cast<size_t>(mine));
      failed[i] = target.AppendRoundRobin(
          StreamSet{.first = i, .stride = static_cast<uint64_t>(threads), .count = streams}, mine,
          sync, pipelined, latency ? &LatencyLog::Record : nullptr, &logs[i]);
    });
  }
  for (auto& w : workers) w.join();
  Measurement m{.events = appends, .seconds = Seconds(start)};
  int64_t total_failed = 0;
  std::vector<float> all;
  for (size_t i = 0; i < logs.size(); ++i) {
    total_failed += failed[i];
    all.insert(all.end(), logs[i].values.begin(), logs[i].values.end());
  }
  Check(total_failed, "appends");
  SetLatency(all, &m);
  return m;
}

// Runs `read` (which returns the events it read, -1 on an error) for
// `passes` passes, or for at least half a second and three passes.
template <typename Fn>
Measurement Passes(int passes, Fn&& read) {
  Measurement m;
  const auto start = Clock::now();
  for (int pass = 0; passes > 0 ? pass < passes : (pass < 3 || Seconds(start) < 0.5); ++pass) {
    int64_t n = read();
    if (n < 0) throw std::runtime_error("read failed");
    m.events += n;
  }
  m.seconds = Seconds(start);
  return m;
}

// L1: one thread appends at a steady rate; a live feed receives; latency =
// delivery time - time of the append call.
Measurement DeliveryLatency(Store& store, int64_t total, int64_t rate) {
  std::vector<Clock::time_point> sent(static_cast<size_t>(total) + 1);
  // When the append's callback ran (the writer runs it once the commit is
  // visible) and when the feed delivered the event.
  std::vector<Clock::time_point> committed(static_cast<size_t>(total) + 1);
  std::vector<Clock::time_point> delivered(static_cast<size_t>(total) + 1);
  std::atomic<int64_t> callbacks{0};
  auto feed = store.OpenFeed({.start = FeedStart::Latest(), .max_batch_events = 256});
  if (!feed.ok()) throw std::runtime_error(feed.status().ToString());
  const uint64_t base = store.LastPosition().value();
  std::thread consumer([&] {
    FeedBatch batch;
    int64_t got = 0;
    while (got < total) {
      if (!(*feed)->Next(std::chrono::seconds(5), &batch).ok() || batch.events.empty()) break;
      const auto now = Clock::now();
      for (const OwnedEvent& e : batch.events) {
        const auto i = static_cast<size_t>(e.position.value() - base);
        if (i >= delivered.size()) return;  // not one of ours: counted as missed below
        delivered[i] = now;
        ++got;
      }
    }
  });
  // Paced evenly, one append every 1/rate s (Pacer).
  const Pacer pacer(rate);
  const auto start = pacer.start();
  std::string name;
  for (int64_t i = 1; i <= total; ++i) {
    pacer.Wait(i - 1);
    StreamName(static_cast<uint64_t>(i % kStreams), &name);
    AppendRequest request{
        .streams = {StreamAppend{.stream = name,
                                 .events = {EventData{.type = kEventType, .data = Payload()}}}},
        .durability = Durability::kBuffered};
    sent[static_cast<size_t>(i)] = Clock::now();
    store.AppendAsync(std::move(request),
                      [&committed, &callbacks, i](Result<AppendResult>) {
                        committed[static_cast<size_t>(i)] = Clock::now();
                        callbacks.fetch_add(1, std::memory_order_release);
                      });
  }
  consumer.join();
  while (callbacks.load(std::memory_order_acquire) < total) std::this_thread::yield();
  std::vector<float> latency, to_commit, after_commit;
  latency.reserve(static_cast<size_t>(total));
  to_commit.reserve(static_cast<size_t>(total));
  after_commit.reserve(static_cast<size_t>(total));
  for (size_t i = 1; i <= static_cast<size_t>(total); ++i) {
    if (delivered[i] == Clock::time_point{}) continue;
    latency.push_back(std::chrono::duration<float, std::micro>(delivered[i] - sent[i]).count());
    to_commit.push_back(std::chrono::duration<float, std::micro>(committed[i] - sent[i]).count());
    // The feed may deliver before the writer gets to the callback: 0 then.
    after_commit.push_back(std::max(
        0.0f, std::chrono::duration<float, std::micro>(delivered[i] - committed[i]).count()));
  }
  Measurement m{.events = static_cast<int64_t>(latency.size()), .seconds = Seconds(start)};
  if (m.events != total) throw std::runtime_error("the feed missed events");
  SetLatency(latency, &m);
  m.has_commit_split = true;
  m.to_commit_p50_us = Percentile(to_commit, 0.50);
  m.to_commit_p99_us = Percentile(to_commit, 0.99);
  m.after_commit_p50_us = Percentile(after_commit, 0.50);
  m.after_commit_p99_us = Percentile(after_commit, 0.99);
  return m;
}

// F1: W1 while `subscribers` live feeds follow it. The figure is the
// writer's rate; the subscribers must each receive every event.
Measurement FanOut(Target& target, Store& store, int subscribers, int64_t appends) {
  std::atomic<int> short_subscribers{0};
  std::vector<std::thread> readers;
  std::atomic<int> ready{0};
  for (int i = 0; i < subscribers; ++i) {
    readers.emplace_back([&] {
      auto feed = store.OpenFeed({.start = FeedStart::Oldest(), .max_batch_events = 1000});
      ready.fetch_add(1);
      if (!feed.ok()) {
        short_subscribers.fetch_add(1);
        return;
      }
      // A view, as a consumer that keeps nothing of the events reads them.
      FeedView batch;
      int64_t got = 0;
      while (got < appends) {
        if (!(*feed)->NextView(std::chrono::seconds(10), &batch).ok() || batch.events.empty()) {
          break;
        }
        got += static_cast<int64_t>(batch.events.size());
      }
      if (got != appends) short_subscribers.fetch_add(1);
    });
  }
  while (ready.load() < subscribers) std::this_thread::yield();
  Measurement m = Writers(target, 1, kStreams, appends, false, true, false);
  for (auto& r : readers) r.join();
  if (short_subscribers.load() != 0) throw std::runtime_error("a subscriber missed events");
  return m;
}

}  // namespace

const std::vector<std::string>& WorkloadNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Spec& s : kSpecs) v.emplace_back(s.name);
    return v;
  }();
  return names;
}

bool IsWorkload(const std::string& name) {
  const auto& names = WorkloadNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

const char* WorkloadSummary(const std::string& name) {
  for (const Spec& s : kSpecs) {
    if (name == s.name) return s.summary;
  }
  return "";
}

int64_t WorkloadEvents(const std::string& workload, int64_t events) {
  if (workload == "W3") return std::max<int64_t>(1, events / 100) * 100;
  if (workload == "W4") return std::max<int64_t>(160, events / 16);
  if (workload == "R1") return std::clamp<int64_t>(events / 100, 100, 10'000);
  if (workload == "L1") return std::clamp<int64_t>(events / 10, 1'000, 100'000);
  if (workload == "X2") return events * 10;
  if (workload == "Q1" || workload == "A1") {
    return std::clamp<int64_t>(events / 10, 1'000, 100'000);
  }
  return events;
}

double Percentile(std::vector<float>& values, double p) {
  if (values.empty()) return 0;
  const auto k = static_cast<size_t>(std::llround(p * static_cast<double>(values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

Measurement RunWorkload(const WorkloadConfig& c) {
  const std::string& w = c.workload;
  const int64_t n = WorkloadEvents(w, c.events);
  if ((w == "L1" || w == "F1" || w == "S1") && c.system != System::kEvlog) {
    return Measurement{.skipped = "no change feed"};
  }
  if (w == "V1" && c.system != System::kEvlog) return Measurement{.skipped = "no views"};
  if (w == "A1" && c.system == System::kRocksDbRaw) {
    return Measurement{.skipped =
                           "no aggregate store: no snapshots, and its version check is the "
                           "baseline's own in-memory map (SQLite is A1's baseline)"};
  }

  if (w == "S1") {
#ifdef EVLOG_BENCH_WITH_DAEMON
    return RunThroughDaemon(c.phase, c.dir, c.events);
#else
    return Measurement{.skipped = "no daemon: built without the server"};
#endif
  }
  if (w == "X2" && c.phase == "open") {
    const auto start = Clock::now();
    auto target = OpenTarget(c.system, c.dir, TargetOptions{});
    return Measurement{.events = n, .seconds = Seconds(start)};
  }

  auto target = OpenTarget(c.system, c.dir,
                           TargetOptions{.sync = w == "W4",
                                         .event_ids = w == "W5",
                                         .live_feed_spin_us = c.spin_us,
                                         .low_priority_background = c.low_priority_background});
  if (w == "W1" || w == "W5") return Writers(*target, 1, kStreams, n, false, true, false);
  if (w == "W2") return Writers(*target, 4, kStreams, n, false, false, true);
  if (w == "W4") return Writers(*target, 16, kStreams, n, true, false, true);
  if (w == "X1") return Writers(*target, 1, static_cast<uint64_t>(n), n, false, true, false);
  if (w == "W3") {
    const auto start = Clock::now();
    Check(target->AppendBatches(0, n / 100, 100, true), "appends");
    return Measurement{.events = n, .seconds = Seconds(start)};
  }
  if (w == "R1") {
    constexpr uint64_t kInterleaved = 10;
    target->Load(n * static_cast<int64_t>(kInterleaved), kInterleaved);
    target->Settle();
    return Passes(c.passes, [&] {
      int64_t got = target->ReadStream(0);
      return got == n ? got : -1;
    });
  }
  if (w == "R2") {
    target->Load(n, kStreams);
    target->Settle();
    return Passes(c.passes, [&] {
      int64_t got = target->ScanAll();
      return got == n ? got : -1;
    });
  }
  if (w == "Q1") {
    const auto start = Clock::now();
    const int64_t conflicts = target->Decide(4, n, 10'000);
    if (conflicts < 0) return Measurement{.skipped = "no query condition"};
    return Measurement{.events = n, .seconds = Seconds(start), .conflicts = conflicts};
  }
  if (w == "L1") return DeliveryLatency(*target->engine(), n, 50'000);
  if (w == "F1") return FanOut(*target, *target->engine(), c.subscribers, n);
  if (w == "V1") {
    return ViewApply(*target->engine(), n,
                     [&] { Writers(*target, 1, kStreams, n, false, true, false); });
  }
  if (w == "A1") return AggregateCommands(*target, n, InventoryHistory(c.events));
  if (w == "X2") {  // the "load" phase; the parent measures "open"
    const auto start = Clock::now();
    target->Load(n, kStreams);
    // Not closed: as after a crash, the first open recovers.
    (void)target.release();
    return Measurement{.events = n, .seconds = Seconds(start), .left_open = true};
  }
  throw std::runtime_error("unknown workload " + w);
}

}  // namespace evlog::bench
