// Micro benches of the engine's inner pieces: the record codec (encode,
// verify + decode), format 2's events chunks (build; parse + read every
// record), key encoding and the writer's window of caller ids. They reach
// into the engine's private headers, as its own tests do.
//
//   build/bench/codec_bench

#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bench_util.h"
#include "chunk.h"
#include "codec.h"
#include "crc32c.h"
#include "id_window.h"
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

// `n` standard records, committed at positions 1..n.
std::vector<std::string> StandardRecords(size_t n) {
  std::vector<std::string> records(n);
  for (size_t i = 0; i < n; ++i) {
    codec::EncodeEvent("stream-42", StandardEvent(), Uuid::Random(), &records[i]);
    codec::PatchEvent(&records[i], Position(i + 1), Version(i + 1), 1'700'000'000'000'000);
  }
  return records;
}

// Building an events chunk of range(0) standard records, as the writer will
// for each log chunk: Finish into a reused string (range(1) 0), or only the
// header and the pieces for a SliceParts Put (range(1) 1). Items: records.
void BM_ChunkBuild(benchmark::State& state) {
  const std::vector<std::string> records = StandardRecords(static_cast<size_t>(state.range(0)));
  const bool pieces_only = state.range(1) == 1;
  chunk::ChunkBuilder builder(chunk::ChunkKind::kLog);
  std::string value;
  std::vector<std::string_view> pieces;
  for (auto _ : state) {
    builder.Reset();
    for (size_t i = 0; i < records.size(); ++i) {
      builder.Add(i + 1, records[i], 1'700'000'000'000'000);
    }
    if (pieces_only) {
      builder.Pieces(&pieces);
      benchmark::DoNotOptimize(pieces.data());
    } else {
      value.clear();
      builder.Finish(&value);
      benchmark::DoNotOptimize(value.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ChunkBuild)->Args({1, 0})->Args({16, 0})->Args({256, 0})->Args({256, 1});

// Parsing an events chunk of range(0) standard records and reading every
// record as a reader will: ChunkRecord (its CRC) then DecodeEvent (the
// FlatBuffers verifier). The chunk sits 8-aligned, as after the reader's
// one copy of an unaligned value. Items: records, so the figure compares
// with BM_CodecVerifyDecode/0 per event.
void BM_ChunkParseAndRead(benchmark::State& state) {
  const std::vector<std::string> records = StandardRecords(static_cast<size_t>(state.range(0)));
  chunk::ChunkBuilder builder(chunk::ChunkKind::kLog);
  for (size_t i = 0; i < records.size(); ++i) builder.Add(i + 1, records[i], 0);
  std::string value;
  builder.Finish(&value);
  codec::AlignedBuffer aligned;
  const char* base = reinterpret_cast<const char*>(aligned.Assign(value));
  const std::string_view chunk_bytes(base, value.size());
  chunk::ChunkView view;
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  for (auto _ : state) {
    if (!chunk::ParseChunk(chunk_bytes, chunk::ChunkKind::kLog, records.size(), &view).ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    for (size_t i = 0; i < view.n; ++i) {
      std::string_view record;
      if (!chunk::ChunkRecord(view, i, &record).ok() ||
          !codec::DecodeEvent(record, &scratch, &event).ok()) {
        state.SkipWithError("read failed");
        return;
      }
      benchmark::DoNotOptimize(event.data.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ChunkParseAndRead)->Arg(1)->Arg(16)->Arg(256);

// A stream chunk of one record (R1's shape: one per append and stream)
// read as StreamIterator reads it, at range(0) bytes past an 8-aligned
// address (RocksDB's values lie anywhere): ParseChunk + ChunkRecord +
// DecodeEvent (range(1) 0; the record copied by DecodeEvent when
// misaligned), or ParseChunkOfOne + DecodeEvent (range(1) 1; both CRCs in
// one pass, the copy made as the CRC reads). Items: records.
void BM_ChunkOfOneRead(benchmark::State& state) {
  const std::vector<std::string> records = StandardRecords(1);
  chunk::ChunkBuilder builder(chunk::ChunkKind::kStream);
  builder.Add(1, records[0], 0);
  std::string value;
  builder.Finish(&value);
  const size_t offset = static_cast<size_t>(state.range(0));
  std::vector<uint64_t> storage((value.size() + offset + 7) / 8);
  char* base = reinterpret_cast<char*>(storage.data()) + offset;
  std::memcpy(base, value.data(), value.size());
  const std::string_view chunk_bytes(base, value.size());
  const bool fused = state.range(1) == 1;
  chunk::ChunkView view;
  std::vector<uint64_t> aligned;
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  for (auto _ : state) {
    std::string_view record;
    Status s = fused ? chunk::ParseChunkOfOne(chunk_bytes, chunk::ChunkKind::kStream, 1, &view,
                                              &aligned, &record)
                     : chunk::ParseChunk(chunk_bytes, chunk::ChunkKind::kStream, 1, &view);
    if (s.ok() && !fused) s = chunk::ChunkRecord(view, 0, &record);
    if (s.ok()) s = codec::DecodeEvent(record, &scratch, &event);
    if (!s.ok()) {
      state.SkipWithError("read failed");
      break;
    }
    benchmark::DoNotOptimize(event.data.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ChunkOfOneRead)->Args({0, 0})->Args({3, 0})->Args({0, 1})->Args({3, 1});

// CRC-32C of range(0) bytes (a standard record is about 240), on the path
// the CPU takes (label: sse4.2 or table). Each CRC continues the previous
// one, so the figure is latency, as a reader waits for it, not throughput.
void BM_Crc32c(benchmark::State& state) {
  const std::string bytes(static_cast<size_t>(state.range(0)), 'p');
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = crc32c::Extend(crc, bytes.data(), bytes.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel(crc32c::IsHardwareAccelerated() ? "sse4.2" : "table");
}
BENCHMARK(BM_Crc32c)->Arg(24)->Arg(240)->Arg(4096);

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

// The writer's idempotency window, full and in its steady state: each
// iteration asks for a new id's candidates (a miss, as for nearly every
// append) and adds it, which evicts the oldest. Arg: the window in ids;
// the default of 1,000,000 holds more than the caches.
void BM_IdWindowMissAndAdd(benchmark::State& state) {
  const auto window = static_cast<uint64_t>(state.range(0));
  constexpr int64_t kDayUs = 86'400'000'000;
  // Distinct ids, cheap to make: the window hashes them with its seed.
  const auto id_of = [](uint64_t n) {
    std::array<uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &n, sizeof n);
    return Uuid(bytes);
  };
  IdWindow w(window, kDayUs, /*seed=*/42);
  uint64_t position = 0;
  for (; position < window; ++position) w.Add(id_of(position), position + 1, 0);
  std::vector<uint64_t> candidates;
  for (auto _ : state) {
    const Uuid id = id_of(position);
    w.Candidates(id, position, 0, &candidates);
    ++position;
    w.Add(id, position, 0);
    benchmark::DoNotOptimize(candidates.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_id"] =
      static_cast<double>(w.MemoryBytes()) / static_cast<double>(w.size());
}
BENCHMARK(BM_IdWindowMissAndAdd)->Arg(10'000)->Arg(1'000'000);

}  // namespace
}  // namespace evlog::bench

BENCHMARK_MAIN();
