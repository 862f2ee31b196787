// Category and type postings of storage format 2 (docs/plans/format2.md,
// §1.2, §1.5-1.8): `by_category` and `by_type` hold one posting chunk per
// (log chunk, name), keyed by the name and its last position. Reads start
// inside posting chunks and cross them in both directions, trims and count
// rules never filter them (they stay HoleCheck's evidence), and damage to
// any byte of one is Corruption.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "chunk.h"
#include "keys.h"
#include "testutil/raw_rocks.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using testutil::Range;

// The posting chunks of `family` as (name, key position) -> positions.
using PostingMap = std::map<std::pair<std::string, uint64_t>, std::vector<uint64_t>>;
PostingMap Postings(const std::string& path, std::string_view family) {
  PostingMap out;
  testutil::WithRawFamily(path, family, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = it->key().ToStringView();
      Position last;
      ASSERT_TRUE(keys::ParseIndexKey(key, &last));
      std::vector<uint64_t> positions;
      ASSERT_TRUE(chunk::DecodePostings(it->value().ToStringView(), last.value(), &positions).ok());
      out[{std::string(key.substr(0, key.size() - 9)), last.value()}] = positions;
    }
  });
  return out;
}

std::vector<uint64_t> Cat(std::vector<uint64_t> a, const std::vector<uint64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<uint64_t> Reversed(std::vector<uint64_t> v) {
  std::reverse(v.begin(), v.end());
  return v;
}

class PostingChunks : public testutil::StoreTest {
 protected:
  std::vector<uint64_t> Read(ReadAllOptions options = {}) {
    std::vector<uint64_t> positions;
    Status s = ReadAllStatus(options, &positions);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return positions;
  }

  // A query for events of `type`, and its status.
  Status QueryStatus(const std::string& type, QueryOptions options,
                     std::vector<uint64_t>* positions) {
    auto result = store_->Read(Query{.items = {QueryItem{.types = {type}}}}, options);
    if (!result.ok()) return result.status();
    for (const OwnedEvent& e : result->events) positions->push_back(e.position.value());
    return Status::OK();
  }

  std::vector<uint64_t> QueryType(const std::string& type, QueryOptions options = {}) {
    std::vector<uint64_t> positions;
    Status s = QueryStatus(type, options, &positions);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return positions;
  }

  std::vector<uint64_t> QueryBackward(const std::string& type, QueryOptions options = {}) {
    options.direction = Direction::kBackward;
    return QueryType(type, options);
  }
};

TEST_F(PostingChunks, AGroupsPostingsAreOneEntryPerNameAndLogChunk) {
  // One append to three streams of two categories and two types: one log
  // chunk 1..6.
  AppendRequest request{.durability = Durability::kBuffered};
  request.streams.push_back({.stream = "a-1", .events = {Ev("T"), Ev("T"), Ev("U")}});
  request.streams.push_back({.stream = "b-1", .events = {Ev("U"), Ev("U")}});
  request.streams.push_back({.stream = "a-2", .events = {Ev("T")}});
  ASSERT_OK(store_->Append(std::move(request)));
  AppendChunk("a-1", 2);  // 7..8: a second log chunk
  // Beyond the bound: three log chunks, so three posting chunks per name.
  AppendChunk("c-1", chunk::kMaxChunkEvents * 2 + 3, "V");  // 9..
  const uint64_t end = 8 + chunk::kMaxChunkEvents * 2 + 3;
  store_.reset();

  const PostingMap categories = Postings(path(), "by_category");
  const PostingMap expected_categories = {
      {{"a", 6}, {1, 2, 3, 6}},
      {{"a", 8}, {7, 8}},
      {{"b", 5}, {4, 5}},
      {{"c", 8 + chunk::kMaxChunkEvents}, Range(9, 8 + chunk::kMaxChunkEvents)},
      {{"c", 8 + 2 * chunk::kMaxChunkEvents},
       Range(9 + chunk::kMaxChunkEvents, 8 + 2 * chunk::kMaxChunkEvents)},
      {{"c", end}, Range(9 + 2 * chunk::kMaxChunkEvents, end)},
  };
  EXPECT_EQ(categories, expected_categories);
  const PostingMap types = Postings(path(), "by_type");
  EXPECT_EQ(types.at({"T", 6}), (std::vector<uint64_t>{1, 2, 6}));
  EXPECT_EQ(types.at({"U", 5}), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(types.at({"T", 8}), (std::vector<uint64_t>{7, 8}));
  EXPECT_EQ(types.size(), 6u);

  Reopen();
  EXPECT_EQ(Read({.category = "a"}), (std::vector<uint64_t>{1, 2, 3, 6, 7, 8}));
  EXPECT_EQ(Read({.event_type = "U"}), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(Read({.category = "c"}), Range(9, end));
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  // Counted per position, not per chunk: each event has a category and a
  // type entry.
  EXPECT_EQ(report->index_entries, 2 * end);
}

TEST_F(PostingChunks, ACategoryReadThatStartsMidPostingChunkBeginsAtItsPosition) {
  AppendChunk("a-1", 10);  // 1..10
  AppendChunk("b-1", 5);   // 11..15
  AppendChunk("a-2", 5);   // 16..20
  for (bool reopened : {false, true}) {
    if (reopened) Reopen();  // from the tables, not the memtable
    EXPECT_EQ(Read({.from = Position(7), .category = "a"}), Cat(Range(7, 10), Range(16, 20)));
    EXPECT_EQ(Read({.from = Position(12), .category = "a"}), Range(16, 20));
    EXPECT_EQ(Read({.from = Position(18), .category = "a"}), Range(18, 20));
    EXPECT_EQ(Read({.from = Position(21), .category = "a"}), std::vector<uint64_t>{});
    EXPECT_EQ(Read({.from = Position(9), .max_count = 4, .category = "a"}),
              (std::vector<uint64_t>{9, 10, 16, 17}));
    EXPECT_EQ(Read({.from = Position(13), .category = "b"}), Range(13, 15));
    EXPECT_EQ(Read({.from = Position(5), .max_count = 12, .event_type = "T"}), Range(5, 16));
    // A query by type starts mid-chunk too.
    EXPECT_EQ(QueryType("T", {.from = Position(14), .max_count = 3}), Range(14, 16));
  }
}

TEST_F(PostingChunks, BackwardTypeQueriesCrossPostingChunks) {
  AppendChunk("a-1", 10, "T");  // 1..10
  AppendChunk("b-1", 5, "U");   // 11..15
  AppendChunk("a-2", 5, "T");   // 16..20
  AppendChunk("a-3", 3, "T");   // 21..23
  for (bool reopened : {false, true}) {
    if (reopened) Reopen();
    const std::vector<uint64_t> all_t = Cat(Cat(Range(1, 10), Range(16, 20)), Range(21, 23));
    EXPECT_EQ(QueryBackward("T"), Reversed(all_t));
    // From inside a chunk, from a gap between the type's chunks, past the end.
    EXPECT_EQ(QueryBackward("T", {.from = Position(18)}),
              Reversed(Cat(Range(1, 10), Range(16, 18))));
    EXPECT_EQ(QueryBackward("T", {.from = Position(13)}), Reversed(Range(1, 10)));
    EXPECT_EQ(QueryBackward("T", {.from = Position(16), .max_count = 3}),
              (std::vector<uint64_t>{16, 10, 9}));
    EXPECT_EQ(QueryBackward("T", {.from = Position(99)}), Reversed(all_t));
    EXPECT_EQ(QueryBackward("U", {.from = Position(10)}), std::vector<uint64_t>{});
    EXPECT_EQ(QueryBackward("U", {.from = Position(12)}), (std::vector<uint64_t>{12, 11}));
    // Forward across the same chunks.
    EXPECT_EQ(QueryType("T", {.from = Position(9)}), Cat(Range(9, 10), Range(16, 23)));
  }
}

TEST_F(PostingChunks, ATrimThroughAPostingChunkHidesOnlyTheTrimmedEvents) {
  AppendChunk("a-1", 10);  // 1..10: one posting chunk of "a" and one of "T"
  AppendChunk("b-1", 2);   // 11..12
  ASSERT_OK(store_->TrimStream("a-1", {.before = Version(4), .require_snapshot = false}));
  for (bool compacted : {false, true}) {
    if (compacted) ASSERT_OK(store_->Compact());
    EXPECT_EQ(Read({.category = "a"}), Range(4, 10)) << compacted;
    EXPECT_EQ(Read({.from = Position(2), .category = "a"}), Range(4, 10)) << compacted;
    EXPECT_EQ(Read({.event_type = "T"}), Range(4, 12)) << compacted;
    EXPECT_EQ(QueryType("T"), Range(4, 12)) << compacted;
    EXPECT_EQ(QueryBackward("T", {.from = Position(5)}), (std::vector<uint64_t>{5, 4}));
    ASSERT_NO_FATAL_FAILURE(testutil::ExpectVerifiesClean(*store_));
  }
  store_.reset();
  // Compaction never filters postings: the reclaimed events' entries stay.
  EXPECT_EQ(Postings(path(), "by_category").at({"a", 10}), Range(1, 10));
}

TEST_F(PostingChunks, MaxCountMovingThroughAPostingChunkNeverHidesALiveEvent) {
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 3}));
  AppendChunk("a-1", 10);  // one chunk; versions 8..10 live
  for (int round = 0; round < 12; ++round) {
    const std::vector<OwnedEvent> stream = ReadStream("a-1");
    ASSERT_EQ(stream.size(), 3u) << "round " << round;
    std::vector<uint64_t> live;
    for (const OwnedEvent& e : stream) live.push_back(e.position.value());
    for (bool compacted : {false, true}) {
      if (compacted) ASSERT_OK(store_->Compact());
      EXPECT_EQ(Read({.category = "a"}), live) << "round " << round << " " << compacted;
      EXPECT_EQ(Read({.from = Position(live[1]), .category = "a"}),
                std::vector<uint64_t>(live.begin() + 1, live.end()))
          << "round " << round;
      EXPECT_EQ(Read({.event_type = "T"}), live) << "round " << round << " " << compacted;
      EXPECT_EQ(QueryType("T"), live) << "round " << round << " " << compacted;
      EXPECT_EQ(QueryBackward("T"), Reversed(live)) << "round " << round << " " << compacted;
    }
    ASSERT_NO_FATAL_FAILURE(testutil::ExpectVerifiesClean(*store_));
    AppendOne("a-1");
  }
}

TEST_F(PostingChunks, AFlippedByteAnywhereInAPostingChunkIsCorruption) {
  // Groups of three events of category "a" and type "T": chunk k of each
  // index gets its byte k flipped, so one reopen checks every byte.
  AppendChunk("a-1", 3);
  store_.reset();
  const size_t size = [&] {
    size_t n = 0;
    testutil::WithRawFamily(
        path(), "by_category", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
          std::string value;
          ASSERT_TRUE(
              db.Get(rocksdb::ReadOptions(), cf, keys::IndexKey("a", Position(3)), &value).ok());
          n = value.size();
        });
    return n;
  }();
  ASSERT_GT(size, 8u);
  Reopen();
  for (size_t k = 1; k < size; ++k) AppendChunk("a-1", 3);
  store_.reset();
  for (const auto& entry : {std::pair<std::string, std::string>{"by_category", "a"},
                            std::pair<std::string, std::string>{"by_type", "T"}}) {
    const std::string& family = entry.first;
    const std::string& name = entry.second;  // clang 14 captures no structured binding
    testutil::WithRawFamily(path(), family, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
      for (size_t k = 0; k < size; ++k) {
        const std::string key = keys::IndexKey(name, Position(3 * k + 3));
        std::string value;
        ASSERT_TRUE(db.Get(rocksdb::ReadOptions(), cf, key, &value).ok()) << k;
        ASSERT_EQ(value.size(), size) << k;
        value[k] = static_cast<char>(value[k] ^ 0xFF);
        ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf, key, value).ok());
      }
    });
  }
  Reopen();
  for (size_t k = 0; k < size; ++k) {
    const Position from(3 * k + 1);
    std::vector<uint64_t> read;
    Status s = ReadAllStatus({.from = from, .max_count = 3, .category = "a"}, &read);
    EXPECT_TRUE(s.IsCorruption()) << "byte " << k << ": " << s.ToString();
    read.clear();
    s = ReadAllStatus({.from = from, .max_count = 3, .event_type = "T"}, &read);
    EXPECT_TRUE(s.IsCorruption()) << "byte " << k << ": " << s.ToString();
    read.clear();
    s = QueryStatus("T", {.from = from, .max_count = 3}, &read);
    EXPECT_TRUE(s.IsCorruption()) << "byte " << k << ": " << s.ToString();
    read.clear();
    s = QueryStatus("T", {.from = Position(3 * k + 3), .direction = Direction::kBackward}, &read);
    EXPECT_TRUE(s.IsCorruption()) << "byte " << k << " backward: " << s.ToString();
  }
  // The log itself is intact: a global read sees every event.
  EXPECT_EQ(Read(), Range(1, 3 * size));
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->problem_count, 2 * size);
}

TEST_F(PostingChunks, AMissingPositionIsExplainedByItsCategoryPostingOnly) {
  const uint64_t base = 0;  // the positions below, written as offsets
  AppendChunk("a-1", 4);  // base+1..base+4: reclaimed whole
  AppendChunk("b-1", 2);  // base+5..base+6: no metadata
  AppendChunk("a-1", 3);  // base+7..base+9: only the last one lives
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 1}));
  // A stream read moves the count rule's bound for compaction to follow.
  ASSERT_EQ(ReadStream("a-1").size(), 1u);
  ASSERT_OK(store_->Compact());
  store_.reset();
  // The first chunk of "a-1" is gone whole; its postings stay.
  testutil::WithRawFamily(path(), "log", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    std::string value;
    EXPECT_TRUE(
        db.Get(rocksdb::ReadOptions(), cf, keys::LogKey(Position(base + 4)), &value).IsNotFound());
  });
  EXPECT_EQ(Postings(path(), "by_category").at({"a", base + 4}), Range(base + 1, base + 4));
  Reopen();
  const std::vector<uint64_t> live = {base + 5, base + 6, base + 9};
  // The gap base+1..base+4 between log chunks, and the positions the
  // category and type postings name but the log lost, are explained by the
  // postings of "a", a category with metadata.
  EXPECT_EQ(Read(), live);
  EXPECT_EQ(Read({.category = "a"}), std::vector<uint64_t>{base + 9});
  EXPECT_EQ(Read({.event_type = "T"}), live);
  EXPECT_EQ(QueryType("T"), live);
  ASSERT_NO_FATAL_FAILURE(testutil::ExpectVerifiesClean(*store_));
  store_.reset();

  // Without the posting chunk of "a" that covers base+1..base+4, nothing
  // explains that gap any more.
  testutil::WithRawFamily(
      path(), "by_category", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
        ASSERT_TRUE(
            db.Delete(rocksdb::WriteOptions(), cf, keys::IndexKey("a", Position(base + 4))).ok());
      });
  Reopen();
  std::vector<uint64_t> read;
  Status s = ReadAllStatus({}, &read);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(std::to_string(base + 1) + ".." + std::to_string(base + 4)),
            std::string::npos)
      << s.ToString();
  read.clear();
  s = ReadAllStatus({.event_type = "T"}, &read);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  store_.reset();

  // A lost log chunk of "b" (no metadata) is corruption, read by category.
  testutil::WithRawFamily(path(), "log", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), cf, keys::LogKey(Position(base + 6))).ok());
  });
  Reopen();
  read.clear();
  s = ReadAllStatus({.category = "b"}, &read);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(read.empty());
}

}  // namespace
}  // namespace evlog
