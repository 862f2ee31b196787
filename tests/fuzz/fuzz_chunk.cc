// libFuzzer target: format 2's chunk decoders (engine/chunk.h) on arbitrary
// values, as RocksDB could hand back after corruption. The first byte picks
// the kind (1 log, 2 stream, 3 postings, 4 ids), the next 8 (little-endian)
// the key's position, the rest is the value. Nothing may crash or read out
// of bounds; a value that decodes must survive what its users will do with
// it: every record read, slots searched, a sparse rewrite that parses again
// with the same records, postings and ids that re-encode to the same list.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "chunk.h"

namespace {

using namespace evlog::chunk;

void Events(std::string_view value, ChunkKind kind, uint64_t key) {
  ChunkView view;
  if (!ParseChunk(value, kind, key, &view).ok()) return;
  std::vector<bool> keep(view.n);
  std::vector<std::string_view> records(view.n);
  bool all_good = true;
  for (size_t i = 0; i < view.n; ++i) {
    if (FindSlot(view, SlotSeq(view, i)) != static_cast<int>(i)) std::abort();
    if (LowerSlot(view, SlotSeq(view, i)) != i) std::abort();
    all_good = ChunkRecord(view, i, &records[i]).ok() && all_good;
    keep[i] = i % 2 == 1 || i + 1 == view.n;
  }
  FindSlot(view, view.first - 1);
  FindSlot(view, view.last() + 1);
  const std::string cut = RewriteChunk(view, keep);
  ChunkView again;
  if (!ParseChunk(cut, kind, key, &again).ok()) std::abort();
  if (!all_good) return;
  for (size_t i = 0, k = 0; i < view.n; ++i) {
    if (!keep[i]) continue;
    std::string_view record;
    if (!ChunkRecord(again, k, &record).ok() || record != records[i]) std::abort();
    ++k;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) return 0;
  uint64_t key = 0;
  for (int i = 0; i < 8; ++i) key |= static_cast<uint64_t>(data[1 + i]) << (8 * i);
  const std::string_view value(reinterpret_cast<const char*>(data) + 9, size - 9);
  switch (data[0] % 4) {
    case 0:
      Events(value, ChunkKind::kLog, key);
      break;
    case 1:
      Events(value, ChunkKind::kStream, key);
      break;
    case 2: {
      std::vector<uint64_t> positions, back;
      if (!DecodePostings(value, key, &positions).ok()) break;
      if (!DecodePostings(EncodePostings(positions), key, &back).ok() || back != positions) {
        std::abort();
      }
      break;
    }
    case 3: {
      int64_t commit_us = 0;
      std::vector<IdEntry> entries;
      if (!DecodeIds(value, key, &commit_us, &entries).ok()) break;
      if (EncodeIds(key, commit_us, entries) != value) std::abort();
      break;
    }
  }
  return 0;
}
