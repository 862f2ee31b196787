// Chunk boundaries of storage format 2 (docs/plans/format2.md, §1.5, §1.6,
// §5): `log` holds one chunk per group commit (or per bounded piece of it),
// keyed by its last position; `stream` one per (append, stream), keyed by
// the stream id and its last version. Reads start inside chunks and cross
// them in both directions, trims and count rules cut them, and damage to
// any byte of one is Corruption.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "chunk.h"
#include "evlog/change_feed.h"
#include "keys.h"
#include "testutil/raw_rocks.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using testutil::Positions;
using testutil::Range;

// The log's chunks as (key position, first, span, records present).
struct ChunkInfo {
  uint64_t last, first, span, n;
};
std::vector<ChunkInfo> LogChunks(const std::string& path) {
  std::vector<ChunkInfo> out;
  testutil::WithRawFamily(path, "log", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), cf));
    chunk::ChunkView view;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      Position last;
      ASSERT_TRUE(keys::ParseLogKey(it->key().ToStringView(), &last));
      ASSERT_TRUE(
          chunk::ParseChunk(it->value().ToStringView(), chunk::ChunkKind::kLog, last.value(), &view)
              .ok());
      out.push_back({last.value(), view.first, view.span, view.n});
    }
  });
  return out;
}

// The stream table's chunks as (key version, first, span, records
// present), of every stream in key order.
std::vector<ChunkInfo> StreamChunks(const std::string& path) {
  std::vector<ChunkInfo> out;
  testutil::WithRawFamily(path, "stream", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), cf));
    chunk::ChunkView view;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      uint64_t id = 0;
      Version last;
      ASSERT_TRUE(keys::ParseStreamKey(it->key().ToStringView(), &id, &last));
      ASSERT_TRUE(chunk::ParseChunk(it->value().ToStringView(), chunk::ChunkKind::kStream,
                                    last.value(), &view)
                      .ok());
      out.push_back({last.value(), view.first, view.span, view.n});
    }
  });
  return out;
}

std::vector<uint64_t> Versions(const std::vector<OwnedEvent>& events) {
  std::vector<uint64_t> out;
  for (const OwnedEvent& e : events) out.push_back(e.version.value());
  return out;
}

// last, last - 1, ..., first.
std::vector<uint64_t> Down(uint64_t last, uint64_t first) {
  std::vector<uint64_t> out;
  for (uint64_t v = last; v >= first && v > 0; --v) out.push_back(v);
  return out;
}

class ChunkBoundary : public testutil::StoreTest {
 protected:
  void ExpectEveryFlippedStreamChunkByteIsCorruption(size_t per_chunk);

  std::vector<uint64_t> ReadPositions(ReadAllOptions options = {}) {
    options.include_system = false;
    return Positions(ReadAll(options));
  }

  // The versions a read of `stream` returns, and its status.
  Status ReadStreamStatus(const std::string& stream, const ReadStreamOptions& options,
                          std::vector<uint64_t>* versions) {
    auto it = store_->ReadStream(stream, options);
    if (!it.ok()) return it.status();
    for (; (*it)->Valid(); (*it)->Next()) versions->push_back((*it)->event().version.value());
    return (*it)->status();
  }

  std::vector<uint64_t> StreamVersions(const std::string& stream, ReadStreamOptions options = {}) {
    return Versions(ReadStream(stream, options));
  }

  std::vector<uint64_t> Backward(const std::string& stream, ReadStreamOptions options = {}) {
    options.direction = Direction::kBackward;
    return StreamVersions(stream, options);
  }
};

TEST_F(ChunkBoundary, AGroupIsOneLogChunkKeyedByItsLastPosition) {
  AppendChunk("a-1", 10);
  AppendChunk("a-1", 1);
  store_.reset();
  std::vector<ChunkInfo> chunks = LogChunks(path());
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].last, 10u);
  EXPECT_EQ(chunks[0].first, 1u);
  EXPECT_EQ(chunks[0].n, 10u);
  EXPECT_EQ(chunks[1].last, 11u);
  EXPECT_EQ(chunks[1].first, 11u);
}

TEST_F(ChunkBoundary, AGroupBeyondTheBoundIsSplitIntoChunks) {
  AppendChunk("a-1", chunk::kMaxChunkEvents * 2 + 3);
  store_.reset();
  std::vector<ChunkInfo> chunks = LogChunks(path());
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].span, chunk::kMaxChunkEvents);
  EXPECT_EQ(chunks[1].first, chunk::kMaxChunkEvents + 1);
  EXPECT_EQ(chunks[2].last, chunk::kMaxChunkEvents * 2 + 3);
  Reopen();
  EXPECT_EQ(ReadPositions(), Range(1, chunk::kMaxChunkEvents * 2 + 3));
  testutil::ExpectVerifiesClean(*store_);
}

TEST_F(ChunkBoundary, AReadThatStartsMidChunkBeginsAtItsPosition) {
  AppendChunk("a-1", 10);  // 1..10
  AppendChunk("b-1", 5);   // 11..15
  for (bool reopened : {false, true}) {
    if (reopened) Reopen();  // from the tables, not the memtable
    EXPECT_EQ(ReadPositions({.from = Position(4)}), Range(4, 15));
    EXPECT_EQ(ReadPositions({.from = Position(10)}), Range(10, 15));
    EXPECT_EQ(ReadPositions({.from = Position(12), .max_count = 2}), Range(12, 13));
    EXPECT_EQ(ReadPositions({.from = Position(16)}), std::vector<uint64_t>{});
    // Category reads fetch each event from its chunk.
    EXPECT_EQ(ReadPositions({.from = Position(7), .category = "a"}), Range(7, 10));
    EXPECT_EQ(ReadPositions({.from = Position(3), .max_count = 9, .event_type = "T"}),
              Range(3, 11));
  }
}

TEST_F(ChunkBoundary, ATrimThatCutsAChunkHidesThenReclaimsOnlyItsHead) {
  AppendChunk("a-1", 10);  // 1..10, one chunk
  AppendChunk("b-1", 2);   // 11..12
  ASSERT_OK(store_->TrimStream("a-1", {.before = Version(4), .require_snapshot = false}));
  EXPECT_EQ(ReadPositions(), Range(4, 12));
  EXPECT_EQ(ReadPositions({.from = Position(2)}), Range(4, 12));

  ASSERT_OK(store_->Compact());
  EXPECT_EQ(ReadPositions(), Range(4, 12));
  EXPECT_EQ(ReadPositions({.category = "a"}), Range(4, 10));
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  EXPECT_EQ(report->reclaimed, 3u);
  store_.reset();
  // The chunk keeps its key and range and lost only its first three records.
  std::vector<ChunkInfo> chunks = LogChunks(path());
  ASSERT_GE(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].last, 10u);
  EXPECT_EQ(chunks[0].first, 1u);
  EXPECT_EQ(chunks[0].span, 10u);
  EXPECT_EQ(chunks[0].n, 7u);
  Reopen();
  EXPECT_EQ(ReadPositions({.from = Position(1)}), Range(4, 12));
}

TEST_F(ChunkBoundary, MaxCountMovingThroughAChunkNeverHidesALiveEvent) {
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 3}));
  AppendChunk("a-1", 10);  // one chunk; versions 8..10 live
  for (int round = 0; round < 12; ++round) {
    const uint64_t head = 10 + static_cast<uint64_t>(round);
    const std::vector<OwnedEvent> stream = ReadStream("a-1");
    ASSERT_EQ(stream.size(), 3u) << "round " << round;
    EXPECT_EQ(stream.front().version, Version(head - 2));
    const std::vector<uint64_t> live = Positions(stream);
    EXPECT_EQ(ReadPositions({.category = "a"}), live) << "round " << round;
    EXPECT_EQ(ReadPositions(), live) << "round " << round;
    ASSERT_OK(store_->Compact());
    EXPECT_EQ(ReadPositions({.category = "a"}), live) << "after compaction, round " << round;
    EXPECT_EQ(ReadPositions(), live) << "after compaction, round " << round;
    ASSERT_NO_FATAL_FAILURE(testutil::ExpectVerifiesClean(*store_));
    AppendOne("a-1");
  }
}

TEST_F(ChunkBoundary, AFlippedByteAnywhereInALogChunkIsCorruption) {
  // Chunks of three events; chunk k gets its byte k (mod its size) flipped,
  // so one reopen checks every byte.
  AppendChunk("a-1", 3);
  store_.reset();
  size_t size = 0;
  testutil::WithRawFamily(path(), "log", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    std::string value;
    ASSERT_TRUE(db.Get(rocksdb::ReadOptions(), cf, keys::LogKey(Position(3)), &value).ok());
    size = value.size();
  });
  ASSERT_GT(size, chunk::kEventsHeaderBytes);
  Reopen();
  for (size_t k = 1; k < size; ++k) AppendChunk("a-1", 3);
  store_.reset();
  testutil::WithRawFamily(path(), "log", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    for (size_t k = 0; k < size; ++k) {
      const std::string key = keys::LogKey(Position(3 * k + 3));
      std::string value;
      ASSERT_TRUE(db.Get(rocksdb::ReadOptions(), cf, key, &value).ok()) << k;
      ASSERT_EQ(value.size(), size) << k;
      value[k] = static_cast<char>(value[k] ^ 0xFF);
      ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf, key, value).ok());
    }
  });
  Reopen();
  for (size_t k = 0; k < size; ++k) {
    for (const std::string& category : {std::string(), std::string("a")}) {
      std::vector<uint64_t> read;
      Status s =
          ReadAllStatus({.from = Position(3 * k + 1), .max_count = 3, .category = category}, &read);
      EXPECT_TRUE(s.IsCorruption()) << "byte " << k << " (category '" << category
                                    << "'): " << s.ToString() << ", read " << read.size();
    }
  }
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->problem_count, size);
}

TEST_F(ChunkBoundary, AGapBetweenChunkRangesIsAHoleUnlessATrimExplainsIt) {
  AppendChunk("a-1", 3);  // 1..3
  AppendChunk("a-1", 3);  // 4..6
  AppendChunk("a-1", 3);  // 7..9
  store_.reset();
  testutil::WithRawFamily(path(), "log", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), cf, keys::LogKey(Position(6))).ok());
  });
  Reopen();
  std::vector<uint64_t> read;
  Status s = ReadAllStatus({}, &read);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(read, Range(1, 3));
  read.clear();
  s = ReadAllStatus({.from = Position(5)}, &read);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->ok());

  // A trim through the gap explains it: positions up to the trim horizon
  // may be gone.
  ASSERT_OK(store_->TrimStream("a-1", {.before = Version(7), .require_snapshot = false}));
  read.clear();
  s = ReadAllStatus({}, &read);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(read, Range(7, 9));
}

TEST_F(ChunkBoundary, AFollowerCatchesUpAcrossMultiEventChunks) {
  AppendChunk("a-1", 10);  // 1..10
  auto follower = Store::Open(Options{.read_only = true}, path());
  ASSERT_OK(follower.status());
  EXPECT_EQ((*follower)->LastPosition(), Position(10));
  auto feed = (*follower)->OpenFeed({.start = FeedStart::Latest()});
  ASSERT_OK(feed.status());
  AppendChunk("b-1", 5);  // 11..15: a chunk whose key is not the position after 10
  AppendOne("b-1");       // 16
  ASSERT_OK(store_->Sync());
  ASSERT_OK((*follower)->CatchUp());
  EXPECT_EQ((*follower)->LastPosition(), Position(16));
  std::vector<uint64_t> fed;
  while (fed.size() < 6) {
    FeedBatch batch;
    ASSERT_OK((*feed)->Next(std::chrono::seconds(30), &batch));
    ASSERT_FALSE(batch.events.empty()) << "the feed stopped at " << (*feed)->position().value();
    for (const OwnedEvent& e : batch.events) fed.push_back(e.position.value());
  }
  EXPECT_EQ(fed, Range(11, 16));
  auto it = (*follower)->ReadAll({.from = Position(12), .category = "b"});
  ASSERT_OK(it.status());
  EXPECT_EQ(Positions(testutil::Collect(**it)), Range(12, 16));
}

TEST_F(ChunkBoundary, AnAppendIsOneStreamChunkKeyedByItsLastVersion) {
  AppendChunk("a-1", 10);
  AppendChunk("a-1", 1);
  AppendChunk("a-1", chunk::kMaxChunkEvents + 2);  // beyond the bound: two chunks
  store_.reset();
  std::vector<ChunkInfo> chunks = StreamChunks(path());
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].last, 10u);
  EXPECT_EQ(chunks[0].first, 1u);
  EXPECT_EQ(chunks[0].n, 10u);
  EXPECT_EQ(chunks[1].last, 11u);
  EXPECT_EQ(chunks[1].first, 11u);
  EXPECT_EQ(chunks[2].first, 12u);
  EXPECT_EQ(chunks[2].span, chunk::kMaxChunkEvents);
  EXPECT_EQ(chunks[3].last, 11u + chunk::kMaxChunkEvents + 2);
  Reopen();
  EXPECT_EQ(StreamVersions("a-1"), Range(1, 11 + chunk::kMaxChunkEvents + 2));
  testutil::ExpectVerifiesClean(*store_);
}

TEST_F(ChunkBoundary, StreamReadsCrossChunksInBothDirectionsFromAnyVersion) {
  AppendChunk("a-1", 4);  // versions 1..4
  AppendChunk("b-1", 2);
  AppendChunk("a-1", 3);  // 5..7
  AppendChunk("a-1", 5);  // 8..12
  for (bool reopened : {false, true}) {
    if (reopened) Reopen();  // from the tables, not the memtable
    SCOPED_TRACE(reopened ? "reopened" : "memtable");
    EXPECT_EQ(Backward("a-1"), Down(12, 1));
    EXPECT_EQ(Backward("a-1", {.from = Version(6)}), Down(6, 1));
    EXPECT_EQ(Backward("a-1", {.from = Version(9), .max_count = 5}), Down(9, 5));
    EXPECT_EQ(Backward("a-1", {.from = Version(4)}), Down(4, 1));
    EXPECT_EQ(Backward("a-1", {.from = Version(99)}), Down(12, 1));
    EXPECT_EQ(Backward("a-1", {.from = Version(1)}), Down(1, 1));
    EXPECT_EQ(StreamVersions("a-1", {.from = Version(6)}), Range(6, 12));
    EXPECT_EQ(StreamVersions("a-1", {.from = Version(3), .max_count = 3}), Range(3, 5));
    EXPECT_EQ(StreamVersions("a-1", {.from = Version(12)}), Range(12, 12));
    EXPECT_EQ(StreamVersions("a-1", {.from = Version(13)}), std::vector<uint64_t>{});
    EXPECT_EQ(Backward("b-1"), Down(2, 1));
    EXPECT_EQ(StreamVersions("b-1"), Range(1, 2));
  }
}

TEST_F(ChunkBoundary, ATrimThatCutsAStreamChunkHidesThenReclaimsOnlyItsHead) {
  AppendChunk("a-1", 10);  // versions 1..10, one chunk
  AppendChunk("b-1", 2);
  ASSERT_OK(store_->TrimStream("a-1", {.before = Version(4), .require_snapshot = false}));
  for (bool compacted : {false, true}) {
    if (compacted) ASSERT_OK(store_->Compact());
    SCOPED_TRACE(compacted ? "compacted" : "before compaction");
    EXPECT_EQ(StreamVersions("a-1"), Range(4, 10));
    EXPECT_EQ(StreamVersions("a-1", {.from = Version(2)}), Range(4, 10));
    EXPECT_EQ(Backward("a-1"), Down(10, 4));
    EXPECT_EQ(Backward("a-1", {.from = Version(5)}), Down(5, 4));
    EXPECT_EQ(Backward("a-1", {.from = Version(3)}), std::vector<uint64_t>{});
  }
  testutil::ExpectVerifiesClean(*store_);
  store_.reset();
  // The chunk keeps its key and range and lost only its first three records.
  // a-1 (stream id 1), b-1, and the trim's "$meta-a-1" event.
  std::vector<ChunkInfo> chunks = StreamChunks(path());
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].last, 10u);
  EXPECT_EQ(chunks[0].first, 1u);
  EXPECT_EQ(chunks[0].span, 10u);
  EXPECT_EQ(chunks[0].n, 7u);
  Reopen();
  EXPECT_EQ(Backward("a-1"), Down(10, 4));
  AppendOne("a-1");
  EXPECT_EQ(StreamVersions("a-1"), Range(4, 11));
}

TEST_F(ChunkBoundary, MaxCountCuttingAStreamChunkKeepsItsNewestEvents) {
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 3}));
  AppendChunk("a-1", 10);  // one chunk; versions 8..10 live
  for (int round = 0; round < 4; ++round) {
    const uint64_t head = 10 + static_cast<uint64_t>(round);
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_EQ(StreamVersions("a-1"), Range(head - 2, head));
    EXPECT_EQ(StreamVersions("a-1", {.from = Version(2)}), Range(head - 2, head));
    EXPECT_EQ(Backward("a-1"), Down(head, head - 2));
    ASSERT_OK(store_->Compact());
    EXPECT_EQ(StreamVersions("a-1"), Range(head - 2, head));
    EXPECT_EQ(Backward("a-1"), Down(head, head - 2));
    ASSERT_NO_FATAL_FAILURE(testutil::ExpectVerifiesClean(*store_));
    AppendOne("a-1");
  }
  // The metadata stream's newest event, read from its chunk, still rules.
  auto metadata = store_->GetStreamMetadata("a-1");
  ASSERT_OK(metadata.status());
  EXPECT_EQ(metadata->max_count, 3u);
}

// Appends chunks of `per_chunk` events to stream a-1; chunk k gets its
// byte k (mod its size) flipped, so one reopen checks every byte: forward
// and backward stream reads of each chunk are Corruption, the log's copies
// still read, and verify counts a problem for each chunk.
void ChunkBoundary::ExpectEveryFlippedStreamChunkByteIsCorruption(size_t per_chunk) {
  AppendChunk("a-1", per_chunk);
  store_.reset();
  size_t size = 0;
  testutil::WithRawFamily(path(), "stream", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), cf));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    size = it->value().size();
  });
  ASSERT_GT(size, chunk::kEventsHeaderBytes);
  Reopen();
  for (size_t k = 1; k < size; ++k) AppendChunk("a-1", per_chunk);
  store_.reset();
  testutil::WithRawFamily(path(), "stream", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    std::vector<std::pair<std::string, std::string>> chunks;
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      chunks.emplace_back(it->key().ToString(), it->value().ToString());
    }
    ASSERT_EQ(chunks.size(), size);
    for (size_t k = 0; k < size; ++k) {
      std::string& value = chunks[k].second;
      ASSERT_EQ(value.size(), size) << k;
      value[k] = static_cast<char>(value[k] ^ 0xFF);
      ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf, chunks[k].first, value).ok());
    }
  });
  Reopen();
  for (size_t k = 0; k < size; ++k) {
    const uint64_t first = per_chunk * k + 1;
    std::vector<uint64_t> read;
    Status s = ReadStreamStatus("a-1", {.from = Version(first), .max_count = per_chunk}, &read);
    EXPECT_TRUE(s.IsCorruption()) << "byte " << k << ": " << s.ToString() << ", read "
                                  << read.size();
    read.clear();
    s = ReadStreamStatus("a-1",
                         {.from = Version(first + per_chunk - 1),
                          .max_count = per_chunk,
                          .direction = Direction::kBackward},
                         &read);
    EXPECT_TRUE(s.IsCorruption()) << "byte " << k << " backward: " << s.ToString();
  }
  // The log's copies are intact: global reads see every event.
  EXPECT_EQ(ReadPositions(), Range(1, per_chunk * size));
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->problem_count, size);
}

TEST_F(ChunkBoundary, AFlippedByteAnywhereInAStreamChunkIsCorruption) {
  ExpectEveryFlippedStreamChunkByteIsCorruption(3);
}

// An append of one event makes a chunk of one record, which stream reads
// parse and check in one pass (chunk::ParseChunkOfOne).
TEST_F(ChunkBoundary, AFlippedByteAnywhereInAOneRecordStreamChunkIsCorruption) {
  ExpectEveryFlippedStreamChunkByteIsCorruption(1);
}

}  // namespace
}  // namespace evlog
