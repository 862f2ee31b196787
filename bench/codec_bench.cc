// Micro benches of the engine's inner pieces: the record codec (encode,
// verify + decode) and key encoding. They reach into the engine's private
// headers, as its own tests do.
//
//   build/bench/codec_bench

#include <benchmark/benchmark.h>

#include <string>

#include "bench_util.h"
#include "codec.h"
#include "keys.h"

namespace evlog::bench {
namespace {

EventData StandardEvent() { return EventData{.type = kEventType, .data = Payload()}; }

// Encoding a standard event at submit time, then patching in its commit
// fields, as the writer does.
void BM_CodecEncode(benchmark::State& state) {
  const EventData event = StandardEvent();
  const Uuid id = Uuid::Random();
  std::string record;
  uint64_t n = 0;
  for (auto _ : state) {
    record.clear();
    codec::EncodeEvent("stream-42", event, id, &record);
    ++n;
    codec::PatchEvent(&record, Position(n), Version(n), 1'700'000'000'000'000);
    benchmark::DoNotOptimize(record.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(record.size()));
}
BENCHMARK(BM_CodecEncode);

// Verifying and decoding a record, aligned (as most reads are) and
// unaligned (copied into the scratch buffer first).
void BM_CodecVerifyDecode(benchmark::State& state) {
  std::string record;
  codec::EncodeEvent("stream-42", StandardEvent(), Uuid::Random(), &record);
  codec::PatchEvent(&record, Position(7), Version(3), 1'700'000'000'000'000);
  std::string storage(record.size() + 8, '\0');
  const size_t offset = static_cast<size_t>(state.range(0));
  storage.replace(offset, record.size(), record);
  const std::string_view bytes(storage.data() + offset, record.size());
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  for (auto _ : state) {
    if (!codec::DecodeEvent(bytes, &scratch, &event).ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(event.data.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CodecVerifyDecode)->Arg(0)->Arg(3);

void BM_KeyLog(benchmark::State& state) {
  uint64_t n = 0;
  Position parsed;
  for (auto _ : state) {
    std::string key = keys::LogKey(Position(++n));
    benchmark::DoNotOptimize(keys::ParseLogKey(key, &parsed));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyLog);

void BM_KeyStream(benchmark::State& state) {
  uint64_t n = 0, id = 0;
  Version version;
  for (auto _ : state) {
    std::string key = keys::StreamKey(42, Version(++n));
    benchmark::DoNotOptimize(keys::ParseStreamKey(key, &id, &version));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyStream);

void BM_KeyIndex(benchmark::State& state) {
  uint64_t n = 0;
  Position parsed;
  for (auto _ : state) {
    std::string key = keys::IndexKey("ItemAdded", Position(++n));
    benchmark::DoNotOptimize(keys::ParseIndexKey(key, &parsed));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyIndex);

}  // namespace
}  // namespace evlog::bench

BENCHMARK_MAIN();
