// Query benches: Store::Read(Query) by one tag over a large log (the #19
// target: one tag, 10 matches out of 1M events, from one thread), and what
// a tag costs an append.
//
//   build/bench/query_bench

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "evlog/store.h"

namespace evlog::bench {
namespace {

constexpr int64_t kEventsPerTag = 10;

std::string TagOf(int64_t i) { return "entity:" + std::to_string(i); }

// `n` standard events in 100-event appends; event i carries the tag
// TagOf(i % (n / kEventsPerTag)), so each tag has kEventsPerTag events
// spread over the whole log.
void Fill(Store& store, int64_t n) {
  const int64_t tags = n / kEventsPerTag;
  for (int64_t i = 0; i < n; i += 100) {
    std::vector<EventData> events;
    for (int64_t k = i; k < i + 100; ++k) {
      events.push_back(EventData{.type = kEventType, .data = Payload(), .tags = {TagOf(k % tags)}});
    }
    if (!store
             .Append(StreamNames()[(i / 100) % kStreams], ExpectedVersion::Any(), events,
                     Durability::kBuffered)
             .ok()) {
      std::abort();
    }
  }
}

// A filled store per (events, cache MiB, settled), kept for the process: Google
// Benchmark calls a bench several times to pick its iteration count, and a
// fill of 1M events takes far longer than the reads measured.
using FilledStores = std::map<std::tuple<int64_t, int64_t, bool>,
                              std::pair<std::unique_ptr<ScratchDir>, std::unique_ptr<Store>>>;

// Closed by main before it returns: a store closed from a static destructor
// runs after RocksDB's own statics are gone (it crashed at exit).
FilledStores& Stores() {
  static FilledStores stores;
  return stores;
}

// `settled`: compacted after the fill (as evlog-bench settles a store
// before R1 and R2), so each family is one sorted run.
Store& FilledStore(int64_t n, int64_t cache_mib, bool settled) {
  auto& slot = Stores()[{n, cache_mib, settled}];
  if (!slot.second) {
    slot.first = std::make_unique<ScratchDir>();
    auto opened = Store::Open(Options{.block_cache_bytes = static_cast<size_t>(cache_mib) << 20},
                              slot.first->path() + "/store");
    if (!opened.ok()) std::abort();
    slot.second = std::move(opened).value();
    Fill(*slot.second, n);
    if (settled && !slot.second->Compact().ok()) std::abort();
    // Each tag read once, so that a store whose cache holds it all is read
    // from the cache from the first measured query on (a short run, as
    // under callgrind, would otherwise count mostly block reads).
    for (int64_t t = 0; t < n / kEventsPerTag; ++t) {
      if (!slot.second->Read(Query{.items = {QueryItem{.tags = {TagOf(t)}}}}).ok()) std::abort();
    }
  }
  return *slot.second;
}

// One measured read of tag `t`: the query built, read and its result
// freed. Not inlined, so callgrind can count it alone
// (--toggle-collect='*MeasuredTagRead*').
[[gnu::noinline]] int64_t MeasuredTagRead(Store& store, int64_t t) {
  auto r = store.Read(Query{.items = {QueryItem{.tags = {TagOf(t)}}}});
  if (!r.ok() || r->events.size() != kEventsPerTag) std::abort();
  return static_cast<int64_t>(r->events.size());
}

// MeasuredTagRead through ReadEach: each event viewed where it was read,
// none copied (--toggle-collect='*MeasuredTagVisit*').
[[gnu::noinline]] int64_t MeasuredTagVisit(Store& store, int64_t t) {
  int64_t events = 0;
  auto head = store.ReadEach(Query{.items = {QueryItem{.tags = {TagOf(t)}}}}, {},
                             [&](const RecordedEvent& e) {
                               events += e.position.value() != 0;
                               return true;
                             });
  if (!head.ok() || events != kEventsPerTag) std::abort();
  return events;
}

// One thread reading the events of one random tag per query. Args: events
// in the log, block cache MiB, whether the store was compacted after the
// fill (0: read as the fill left it, memtable and L0 files included). The
// 100k store is for counting instructions per query under callgrind
// (docs/bench.md), where a fill of 1M events takes too long.
void OneTagReads(benchmark::State& state, int64_t (*measured_read)(Store&, int64_t)) {
  const int64_t n = state.range(0);
  Store& store = FilledStore(n, state.range(1), state.range(2) != 0);
  std::mt19937_64 rng(42);
  const int64_t tags = n / kEventsPerTag;
  int64_t events = 0;
  for (auto _ : state) events += measured_read(store, static_cast<int64_t>(rng() % tags));
  state.SetItemsProcessed(events);
  state.counters["queries_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
void BM_QueryOneTag(benchmark::State& state) { OneTagReads(state, MeasuredTagRead); }
BENCHMARK(BM_QueryOneTag)
    ->Args({1'000'000, 64, 0})
    ->Args({1'000'000, 1024, 0})
    ->Args({1'000'000, 1024, 1})
    ->Args({100'000, 1024, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// BM_QueryOneTag through ReadEach (no result, no copies). Same Args.
void BM_QueryOneTagEach(benchmark::State& state) { OneTagReads(state, MeasuredTagVisit); }
BENCHMARK(BM_QueryOneTagEach)
    ->Args({1'000'000, 1024, 1})
    ->Args({100'000, 1024, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// What a tag costs an append: one covering posting, a copy of the record,
// per tag. 100-event buffered appends as Fill's, each event with 0 or 1
// tag (Arg); reports events/s and the compacted store's bytes per event.
void BM_AppendTagged(benchmark::State& state) {
  const bool tagged = state.range(0) != 0;
  ScratchDir dir;
  auto opened = Store::Open(Options{}, dir.path() + "/store");
  if (!opened.ok()) std::abort();
  Store& store = **opened;
  int64_t i = 0;
  for (auto _ : state) {
    std::vector<EventData> events;
    for (int64_t k = i; k < i + 100; ++k) {
      events.push_back(EventData{.type = kEventType, .data = Payload()});
      if (tagged) events.back().tags = {TagOf(k % 100'000)};
    }
    if (!store
             .Append(StreamNames()[(i / 100) % kStreams], ExpectedVersion::Any(), events,
                     Durability::kBuffered)
             .ok()) {
      std::abort();
    }
    i += 100;
  }
  state.SetItemsProcessed(i);
  if (!store.Compact().ok()) std::abort();
  auto stats = store.Stats();
  if (!stats.ok()) std::abort();
  state.counters["disk_bytes_per_event"] =
      static_cast<double>(stats->disk_bytes) / static_cast<double>(std::max<int64_t>(i, 1));
}
BENCHMARK(BM_AppendTagged)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace evlog::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  evlog::bench::Stores().clear();
  return 0;
}
