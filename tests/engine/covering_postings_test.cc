// Covering tag postings: each `by_tag` entry holds its event's record, so a
// read by tag returns the bytes appended without a read of `log`; under the
// same trim and delete rules as every other read; verified like the log's
// records; and entries written before postings carried records (empty
// values) still read, from the log.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "chunk.h"
#include "keys.h"
#include "testutil/damage.h"
#include "testutil/raw_rocks.h"
#include "testutil/same_event.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::StoreTest;
using testutil::Tagged;
using testutil::Positions;
using CoveringPostings = StoreTest;

Query ByTag(std::string tag) { return Query{.items = {QueryItem{.tags = {std::move(tag)}}}}; }

using P = std::vector<uint64_t>;

// Runs `f` with the closed store's RocksDB and its `log` and `by_tag`
// handles, then opens the store again.
template <class F>
void BehindTheEngine(std::unique_ptr<Store>& store, const std::string& path, F f) {
  store.reset();
  testutil::WithRawRocks(path, [&](rocksdb::DB& db, const std::vector<std::string>& names,
                                   const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    auto handle = [&](std::string_view name) {
      auto at = std::find(names.begin(), names.end(), name) - names.begin();
      EXPECT_LT(static_cast<size_t>(at), names.size()) << name;
      return handles[static_cast<size_t>(at)];
    };
    f(db, handle("log"), handle("by_tag"));
  });
}

std::string Get(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
  std::string value;
  rocksdb::Status s = db.Get(rocksdb::ReadOptions(), cf, key, &value);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return value;
}

// The record of position `p` in `log`, whose chunk ends at p (each append
// in these tests is one group commit: a chunk of one event, format 2).
std::string LogRecord(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* log, uint64_t p) {
  const std::string value = Get(db, log, keys::LogKey(Position(p)));
  chunk::ChunkView view;
  std::string_view record;
  EXPECT_OK(chunk::ParseChunk(value, chunk::ChunkKind::kLog, p, &view));
  EXPECT_EQ(view.n, 1u);
  EXPECT_OK(chunk::ChunkRecord(view, 0, &record));
  return std::string(record);
}

// Problems Verify reports, joined.
std::string Problems(Store& store) {
  auto report = store.Verify();
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  std::string out;
  if (report.ok()) {
    for (const std::string& p : report->problems) out += p + "\n";
  }
  return out;
}

TEST_F(CoveringPostings, ATagReadReturnsTheBytesAppendedAndThePostingHoldsTheLogsRecord) {
  EventData odd{.type = "Paid",
                .data = std::string("\0\xff{not json\x80", 12),
                .metadata = std::string("m\0eta", 5),
                .tags = {std::string("a\0b", 3), "order:7"}};
  ASSERT_OK(store_->Append("order-7", ExpectedVersion::Any(), {odd}).status());
  ASSERT_OK(store_->Append("order-8", ExpectedVersion::Any(), {Tagged("T", {"order:8"})}).status());
  ASSERT_OK(store_->Append("order-7", ExpectedVersion::Any(), {Tagged("T", {"order:7"})}).status());

  auto all = store_->Read(Query::All());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto tagged = store_->Read(ByTag("order:7"));
  ASSERT_EQ(Positions(tagged), (P{1, 3}));
  testutil::ExpectSameEvent(tagged->events[0], all->events[0]);
  testutil::ExpectSameEvent(tagged->events[1], all->events[2]);
  EXPECT_EQ(tagged->events[0].data, odd.data);
  EXPECT_EQ(tagged->events[0].metadata, odd.metadata);
  EXPECT_EQ(tagged->events[0].tags, odd.tags);
  auto nul_tag = store_->Read(ByTag(std::string("a\0b", 3)));
  ASSERT_EQ(Positions(nul_tag), (P{1}));
  testutil::ExpectSameEvent(nul_tag->events[0], all->events[0]);

  // Each posting's value is its event's record, byte for byte the log's.
  BehindTheEngine(store_, path(), [](rocksdb::DB& db, auto* log, auto* by_tag) {
    const std::string record = LogRecord(db, log, 1);
    EXPECT_EQ(Get(db, by_tag, keys::TagKey("order:7", Position(1))), record);
    EXPECT_EQ(Get(db, by_tag, keys::TagKey(std::string("a\0b", 3), Position(1))), record);
    EXPECT_EQ(Get(db, by_tag, keys::TagKey("order:7", Position(3))),
              LogRecord(db, log, 3));
  });
  Reopen();
  EXPECT_EQ(Problems(*store_), "");
}

TEST_F(CoveringPostings, TrimmedDeletedAndCountedOutEventsAreNotReturnedBeforeOrAfterCompaction) {
  for (int i = 0; i < 4; ++i) {
    for (const char* stream : {"trim-1", "soft-1", "hard-1", "count-1", "kept-1"}) {
      ASSERT_OK(store_->Append(stream, ExpectedVersion::Any(), {Tagged("T", {"t"})}).status());
    }
  }
  // Positions: trim-1 1, 6, 11, 16; soft-1 2, 7, ...; hard-1 3, ...;
  // count-1 4, 9, 14, 19; kept-1 5, 10, 15, 20.
  ASSERT_OK(store_->TrimStream("trim-1", {.before = Version(3), .require_snapshot = false})
                .status());
  ASSERT_OK(store_->DeleteStream("soft-1"));
  ASSERT_OK(store_->DeleteStream("hard-1", /*hard=*/true));
  ASSERT_OK(store_->SetStreamMetadata("count-1", {.max_count = 1}));
  const P live{5, 10, 11, 15, 16, 19, 20};
  const P live_backward(live.rbegin(), live.rend());
  EXPECT_EQ(Positions(store_->Read(ByTag("t"))), live);
  EXPECT_EQ(Positions(store_->Read(ByTag("t"), {.direction = Direction::kBackward})),
            live_backward);

  ASSERT_OK(store_->Compact());
  EXPECT_EQ(Positions(store_->Read(ByTag("t"))), live);
  EXPECT_EQ(Positions(store_->Read(ByTag("t"), {.direction = Direction::kBackward})),
            live_backward);
  EXPECT_EQ(Problems(*store_), "");

  // The compaction dropped the hidden events' postings, records and all.
  BehindTheEngine(store_, path(), [&](rocksdb::DB& db, auto*, auto* by_tag) {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), by_tag));
    P kept;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view tag;
      Position p;
      ASSERT_TRUE(keys::ParseTagKey(it->key().ToStringView(), &tag, &p));
      kept.push_back(p.value());
    }
    EXPECT_EQ(kept, live);
  });
  Reopen();
  EXPECT_EQ(Positions(store_->Read(ByTag("t"))), live);
  EXPECT_EQ(Problems(*store_), "");
}

TEST_F(CoveringPostings, ARecordDamagedInAPostingIsCorruptionOnReadAndReportedByVerify) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(store_->Append("s-1", ExpectedVersion::Any(), {Tagged("T", {"x"})}).status());
  }
  BehindTheEngine(store_, path(), [](rocksdb::DB& db, auto*, auto* by_tag) {
    const std::string key = keys::TagKey("x", Position(2));
    std::string record = Get(db, by_tag, key);
    ASSERT_GT(record.size(), 4u);
    // The high byte of the FlatBuffers root offset: far past the record.
    record[3] = static_cast<char>(record[3] ^ 0xff);
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), by_tag, key, record).ok());
  });
  Reopen();
  auto r = store_->Read(ByTag("x"));
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  auto back = store_->Read(ByTag("x"), {.from = Position(3), .direction = Direction::kBackward});
  EXPECT_TRUE(back.status().IsCorruption()) << back.status().ToString();
  // Reads that do not reach it are unaffected.
  EXPECT_EQ(Positions(store_->Read(ByTag("x"), {.max_count = 1})), (P{1}));
  EXPECT_NE(Problems(*store_).find("tag index entry at 2: its record differs from its copy at "
                                   "log position 2"),
            std::string::npos)
      << Problems(*store_);
}

TEST_F(CoveringPostings, AChangedByteThatStillDecodesIsReportedByVerify) {
  ASSERT_OK(store_->Append("s-1", ExpectedVersion::Any(), {Tagged("T", {"x"})}).status());
  BehindTheEngine(store_, path(), [](rocksdb::DB& db, auto*, auto* by_tag) {
    const std::string key = keys::TagKey("x", Position(1));
    std::string record = Get(db, by_tag, key);
    const size_t at = record.find("s-1");  // the stream's name
    ASSERT_NE(at, std::string::npos);
    record[at + 2] = '9';
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), by_tag, key, record).ok());
  });
  Reopen();
  EXPECT_NE(Problems(*store_).find("tag index entry at 1: its record differs"), std::string::npos)
      << Problems(*store_);
}

TEST_F(CoveringPostings, FlippedBytesInATagTableAreCorruptionOnReadAndReportedByVerify) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(store_->Append("s-" + std::to_string(i % 7), ExpectedVersion::Any(),
                             {Tagged("T", {"x"})}, Durability::kBuffered)
                  .status());
  }
  store_.reset();  // flushes `by_tag` into a table
  auto tables = testutil::TableFilesOf(path(), "by_tag");
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_TRUE(testutil::FlipBytes(tables[0], std::filesystem::file_size(tables[0]) / 4, 8));
  Reopen();
  auto r = store_->Read(ByTag("x"));
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(Problems(*store_).find("table files"), std::string::npos);
}

TEST_F(CoveringPostings, PostingsWithoutARecordStillReadFromTheLog) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK(store_->Append("s-" + std::to_string(i % 2), ExpectedVersion::Any(),
                             {Tagged("T", {"x", "y"})})
                  .status());
  }
  auto before = store_->Read(ByTag("x"));
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  // Positions 2, 3 and 5 as a store written before postings carried
  // records has them: an empty value.
  BehindTheEngine(store_, path(), [](rocksdb::DB& db, auto*, auto* by_tag) {
    for (uint64_t p : {2, 3, 5}) {
      ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), by_tag, keys::TagKey("x", Position(p)), "").ok());
    }
  });
  Reopen();
  auto after = store_->Read(ByTag("x"));
  ASSERT_EQ(Positions(after), (P{1, 2, 3, 4, 5, 6}));
  for (size_t i = 0; i < after->events.size(); ++i) {
    testutil::ExpectSameEvent(after->events[i], before->events[i]);
  }
  EXPECT_EQ(Positions(store_->Read(ByTag("x"), {.direction = Direction::kBackward})),
            (P{6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(Positions(store_->Read(ByTag("x"), {.from = Position(2), .max_count = 3})),
            (P{2, 3, 4}));
  // An item of two tags finds the record in either posting.
  EXPECT_EQ(Positions(store_->Read(Query{.items = {QueryItem{.tags = {"x", "y"}}}})),
            (P{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Problems(*store_), "");
  // And an old posting whose event a trim hid is hidden, then reclaimed.
  ASSERT_OK(store_->TrimStream("s-0", {.before = Version(3), .require_snapshot = false})
                .status());
  EXPECT_EQ(Positions(store_->Read(ByTag("x"))), (P{2, 4, 5, 6}));
  ASSERT_OK(store_->Compact());
  EXPECT_EQ(Positions(store_->Read(ByTag("x"))), (P{2, 4, 5, 6}));
  EXPECT_EQ(Problems(*store_), "");
}

}  // namespace
}  // namespace evlog
