// The format-2 chunk codecs (engine/chunk.h, issue #16 slice 2): round
// trips, and that every truncation, extension and flipped byte of a chunk is
// Corruption (never a crash: these run under ASan/UBSan in CI).

#include "chunk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "codec.h"
#include "testutil/store_fixture.h"

namespace evlog::chunk {
namespace {

constexpr int64_t kTime = 1'700'000'000'000'000;

// A record of `size` bytes whose content depends on `seed`.
std::string Bytes(size_t size, int seed) {
  std::string out;
  for (size_t i = 0; i < size; ++i) out.push_back(static_cast<char>(seed * 31 + i * 7 + 1));
  return out;
}

struct Built {
  std::vector<uint64_t> seqs;
  std::vector<std::string> records;
  std::string value;
  uint64_t key_last = 0;
};

// A chunk of `kind` holding a record at each of `seqs`, of assorted sizes
// (some multiples of 8, some not).
Built Build(ChunkKind kind, std::vector<uint64_t> seqs) {
  Built b;
  b.seqs = std::move(seqs);
  for (size_t i = 0; i < b.seqs.size(); ++i) b.records.push_back(Bytes(1 + (i * 5) % 19, int(i)));
  ChunkBuilder builder(kind);
  for (size_t i = 0; i < b.seqs.size(); ++i) {
    builder.Add(b.seqs[i], b.records[i], kTime + static_cast<int64_t>(i));
  }
  EXPECT_EQ(builder.ChunkBytes(), [&] {
    std::string s;
    ChunkBuilder copy(kind);
    for (size_t i = 0; i < b.seqs.size(); ++i) copy.Add(b.seqs[i], b.records[i], kTime);
    copy.Finish(&s);
    return s.size();
  }());
  builder.Finish(&b.value);
  b.key_last = b.seqs.back();
  return b;
}

// Whether the chunk parses and every record in it checks.
Status ReadWhole(std::string_view value, ChunkKind kind, uint64_t key_last) {
  ChunkView view;
  if (Status s = ParseChunk(value, kind, key_last, &view); !s.ok()) return s;
  for (size_t i = 0; i < view.n; ++i) {
    std::string_view record;
    if (Status s = ChunkRecord(view, i, &record); !s.ok()) return s;
  }
  return Status::OK();
}

TEST(Chunk, ALogChunkRoundTrips) {
  Built b = Build(ChunkKind::kLog, {41, 42, 43, 44, 45, 46, 47});
  ChunkView view;
  ASSERT_OK(ParseChunk(b.value, ChunkKind::kLog, 47, &view));
  EXPECT_EQ(view.first, 41u);
  EXPECT_EQ(view.span, 7u);
  EXPECT_EQ(view.n, 7u);
  EXPECT_EQ(view.last(), 47u);
  EXPECT_FALSE(view.sparse);
  EXPECT_EQ(view.max_us, kTime + 6);
  EXPECT_EQ(b.value.size() % 8, 0u);
  for (size_t i = 0; i < b.seqs.size(); ++i) {
    EXPECT_EQ(SlotSeq(view, i), b.seqs[i]);
    EXPECT_EQ(FindSlot(view, b.seqs[i]), static_cast<int>(i));
    std::string_view record;
    ASSERT_OK(ChunkRecord(view, i, &record));
    EXPECT_EQ(record, b.records[i]);
    EXPECT_EQ((record.data() - b.value.data()) % 8, 0) << "records start 8-aligned";
  }
  EXPECT_EQ(FindSlot(view, 40), -1);
  EXPECT_EQ(FindSlot(view, 48), -1);
  std::string_view record;
  EXPECT_TRUE(ChunkRecord(view, 7, &record).IsCorruption());
}

TEST(Chunk, AStreamChunkIsNotALogChunk) {
  Built b = Build(ChunkKind::kStream, {1, 2, 3});
  ChunkView view;
  ASSERT_OK(ParseChunk(b.value, ChunkKind::kStream, 3, &view));
  EXPECT_EQ(view.kind, ChunkKind::kStream);
  EXPECT_TRUE(ParseChunk(b.value, ChunkKind::kLog, 3, &view).IsCorruption());
}

TEST(Chunk, AOneRecordChunkIsKeyedByItsOnlySeq) {
  Built b = Build(ChunkKind::kLog, {9});
  ChunkView view;
  ASSERT_OK(ParseChunk(b.value, ChunkKind::kLog, 9, &view));
  EXPECT_EQ(view.first, 9u);
  EXPECT_EQ(view.span, 1u);
}

TEST(Chunk, PiecesConcatenateToTheFinishedChunk) {
  std::vector<std::string> records = {Bytes(8, 1), Bytes(13, 2), Bytes(1, 3), Bytes(16, 4)};
  ChunkBuilder builder(ChunkKind::kStream);
  for (size_t i = 0; i < records.size(); ++i) builder.Add(100 + i, records[i], kTime);
  std::vector<std::string_view> pieces;
  builder.Pieces(&pieces);
  std::string joined;
  for (std::string_view p : pieces) joined.append(p);
  std::string finished;
  builder.Finish(&finished);
  EXPECT_EQ(joined, finished);
  EXPECT_EQ(builder.ChunkBytes(), finished.size());
  EXPECT_EQ(builder.record_bytes(), 8u + 13 + 1 + 16);
  // The records are handed out, not copied.
  EXPECT_EQ(pieces[1].data(), records[0].data());
}

TEST(Chunk, ARecordAddedWithItsCrcBuildsTheSameChunk) {
  const std::vector<std::string> records = {Bytes(8, 1), Bytes(13, 2), Bytes(1, 3)};
  ChunkBuilder computed(ChunkKind::kLog), given(ChunkKind::kLog);
  for (size_t i = 0; i < records.size(); ++i) {
    computed.Add(10 + i, records[i], kTime);
    given.Add(10 + i, records[i], kTime, RecordCrc(records[i]));
  }
  std::string a, b;
  computed.Finish(&a);
  given.Finish(&b);
  EXPECT_EQ(a, b);
  // The CRC given is the one stored: a wrong one is a corrupt record.
  ChunkBuilder wrong(ChunkKind::kLog);
  wrong.Add(10, records[0], kTime, RecordCrc(records[0]) ^ 1);
  std::string c;
  wrong.Finish(&c);
  EXPECT_TRUE(ReadWhole(c, ChunkKind::kLog, 10).IsCorruption());
}

TEST(Chunk, ABuilderIsReusableAfterReset) {
  ChunkBuilder builder(ChunkKind::kLog);
  builder.Add(5, "abc", kTime);
  builder.Reset();
  EXPECT_TRUE(builder.empty());
  builder.Add(6, "defg", kTime);
  std::string value;
  builder.Finish(&value);
  ChunkView view;
  ASSERT_OK(ParseChunk(value, ChunkKind::kLog, 6, &view));
  EXPECT_EQ(view.first, 6u);
  EXPECT_EQ(view.n, 1u);
}

TEST(Chunk, RecordsAreWholeEventRecords) {
  std::vector<std::string> records;
  ChunkBuilder builder(ChunkKind::kLog);
  for (int i = 1; i <= 3; ++i) {
    std::string record;
    codec::EncodeEvent("order-" + std::to_string(i),
                       EventData{.type = "Placed", .data = std::string(i * 5, 'x')},
                       Uuid::Random(), &record);
    codec::PatchEvent(&record, Position(i), Version(1), kTime);
    records.push_back(std::move(record));
  }
  for (int i = 0; i < 3; ++i) builder.Add(i + 1, records[i], kTime);
  std::string value;
  builder.Finish(&value);
  ChunkView view;
  ASSERT_OK(ParseChunk(value, ChunkKind::kLog, 3, &view));
  codec::AlignedBuffer scratch;
  for (size_t i = 0; i < 3; ++i) {
    std::string_view record;
    ASSERT_OK(ChunkRecord(view, i, &record));
    RecordedEvent event;
    ASSERT_OK(codec::DecodeEvent(record, &scratch, &event));
    EXPECT_EQ(event.position, Position(i + 1));
    EXPECT_EQ(event.data.size(), 5 * (i + 1));
  }
}

TEST(Chunk, AKeyOtherThanTheLastSeqIsCorruption) {
  Built b = Build(ChunkKind::kLog, {10, 11, 12});
  ChunkView view;
  EXPECT_TRUE(ParseChunk(b.value, ChunkKind::kLog, 11, &view).IsCorruption());
  EXPECT_TRUE(ParseChunk(b.value, ChunkKind::kLog, 13, &view).IsCorruption());
  EXPECT_TRUE(ParseChunk(b.value, ChunkKind::kLog, 0, &view).IsCorruption());
}

TEST(Chunk, EveryTruncationAndExtensionIsCorruption) {
  for (const Built& b : {Build(ChunkKind::kLog, {1, 2, 3, 4, 5}), Build(ChunkKind::kStream, {7}),
                         Build(ChunkKind::kLog, {3, 5, 9})}) {
    for (size_t cut = 0; cut < b.value.size(); ++cut) {
      EXPECT_TRUE(ReadWhole(std::string_view(b.value).substr(0, cut),
                            ChunkKind(b.value[1]), b.key_last)
                      .IsCorruption())
          << "cut at " << cut;
    }
    for (char extra : {'\0', '\x01'}) {
      EXPECT_TRUE(ReadWhole(b.value + extra, ChunkKind(b.value[1]), b.key_last).IsCorruption());
      EXPECT_TRUE(
          ReadWhole(b.value + std::string(8, extra), ChunkKind(b.value[1]), b.key_last)
              .IsCorruption());
    }
  }
}

TEST(Chunk, EveryFlippedByteIsCorruption) {
  for (const Built& b : {Build(ChunkKind::kLog, {1, 2, 3, 4, 5}), Build(ChunkKind::kStream, {7}),
                         Build(ChunkKind::kLog, {3, 5, 9})}) {
    ASSERT_OK(ReadWhole(b.value, ChunkKind(b.value[1]), b.key_last));
    for (size_t i = 0; i < b.value.size(); ++i) {
      for (uint8_t mask : {0x01, 0x02, 0x10, 0x80, 0xff}) {
        std::string damaged = b.value;
        damaged[i] = static_cast<char>(damaged[i] ^ mask);
        EXPECT_TRUE(ReadWhole(damaged, ChunkKind(b.value[1]), b.key_last).IsCorruption())
            << "byte " << i << " ^ " << int(mask);
      }
    }
  }
}

TEST(Chunk, GarbageNeverParses) {
  uint64_t x = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string value;
    const size_t size = round % 200;
    for (size_t i = 0; i < size; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      value.push_back(static_cast<char>(x >> 56));
    }
    if (size >= 2) {
      value[0] = static_cast<char>(kEventsMagic);
      value[1] = 1;
    }
    EXPECT_FALSE(ReadWhole(value, ChunkKind::kLog, x % 1000).ok());
  }
}

TEST(Chunk, FindSlotOnASparseChunk) {
  Built b = Build(ChunkKind::kStream, {10, 12, 13, 17, 20});
  ChunkView view;
  ASSERT_OK(ParseChunk(b.value, ChunkKind::kStream, 20, &view));
  EXPECT_TRUE(view.sparse);
  EXPECT_EQ(view.first, 10u);
  EXPECT_EQ(view.span, 11u);
  EXPECT_EQ(view.n, 5u);
  const std::vector<int> expected = {0, -1, 1, 2, -1, -1, -1, 3, -1, -1, 4};
  for (uint64_t seq = 10; seq <= 20; ++seq) {
    EXPECT_EQ(FindSlot(view, seq), expected[seq - 10]) << seq;
  }
  EXPECT_EQ(FindSlot(view, 9), -1);
  EXPECT_EQ(FindSlot(view, 21), -1);
  EXPECT_EQ(LowerSlot(view, 1), 0u);
  EXPECT_EQ(LowerSlot(view, 11), 1u);
  EXPECT_EQ(LowerSlot(view, 14), 3u);
  EXPECT_EQ(LowerSlot(view, 20), 4u);
  EXPECT_EQ(LowerSlot(view, 21), 5u);
}

TEST(Chunk, RewriteChunkKeepsTheRangeAndTheKeptBytes) {
  Built b = Build(ChunkKind::kLog, {31, 32, 33, 34, 35, 36});
  ChunkView view;
  ASSERT_OK(ParseChunk(b.value, ChunkKind::kLog, 36, &view));
  const std::string trimmed = RewriteChunk(view, {false, false, true, false, true, true});
  ChunkView cut;
  ASSERT_OK(ParseChunk(trimmed, ChunkKind::kLog, 36, &cut));
  EXPECT_TRUE(cut.sparse);
  EXPECT_EQ(cut.first, 31u);
  EXPECT_EQ(cut.span, 6u);
  EXPECT_EQ(cut.n, 3u);
  EXPECT_EQ(cut.max_us, view.max_us);
  EXPECT_EQ(FindSlot(cut, 31), -1);
  EXPECT_EQ(FindSlot(cut, 34), -1);
  const std::vector<size_t> kept = {2, 4, 5};
  for (size_t k = 0; k < kept.size(); ++k) {
    EXPECT_EQ(FindSlot(cut, b.seqs[kept[k]]), static_cast<int>(k));
    std::string_view record;
    ASSERT_OK(ChunkRecord(cut, k, &record));
    EXPECT_EQ(record, b.records[kept[k]]);
  }
  // Rewritten again, down to its last record.
  const std::string last = RewriteChunk(cut, {false, false, true});
  ChunkView one;
  ASSERT_OK(ParseChunk(last, ChunkKind::kLog, 36, &one));
  EXPECT_EQ(one.n, 1u);
  EXPECT_EQ(SlotSeq(one, 0), 36u);
  // Keeping everything gives the chunk back as it was.
  EXPECT_EQ(RewriteChunk(view, std::vector<bool>(6, true)), b.value);
}

TEST(Chunk, ARewrittenChunkStillCatchesEveryFlippedByte) {
  Built b = Build(ChunkKind::kStream, {1, 2, 3, 4});
  ChunkView view;
  ASSERT_OK(ParseChunk(b.value, ChunkKind::kStream, 4, &view));
  const std::string trimmed = RewriteChunk(view, {false, true, false, true});
  for (size_t i = 0; i < trimmed.size(); ++i) {
    std::string damaged = trimmed;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x04);
    EXPECT_TRUE(ReadWhole(damaged, ChunkKind::kStream, 4).IsCorruption()) << "byte " << i;
  }
}

// ---- One-record chunks (ParseChunkOfOne) ------------------------------------

// ParseChunk, then ChunkRecord for a chunk of one record: what
// ParseChunkOfOne must agree with.
Status ReferenceOfOne(std::string_view value, ChunkKind kind, uint64_t key_last, ChunkView* view,
                      std::string_view* record) {
  *record = {};
  Status s = ParseChunk(value, kind, key_last, view);
  if (!s.ok() || view->n != 1) return s;
  return ChunkRecord(*view, 0, record);
}

// `value` copied to `offset` bytes past an 8-aligned address.
struct Placed {
  Placed(std::string_view value, size_t offset) : words((value.size() + offset + 7) / 8 + 1) {
    char* at = reinterpret_cast<char*>(words.data()) + offset;
    std::copy(value.begin(), value.end(), at);
    bytes = std::string_view(at, value.size());
  }
  std::vector<uint64_t> words;
  std::string_view bytes;
};

// ParseChunkOfOne at every alignment: the same status (message included)
// as the reference, and on OK the same view and record bytes, the record
// 8-aligned in memory.
void ExpectOfOneAgrees(std::string_view value, ChunkKind kind, uint64_t key_last,
                       const std::string& what) {
  for (size_t offset = 0; offset < 8; ++offset) {
    const Placed placed(value, offset);
    ChunkView expected_view, view;
    std::string_view expected_record, record;
    const Status expected =
        ReferenceOfOne(placed.bytes, kind, key_last, &expected_view, &expected_record);
    std::vector<uint64_t> aligned;
    const Status s = ParseChunkOfOne(placed.bytes, kind, key_last, &view, &aligned, &record);
    ASSERT_EQ(s.ToString(), expected.ToString()) << what << " at offset " << offset;
    if (!s.ok()) continue;
    EXPECT_EQ(record, expected_record) << what << " at offset " << offset;
    if (!record.empty()) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(record.data()) % 8, 0u) << what;
    }
    EXPECT_EQ(view.kind, expected_view.kind);
    EXPECT_EQ(view.sparse, expected_view.sparse);
    EXPECT_EQ(view.first, expected_view.first);
    EXPECT_EQ(view.span, expected_view.span);
    EXPECT_EQ(view.n, expected_view.n);
    EXPECT_EQ(view.max_us, expected_view.max_us);
    EXPECT_EQ(view.value.data(), placed.bytes.data());
    EXPECT_EQ(view.offsets, expected_view.offsets) << what;
  }
}

// One-record chunks: records of every padding (1..17 bytes), a standard
// event's size and a long one, a sparse one left by a trim, of both kinds.
std::vector<Built> OneRecordChunks() {
  std::vector<Built> out;
  for (size_t size : {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 236, 240, 700}) {
    Built b;
    b.seqs = {size + 4};
    b.records = {Bytes(size, static_cast<int>(size))};
    ChunkBuilder builder(size % 2 == 0 ? ChunkKind::kStream : ChunkKind::kLog);
    builder.Add(b.seqs[0], b.records[0], kTime);
    builder.Finish(&b.value);
    b.key_last = b.seqs[0];
    out.push_back(std::move(b));
  }
  Built wide = Build(ChunkKind::kStream, {3, 4, 5});
  ChunkView view;
  EXPECT_OK(ParseChunk(wide.value, ChunkKind::kStream, 5, &view));
  Built sparse;
  sparse.seqs = {5};
  sparse.records = {wide.records[2]};
  sparse.value = RewriteChunk(view, {false, false, true});
  sparse.key_last = 5;
  out.push_back(std::move(sparse));
  return out;
}

TEST(ChunkOfOne, ReadsTheRecordAsParseChunkAndChunkRecordDo) {
  for (const Built& b : OneRecordChunks()) {
    ChunkView view;
    std::vector<uint64_t> aligned;
    std::string_view record;
    ASSERT_OK(
        ParseChunkOfOne(b.value, ChunkKind(b.value[1]), b.key_last, &view, &aligned, &record));
    EXPECT_EQ(record, b.records[0]);
    ExpectOfOneAgrees(b.value, ChunkKind(b.value[1]), b.key_last,
                      std::to_string(b.records[0].size()) + "-byte record");
  }
}

TEST(ChunkOfOne, AChunkOfMoreRecordsParsesWithoutARecord) {
  Built b = Build(ChunkKind::kStream, {1, 2, 3});
  ChunkView view;
  std::vector<uint64_t> aligned;
  std::string_view record = "stale";
  ASSERT_OK(ParseChunkOfOne(b.value, ChunkKind::kStream, 3, &view, &aligned, &record));
  EXPECT_TRUE(record.empty());
  EXPECT_EQ(view.n, 3u);
  ExpectOfOneAgrees(b.value, ChunkKind::kStream, 3, "three records");
}

TEST(ChunkOfOne, EveryFlippedByteIsCorruptionAsInTheGeneralPath) {
  for (const Built& b : OneRecordChunks()) {
    const ChunkKind kind = ChunkKind(b.value[1]);
    for (size_t i = 0; i < b.value.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80, 0xff}) {
        std::string damaged = b.value;
        damaged[i] = static_cast<char>(damaged[i] ^ mask);
        ChunkView view;
        std::vector<uint64_t> aligned;
        std::string_view record;
        EXPECT_TRUE(
            ParseChunkOfOne(damaged, kind, b.key_last, &view, &aligned, &record).IsCorruption())
            << b.records[0].size() << "-byte record, byte " << i << " ^ " << int(mask);
        if (i % 7 == 0 || i < 48) {
          ExpectOfOneAgrees(damaged, kind, b.key_last, "byte " + std::to_string(i));
        }
      }
    }
  }
}

TEST(ChunkOfOne, EveryTruncationExtensionWrongKeyAndKindIsCorruption) {
  for (const Built& b : OneRecordChunks()) {
    const ChunkKind kind = ChunkKind(b.value[1]);
    const ChunkKind other = kind == ChunkKind::kLog ? ChunkKind::kStream : ChunkKind::kLog;
    std::vector<std::pair<std::string, std::string>> cases;
    for (size_t cut = 0; cut < b.value.size(); ++cut) {
      cases.emplace_back("cut at " + std::to_string(cut), b.value.substr(0, cut));
    }
    for (char extra : {'\0', '\x01'}) {
      cases.emplace_back("one more byte", b.value + extra);
      cases.emplace_back("eight more bytes", b.value + std::string(8, extra));
    }
    for (const auto& [what, value] : cases) {
      ChunkView view;
      std::vector<uint64_t> aligned;
      std::string_view record;
      EXPECT_TRUE(ParseChunkOfOne(value, kind, b.key_last, &view, &aligned, &record).IsCorruption())
          << what;
      ExpectOfOneAgrees(value, kind, b.key_last, what);
    }
    for (uint64_t key : {b.key_last - 1, b.key_last + 1, uint64_t{0}}) {
      ExpectOfOneAgrees(b.value, kind, key, "key " + std::to_string(key));
    }
    ChunkView view;
    std::vector<uint64_t> aligned;
    std::string_view record;
    EXPECT_TRUE(
        ParseChunkOfOne(b.value, other, b.key_last, &view, &aligned, &record).IsCorruption());
  }
}

// ---- Postings ---------------------------------------------------------------

TEST(Postings, RoundTrip) {
  const std::vector<std::vector<uint64_t>> cases = {
      {1}, {5, 6, 7}, {3, 200, 70000, 1ull << 40}, {(1ull << 63) + 5, ~0ull}};
  for (const auto& positions : cases) {
    const std::string value = EncodePostings(positions);
    std::vector<uint64_t> decoded = {99};
    ASSERT_OK(DecodePostings(value, positions.back(), &decoded));
    EXPECT_EQ(decoded, positions);
  }
  std::vector<uint64_t> many;
  for (uint64_t p = 1000; many.size() < 256; p += 1 + many.size() % 9) many.push_back(p);
  std::vector<uint64_t> decoded;
  ASSERT_OK(DecodePostings(EncodePostings(many), many.back(), &decoded));
  EXPECT_EQ(decoded, many);
}

// Positions are stored relative to the key, which decides them (RocksDB's
// block checksums cover keys): under another key they read shifted, and a
// key below the first position's distance from the last is Corruption.
TEST(Postings, PositionsAreRelativeToTheKey) {
  const std::string value = EncodePostings({4, 8, 15});
  std::vector<uint64_t> decoded;
  ASSERT_OK(DecodePostings(value, 16, &decoded));
  EXPECT_EQ(decoded, (std::vector<uint64_t>{5, 9, 16}));
  EXPECT_TRUE(DecodePostings(value, 11, &decoded).IsCorruption());
  EXPECT_TRUE(DecodePostings(value, 3, &decoded).IsCorruption());
}

TEST(Postings, EveryTruncationAndFlippedByteIsCorruption) {
  const std::vector<uint64_t> positions = {2, 3, 300, 301, 100000};
  const std::string value = EncodePostings(positions);
  std::vector<uint64_t> decoded;
  for (size_t cut = 0; cut < value.size(); ++cut) {
    EXPECT_TRUE(DecodePostings(value.substr(0, cut), 100000, &decoded).IsCorruption()) << cut;
  }
  EXPECT_TRUE(DecodePostings(value + '\0', 100000, &decoded).IsCorruption());
  for (size_t i = 0; i < value.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string damaged = value;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      EXPECT_TRUE(DecodePostings(damaged, 100000, &decoded).IsCorruption())
          << "byte " << i << " ^ " << int(mask);
    }
  }
}

// ---- Ids --------------------------------------------------------------------

TEST(Ids, IdsChunkRoundTrips) {
  std::vector<IdEntry> entries;
  for (uint64_t p : {1001, 1002, 1010, 1250}) entries.push_back({p, Uuid::Random()});
  const std::string value = EncodeIds(1256, kTime, entries);
  int64_t commit_us = 0;
  std::vector<IdEntry> decoded;
  ASSERT_OK(DecodeIds(value, 1256, &commit_us, &decoded));
  EXPECT_EQ(commit_us, kTime);
  EXPECT_EQ(decoded, entries);
  // The key decides the positions: under another key they read shifted, or
  // below 1.
  ASSERT_OK(DecodeIds(value, 1257, &commit_us, &decoded));
  EXPECT_EQ(decoded[0].position, 1002u);
  EXPECT_TRUE(DecodeIds(value, 255, &commit_us, &decoded).IsCorruption());
}

TEST(Ids, EveryTruncationAndFlippedByteIsCorruption) {
  const std::string value =
      EncodeIds(50, kTime, {{40, Uuid::Random()}, {41, Uuid::Random()}, {50, Uuid::Random()}});
  int64_t commit_us = 0;
  std::vector<IdEntry> decoded;
  for (size_t cut = 0; cut < value.size(); ++cut) {
    EXPECT_TRUE(DecodeIds(value.substr(0, cut), 50, &commit_us, &decoded).IsCorruption()) << cut;
  }
  EXPECT_TRUE(DecodeIds(value + '\0', 50, &commit_us, &decoded).IsCorruption());
  for (size_t i = 0; i < value.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string damaged = value;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      EXPECT_TRUE(DecodeIds(damaged, 50, &commit_us, &decoded).IsCorruption())
          << "byte " << i << " ^ " << int(mask);
    }
  }
}

TEST(Ids, AChunkOfOneKindIsRefusedAsAnother) {
  int64_t commit_us = 0;
  std::vector<IdEntry> ids;
  std::vector<uint64_t> positions;
  EXPECT_TRUE(DecodeIds(EncodePostings({7}), 7, &commit_us, &ids).IsCorruption());
  EXPECT_TRUE(DecodePostings(EncodeIds(7, kTime, {{7, Uuid::Random()}}), 7, &positions)
                  .IsCorruption());
  ChunkView view;
  EXPECT_TRUE(ParseChunk(EncodePostings({7}), ChunkKind::kLog, 7, &view).IsCorruption());
}

}  // namespace
}  // namespace evlog::chunk
