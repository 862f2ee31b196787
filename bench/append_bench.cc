// Append micro benches, each workload beside its baselines measured in the
// same run: raw RocksDB (one WriteBatch per append, raw_rocksdb.h) and the device's
// single-thread fdatasync rate. The standard workload's shapes (DESIGN.md,
// "Benchmarks"): streams "stream-0".."stream-999" round-robin, an exact
// expected version on every append, type "ItemAdded", 128-byte payload.
//
//   build/bench/append_bench [--benchmark_filter=BM_AppendSingle]
//
// items_per_second is appends/s for single-event appends and events/s for
// BM_AppendBatch100 and BM_ReadStream. Each bench runs a fixed number of
// iterations on a fresh store in a fresh temporary directory (removed
// afterwards), so a run is one pass over the workload — W1's 1,000,000
// appends, W3's 10,000 appends of 100 — and a whole run takes about a minute.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "bench_util.h"
#include "evlog/store.h"
#include "raw_rocksdb.h"

namespace evlog::bench {
namespace {

// Iterations per bench (per thread for the 16-thread ones).
constexpr benchmark::IterationCount kW1Appends = 1'000'000;
constexpr benchmark::IterationCount kW3Appends = 10'000;
constexpr benchmark::IterationCount kSyncAppendsPerThread = 4'000;
constexpr benchmark::IterationCount kFsyncs = 2'000;
constexpr int kSyncThreads = 16;

// Wall-clock time (threads wait on the disk), in microseconds.
void InMicroseconds(benchmark::internal::Benchmark* b) {
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

std::unique_ptr<Store> OpenStore(const std::string& path) {
  auto store = Store::Open(Options{}, path + "/store");
  if (!store.ok()) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), store.status().ToString().c_str());
    std::abort();
  }
  return std::move(store).value();
}

AppendRequest Single(int stream, uint64_t expected, Durability durability) {
  AppendRequest request;
  request.streams.push_back(
      StreamAppend{.stream = StreamNames()[stream],
                   .expected = ExpectedVersion::Exact(Version(expected)),
                   .events = {EventData{.type = kEventType, .data = Payload()}}});
  request.durability = durability;
  return request;
}

// The loop of the single-event workloads: each thread appends round-robin
// to its own streams (stream i belongs to thread i % threads), one
// `append(stream, expected_version)` an iteration, until one fails.
template <class AppendOne>
void AppendRoundRobin(benchmark::State& state, AppendOne append) {
  std::vector<uint64_t> versions(kStreams, 0);
  int s = state.thread_index();
  int64_t n = 0;
  for (auto _ : state) {
    if (!append(s, versions[s]++)) {
      state.SkipWithError("append failed");
      break;
    }
    ++n;
    s += state.threads();
    if (s >= kStreams) s = state.thread_index();
  }
  state.SetItemsProcessed(n);
}

// The loop of the 100-event workloads on "stream-0": one
// `append(expected_version)` an iteration, until one fails; items are events.
template <class AppendHundred>
void AppendHundreds(benchmark::State& state, AppendHundred append) {
  uint64_t version = 0;
  for (auto _ : state) {
    if (!append(version)) {
      state.SkipWithError("append failed");
      break;
    }
    version += 100;
  }
  state.SetItemsProcessed(static_cast<int64_t>(version));
}

// W1: one thread, one synchronous buffered append at a time.
void BM_AppendSingle(benchmark::State& state) {
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  AppendRoundRobin(state, [&](int s, uint64_t expected) {
    return store->Append(Single(s, expected, Durability::kBuffered)).ok();
  });
}
BENCHMARK(BM_AppendSingle)->Iterations(kW1Appends)->Apply(InMicroseconds);

// W1 pipelined: one thread, AppendAsync with at most state.range(0) appends
// in flight; the writer commits what is queued in groups. The last
// iteration waits for every completion, inside the timed loop.
void BM_AppendPipelined(benchmark::State& state) {
  ScratchDir dir;
  Window window(state.range(0));  // outlives the store and its callbacks
  auto store = OpenStore(dir.path());
  std::vector<uint64_t> versions(kStreams, 0);
  int64_t n = 0, failed = 0;
  for (auto _ : state) {
    window.Acquire();
    int s = static_cast<int>(n++ % kStreams);
    store->AppendAsync(Single(s, versions[s]++, Durability::kBuffered),
                       [&window](Result<AppendResult> r) { window.Release(r.ok()); });
    if (n == state.max_iterations) failed = window.Drain();
  }
  if (failed > 0) state.SkipWithError("appends failed");
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_AppendPipelined)->Arg(1024)->Arg(8192)->Iterations(kW1Appends)->Apply(InMicroseconds);

// Baseline for W1: raw RocksDB, one WriteBatch of three puts per append.
void BM_RawRocksDbAppend(benchmark::State& state) {
  ScratchDir dir;
  RawLog raw(dir.path() + "/raw");
  AppendRoundRobin(state, [&](int s, uint64_t expected) {
    return raw.Append(StreamNames()[s], expected, kEventType, Payload(), /*sync=*/false);
  });
}
BENCHMARK(BM_RawRocksDbAppend)->Iterations(kW1Appends)->Apply(InMicroseconds);

// W3: atomic appends of 100 events to one stream; items are events.
void BM_AppendBatch100(benchmark::State& state) {
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  std::vector<EventData> events(100, EventData{.type = kEventType, .data = Payload()});
  AppendHundreds(state, [&](uint64_t version) {
    return store
        ->Append("stream-0", ExpectedVersion::Exact(Version(version)), events,
                 Durability::kBuffered)
        .ok();
  });
}
BENCHMARK(BM_AppendBatch100)->Iterations(kW3Appends)->Apply(InMicroseconds);

// Baseline for W3: the same 100-event appends as one raw WriteBatch each.
void BM_RawRocksDbAppendBatch100(benchmark::State& state) {
  ScratchDir dir;
  RawLog raw(dir.path() + "/raw");
  AppendHundreds(state, [&](uint64_t version) {
    return raw.AppendBatch("stream-0", version, kEventType, Payload(), 100, /*sync=*/false);
  });
}
BENCHMARK(BM_RawRocksDbAppendBatch100)->Iterations(kW3Appends)->Apply(InMicroseconds);

// The device: one thread appending 150 bytes to a file and fdatasync'ing it,
// in a loop. W4 divided by this is what group commit buys. Registered right
// before the durable benches: a shared virtual disk's rate drifts.
void BM_FdatasyncSingleThread(benchmark::State& state) {
  ScratchDir dir;
  int fd = ::open((dir.path() + "/f").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) {
    state.SkipWithError("open failed");
    return;
  }
  const std::string record(150, 'r');
  int64_t n = 0;
  for (auto _ : state) {
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError("write failed");
      break;
    }
    ++n;
  }
  ::close(fd);
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_FdatasyncSingleThread)->Iterations(kFsyncs)->Apply(InMicroseconds);

// W4 and its baseline share one scratch directory, made by the bench's
// Setup before its threads start and removed by its Teardown.
std::unique_ptr<ScratchDir> g_sync_dir;
std::unique_ptr<Store> g_sync_store;
std::unique_ptr<RawLog> g_raw;

void SetUpSyncStore(const benchmark::State&) {
  g_sync_dir = std::make_unique<ScratchDir>();
  g_sync_store = OpenStore(g_sync_dir->path());
}
void SetUpRawLog(const benchmark::State&) {
  g_sync_dir = std::make_unique<ScratchDir>();
  g_raw = std::make_unique<RawLog>(g_sync_dir->path() + "/raw");
}
void TearDownSync(const benchmark::State&) {
  g_sync_store.reset();
  g_raw.reset();
  g_sync_dir.reset();
}

// W4's shape: 16 threads, a fixed count of appends each.
void SixteenSyncThreads(benchmark::internal::Benchmark* b) {
  b->Threads(kSyncThreads)
      ->Iterations(kSyncAppendsPerThread)
      ->Teardown(TearDownSync)
      ->Apply(InMicroseconds);
}

// W4: 16 threads, each appending round-robin to its own streams, each
// append acknowledged after the WAL sync. One store for all threads.
void BM_AppendSync16Threads(benchmark::State& state) {
  AppendRoundRobin(state, [](int s, uint64_t expected) {
    return g_sync_store->Append(Single(s, expected, Durability::kSync)).ok();
  });
}
BENCHMARK(BM_AppendSync16Threads)->Setup(SetUpSyncStore)->Apply(SixteenSyncThreads);

// Baseline for W4: the same with sync=true from 16 threads.
void BM_RawRocksDbAppendSync16Threads(benchmark::State& state) {
  AppendRoundRobin(state, [](int s, uint64_t expected) {
    return g_raw->Append(StreamNames()[s], expected, kEventType, Payload(), /*sync=*/true);
  });
}
BENCHMARK(BM_RawRocksDbAppendSync16Threads)->Setup(SetUpRawLog)->Apply(SixteenSyncThreads);

// Reads `stream` whole in each iteration; counts its events as items.
void ReadStreamEachIteration(benchmark::State& state, Store& store, const std::string& stream) {
  int64_t n = 0;
  for (auto _ : state) {
    auto it = store.ReadStream(stream);
    if (!it.ok()) {
      state.SkipWithError("read failed");
      break;
    }
    for (EventIterator& events_it = **it; events_it.Valid(); events_it.Next()) {
      benchmark::DoNotOptimize(events_it.event().data.data());
      ++n;
    }
  }
  state.SetItemsProcessed(n);
}

// R1: read one 10,000-event stream in order, decoded and verified. Time
// bounded: each iteration reads the whole stream.
void BM_ReadStream(benchmark::State& state) {
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  std::vector<EventData> events(100, EventData{.type = kEventType, .data = Payload()});
  for (int i = 0; i < 100; ++i) {
    if (!store->Append("stream-0", ExpectedVersion::Any(), events, Durability::kBuffered).ok()) {
      state.SkipWithError("setup failed");
      return;
    }
  }
  ReadStreamEachIteration(state, *store, "stream-0");
}
BENCHMARK(BM_ReadStream)->UseRealTime()->Unit(benchmark::kMillisecond);

// R1's shape (evlog-bench R1): 10 streams written round-robin, each append
// one event to each of the 10, so every stream chunk holds one record; the
// store compacted; stream 0's 10,000 events read in order each iteration.
void BM_ReadStreamInterleaved(benchmark::State& state) {
  constexpr int kInterleaved = 10;
  constexpr int kPerStream = 10'000;
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  for (int i = 0; i < kPerStream; ++i) {
    AppendRequest request;
    request.durability = Durability::kBuffered;
    for (int s = 0; s < kInterleaved; ++s) {
      request.streams.push_back(
          StreamAppend{.stream = StreamNames()[s],
                       .events = {EventData{.type = kEventType, .data = Payload()}}});
    }
    if (!store->Append(std::move(request)).ok()) {
      state.SkipWithError("setup failed");
      return;
    }
  }
  if (!store->Compact().ok()) {
    state.SkipWithError("compaction failed");
    return;
  }
  ReadStreamEachIteration(state, *store, StreamNames()[0]);
}
BENCHMARK(BM_ReadStreamInterleaved)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace evlog::bench

BENCHMARK_MAIN();
