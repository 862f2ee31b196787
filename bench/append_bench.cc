// Append and read micro benches, each beside its raw-RocksDB baseline in the
// same run. The standard workload's shapes: 1,000 streams round-robin with an
// exact expected version per append, type "ItemAdded", 128-byte payload.
//
//   build/bench/append_bench --benchmark_counters_tabular=true
//
// items_per_second is appends/s for single-event appends and events/s for
// batches and reads.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "bench_util.h"
#include "evlog/store.h"
#include "raw_rocksdb.h"

namespace evlog::bench {
namespace {

std::unique_ptr<Store> OpenStore(const std::string& path) {
  auto store = Store::Open(Options{}, path + "/store");
  if (!store.ok()) std::abort();
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

// One thread, one synchronous buffered append at a time.
void BM_AppendSingle(benchmark::State& state) {
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  std::vector<uint64_t> versions(kStreams, 0);
  int64_t n = 0;
  for (auto _ : state) {
    int s = static_cast<int>(n++ % kStreams);
    if (!store->Append(Single(s, versions[s]++, Durability::kBuffered)).ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_AppendSingle)->Unit(benchmark::kMicrosecond)->UseRealTime();

// One thread pipelining buffered appends with AppendAsync, at most
// state.range(0) in flight: the writer commits them in groups.
void BM_AppendPipelined(benchmark::State& state) {
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  const int64_t window = state.range(0);
  std::vector<uint64_t> versions(kStreams, 0);
  std::mutex mu;
  std::condition_variable cv;
  int64_t in_flight = 0, failed = 0, n = 0;
  for (auto _ : state) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return in_flight < window; });
      ++in_flight;
    }
    int s = static_cast<int>(n++ % kStreams);
    store->AppendAsync(Single(s, versions[s]++, Durability::kBuffered),
                       [&](Result<AppendResult> r) {
                         std::lock_guard<std::mutex> lock(mu);
                         if (!r.ok()) ++failed;
                         --in_flight;
                         cv.notify_one();
                       });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  if (failed > 0) state.SkipWithError("appends failed");
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_AppendPipelined)->Arg(1024)->Arg(8192)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Atomic appends of 100 events to one stream.
void BM_AppendBatch100(benchmark::State& state) {
  ScratchDir dir;
  auto store = OpenStore(dir.path());
  std::vector<EventData> events(100, EventData{.type = kEventType, .data = Payload()});
  uint64_t version = 0;
  for (auto _ : state) {
    auto r = store->Append("stream-0", ExpectedVersion::Exact(Version(version)), events,
                           Durability::kBuffered);
    if (!r.ok()) {
      state.SkipWithError("append failed");
      break;
    }
    version += 100;
  }
  state.SetItemsProcessed(static_cast<int64_t>(version));
}
BENCHMARK(BM_AppendBatch100)->Unit(benchmark::kMicrosecond)->UseRealTime();

// 16 threads, each on its own streams, each append acknowledged after the
// WAL sync: group commit turns their syncs into one.
std::unique_ptr<ScratchDir> g_dir;
std::unique_ptr<Store> g_store;
std::unique_ptr<RawLog> g_raw;

void SetUpShared(const benchmark::State&) {
  g_dir = std::make_unique<ScratchDir>();
  g_store = OpenStore(g_dir->path());
  g_raw = std::make_unique<RawLog>(g_dir->path() + "/raw");
}
void TearDownShared(const benchmark::State&) {
  g_store.reset();
  g_raw.reset();
  g_dir.reset();
}

void BM_AppendSync16Threads(benchmark::State& state) {
  const int stream = state.thread_index();
  uint64_t version = 0;
  for (auto _ : state) {
    if (!g_store->Append(Single(stream, version++, Durability::kSync)).ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(version));
}
BENCHMARK(BM_AppendSync16Threads)
    ->Threads(16)
    ->UseRealTime()
    ->Setup(SetUpShared)
    ->Teardown(TearDownShared)
    ->Unit(benchmark::kMicrosecond);

// Baselines: raw RocksDB, one WriteBatch per append.
void BM_RawRocksDbAppend(benchmark::State& state) {
  ScratchDir dir;
  RawLog raw(dir.path());
  std::vector<uint64_t> versions(kStreams, 0);
  int64_t n = 0;
  for (auto _ : state) {
    int s = static_cast<int>(n++ % kStreams);
    if (!raw.Append(StreamNames()[s], versions[s]++, kEventType, Payload(), /*sync=*/false)) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_RawRocksDbAppend)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_RawRocksDbAppendSync16Threads(benchmark::State& state) {
  const std::string& stream = StreamNames()[state.thread_index()];
  uint64_t version = 0;
  for (auto _ : state) {
    if (!g_raw->Append(stream, version++, kEventType, Payload(), /*sync=*/true)) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(version));
}
BENCHMARK(BM_RawRocksDbAppendSync16Threads)
    ->Threads(16)
    ->UseRealTime()
    ->Setup(SetUpShared)
    ->Teardown(TearDownShared)
    ->Unit(benchmark::kMicrosecond);

// The device: one thread writing 150 bytes and fdatasync'ing, in a loop.
void BM_FdatasyncSingleThread(benchmark::State& state) {
  ScratchDir dir;
  int fd = ::open((dir.path() + "/f").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::string record(150, 'r');
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
BENCHMARK(BM_FdatasyncSingleThread)->Unit(benchmark::kMicrosecond)->UseRealTime();

// R1: read one 10,000-event stream in order, decoded and verified.
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
  int64_t n = 0;
  for (auto _ : state) {
    auto it = store->ReadStream("stream-0");
    for (auto& events_it = *it; events_it->Valid(); events_it->Next()) {
      benchmark::DoNotOptimize(events_it->event().data.data());
      ++n;
    }
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_ReadStream)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace evlog::bench

BENCHMARK_MAIN();
