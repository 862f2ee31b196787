// Damaged stores: bytes flipped in the table files or the WAL of a closed
// store, and records, index entries and keys rewritten behind the engine's
// back. Verify reports each (or Open refuses the store with Corruption);
// reads return Corruption; nothing crashes.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>

#include "chunk.h"
#include "db.h"
#include "keys.h"
#include "testutil/damage.h"
#include "testutil/store_fixture.h"

namespace evlog::testutil {
namespace {

namespace fs = std::filesystem;

// Whether `problems` (Corruption::Problems) mentions `text`; all of them if not.
::testing::AssertionResult Mentions(const std::string& problems, std::string_view text) {
  if (problems.find(text) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no problem mentions '" << text << "':\n" << problems;
}

class Corruption : public StoreTest {
 protected:
  // 400 events in 4 streams, 2 categories, with caller ids (or the ones
  // numbered `from`..`to`-1 of them).
  void Fill(int from = 0, int to = 400) {
    for (int i = from; i < to; ++i) {
      std::string stream = (i % 2 ? "order-" : "cart-") + std::to_string(i % 4);
      auto r =
          store_->Append(stream, ExpectedVersion::Any(),
                         {Ev(i % 3 ? "Added" : "Removed", std::string(100, 'x'), Uuid::Random())},
                         Durability::kBuffered);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    ASSERT_OK(store_->Sync());
  }

  // Writes positions 1..200 into one `log` table and 201..400 into a
  // second, closes the store, removes table `lost` (0: the older) of `log`
  // and opens the store again, read-only.
  void LoseLogTable(size_t lost) {
    Fill(0, 200);
    ASSERT_OK(store_->Compact());
    Fill(200, 400);
    store_.reset();  // flushes 201..400 into a table of their own
    auto tables = TableFilesOf(path(), "log");
    ASSERT_EQ(tables.size(), 2u);
    ASSERT_TRUE(fs::remove(tables[lost]));
    // A writable open loads every table and refuses the store.
    auto writable = Store::Open(Options{}, path());
    ASSERT_FALSE(writable.ok());
    EXPECT_TRUE(writable.status().IsCorruption()) << writable.status().ToString();
    // A read-only one (the CLI's) opens: the reads must find the hole.
    Reopen(Options{.read_only = true});
  }

  // Closes the store, applies `edit` to its RocksDB database directly,
  // and opens the store again.
  void EditBehindTheEngine(
      const std::function<void(rocksdb::DB&, const std::vector<rocksdb::ColumnFamilyHandle*>&)>&
          edit) {
    store_.reset();
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (std::string_view name : Db::kFamilyNames) {
      families.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path(), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    edit(*db, handles);
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
    db.reset();
    Reopen();
  }

  // The problems Verify reports, joined; fails the test if it cannot run.
  std::string Problems() {
    auto report = store_->Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    if (!report.ok()) return "verify failed";
    std::string out;
    for (const std::string& p : report->problems) out += p + "\n";
    EXPECT_EQ(report->problem_count > 0, !out.empty());
    return out;
  }

  // Reads everything; the first non-OK status, or OK.
  Status ReadEverything() {
    auto all = store_->ReadAll().value();
    for (; all->Valid(); all->Next()) {
    }
    if (!all->status().ok()) return all->status();
    for (const char* stream : {"cart-0", "order-1", "cart-2", "order-3"}) {
      auto it = store_->ReadStream(stream);
      if (!it.ok()) return it.status();
      for (; (*it)->Valid(); (*it)->Next()) {
      }
      if (!(*it)->status().ok()) return (*it)->status();
    }
    return Status::OK();
  }
};

TEST_F(Corruption, FlippedBytesInTableFilesAreReportedByVerifyAndReads) {
  Fill();
  ASSERT_OK(store_->Compact());
  store_.reset();
  auto tables = FilesEndingWith(path(), ".sst");
  ASSERT_FALSE(tables.empty());
  for (const fs::path& t : tables) ASSERT_TRUE(FlipBytes(t, fs::file_size(t) / 4, 8));

  auto opened = Store::Open(Options{}, path());
  if (!opened.ok()) {
    EXPECT_TRUE(opened.status().IsCorruption()) << opened.status().ToString();
    return;
  }
  store_ = std::move(opened).value();
  EXPECT_TRUE(Mentions(Problems(), "checksum mismatch"));
  Status read = ReadEverything();
  EXPECT_TRUE(read.IsCorruption()) << read.ToString();
}

// Regression: RocksDB's default WAL recovery stops at the damage and opens
// the store without a word, here 201 of 400 acknowledged events short.
TEST_F(Corruption, FlippedBytesInTheWalAreRefusedAtOpen) {
  Fill();  // everything still in the WAL: no memtable was flushed
  const std::string crashed = dir_.Sub("crashed");
  ASSERT_TRUE(CopyAsCrashed(path(), crashed));
  store_.reset();
  auto wals = FilesEndingWith(crashed, ".log");
  ASSERT_EQ(wals.size(), 1u);
  ASSERT_GT(fs::file_size(wals[0]), 4000u);
  ASSERT_TRUE(FlipBytes(wals[0], fs::file_size(wals[0]) / 2, 8));

  auto opened = Store::Open(Options{}, crashed);
  ASSERT_FALSE(opened.ok()) << "opened at position " << (*opened)->LastPosition().value()
                            << " of 400 acknowledged";
  EXPECT_TRUE(opened.status().IsCorruption()) << opened.status().ToString();
  // So do read-only opens.
  auto read_only = Store::Open(Options{.read_only = true}, crashed);
  ASSERT_FALSE(read_only.ok()) << "opened at position " << (*read_only)->LastPosition().value();
  EXPECT_TRUE(read_only.status().IsCorruption()) << read_only.status().ToString();
}

// The first error a read of `options` ends with, or OK.
Status ReadStatus(Store& store, ReadAllOptions options = {}) {
  auto it = store.ReadAll(options).value();
  for (; it->Valid(); it->Next()) {
  }
  return it->status();
}

// The status of a change feed's reads from the oldest event to the last.
Status FeedStatus(Store& store) {
  auto feed = store.OpenFeed(ChangeFeedOptions{.start = FeedStart::Oldest()});
  if (!feed.ok()) return feed.status();
  FeedBatch batch;
  do {
    if (Status s = (*feed)->Next(std::chrono::milliseconds(0), &batch); !s.ok()) return s;
  } while (!batch.events.empty());
  return Status::OK();
}

// Regression (issue #14): with a `log` table file gone, reads printed
// nothing (or skipped to the next table) and succeeded.
TEST_F(Corruption, ALostLogTableIsCorruptionForGlobalCategoryTypeAndFeedReads) {
  LoseLogTable(0);
  ASSERT_NE(store_, nullptr);
  Status all = ReadStatus(*store_);
  EXPECT_TRUE(all.IsCorruption()) << all.ToString();
  // RocksDB's read-only iterator ends at the lost table without an error,
  // so the read finds 1..400 missing, not only the lost 1..200.
  EXPECT_TRUE(all.message().starts_with("log positions 1..")) << all.ToString();
  Status category = ReadStatus(*store_, {.category = "order"});
  EXPECT_TRUE(category.IsCorruption()) << category.ToString();
  Status type = ReadStatus(*store_, {.event_type = "Added"});
  EXPECT_TRUE(type.IsCorruption()) << type.ToString();
  Status feed = FeedStatus(*store_);
  EXPECT_TRUE(feed.IsCorruption()) << feed.ToString();
}

TEST_F(Corruption, ALostLastLogTableIsCorruptionAtTheEndOfTheLog) {
  LoseLogTable(1);
  ASSERT_NE(store_, nullptr);
  Status all = ReadStatus(*store_);
  EXPECT_TRUE(all.IsCorruption()) << all.ToString();
  EXPECT_NE(all.message().find("log positions 201..400 are missing"), std::string::npos)
      << all.ToString();
  Status feed = FeedStatus(*store_);
  EXPECT_TRUE(feed.IsCorruption()) << feed.ToString();
}

// Regression (issue #14): a WAL cut to half its synced length opened
// without a word, 201 of 400 synced events left, and verified clean.
TEST_F(Corruption, AWalCutShortOfItsSyncedEventsIsRefusedAtOpen) {
  Fill();  // synced, and only in the WAL: no memtable was flushed
  const std::string crashed = dir_.Sub("crashed");
  ASSERT_TRUE(CopyAsCrashed(path(), crashed));
  store_.reset();
  auto wals = FilesEndingWith(crashed, ".log");
  ASSERT_EQ(wals.size(), 1u);
  ASSERT_TRUE(TruncateFile(wals[0], fs::file_size(wals[0]) / 2));

  for (bool read_only : {false, true}) {
    auto opened = Store::Open(Options{.read_only = read_only}, crashed);
    ASSERT_FALSE(opened.ok()) << "opened at position " << (*opened)->LastPosition().value()
                              << " of 400 synced";
    EXPECT_TRUE(opened.status().IsCorruption()) << opened.status().ToString();
    EXPECT_NE(opened.status().message().find("up to position 400 were synced"), std::string::npos)
        << opened.status().ToString();
  }
}

// A process killed in the middle of writing its last record leaves it torn;
// it was never synced, so never acknowledged as durable: the store opens as
// the prefix before it, and verifies clean.
TEST_F(Corruption, AWalTornInItsLastUnsyncedRecordStillOpens) {
  // No background sync: the last append stays unsynced.
  Reopen(Options{.buffered_sync_interval_ms = 3'600'000});
  Fill();
  AppendOne("cart-9", "Added");  // position 401, in the page cache only
  const std::string crashed = dir_.Sub("crashed");
  ASSERT_TRUE(CopyAsCrashed(path(), crashed));
  store_.reset();
  auto wals = FilesEndingWith(crashed, ".log");
  ASSERT_FALSE(wals.empty());
  const fs::path wal = *std::max_element(wals.begin(), wals.end());  // the live one
  ASSERT_TRUE(TruncateFile(wal, fs::file_size(wal) - 10));

  auto opened = Store::Open(Options{}, crashed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ((*opened)->LastPosition(), Position(400));
  auto report = (*opened)->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
}

TEST_F(Corruption, VerifyReportsAMissingLogRecord) {
  Fill();
  EditBehindTheEngine([](rocksdb::DB& db, const auto& cf) {
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), cf[Db::kLog], keys::LogKey(Position(77))).ok());
  });
  EXPECT_TRUE(Mentions(Problems(), "position 77) is missing from the log"));
}

TEST_F(Corruption, VerifyReportsAMissingStreamRecordAsAVersionGap) {
  Fill();
  EditBehindTheEngine([](rocksdb::DB& db, const auto& cf) {
    // Stream ids are given in order of creation: cart-0 is 1.
    ASSERT_TRUE(
        db.Delete(rocksdb::WriteOptions(), cf[Db::kStream], keys::StreamKey(1, Version(10))).ok());
  });
  EXPECT_TRUE(Mentions(Problems(), "stream 'cart-0': versions 10..10 are missing"));
}

TEST_F(Corruption, VerifyAndReadsReportARecordThatFailsToDecode) {
  Fill();
  EditBehindTheEngine([](rocksdb::DB& db, const auto& cf) {
    ASSERT_TRUE(
        db.Put(rocksdb::WriteOptions(), cf[Db::kLog], keys::LogKey(Position(5)), "garbage").ok());
  });
  EXPECT_TRUE(Mentions(Problems(), "log position 5: corruption"));
  Status read = ReadEverything();
  EXPECT_TRUE(read.IsCorruption()) << read.ToString();
}

TEST_F(Corruption, VerifyReportsARecordUnderAnotherPositionsKey) {
  Fill();
  EditBehindTheEngine([](rocksdb::DB& db, const auto& cf) {
    std::string record;
    ASSERT_TRUE(
        db.Get(rocksdb::ReadOptions(), cf[Db::kLog], keys::LogKey(Position(6)), &record).ok());
    ASSERT_TRUE(
        db.Put(rocksdb::WriteOptions(), cf[Db::kLog], keys::LogKey(Position(7)), record).ok());
  });
  EXPECT_TRUE(Mentions(Problems(), "log position 7 holds the event of position 6"));
}

TEST_F(Corruption, VerifyReportsIndexEntriesThatDisagreeWithTheLog) {
  Fill();
  EditBehindTheEngine([](rocksdb::DB& db, const auto& cf) {
    auto w = rocksdb::WriteOptions();
    // Fill appends one event at a time: one posting chunk per position.
    ASSERT_TRUE(db.Put(w, cf[Db::kByCategory], keys::IndexKey("order", Position(1)),
                       chunk::EncodePostings({1}))
                    .ok());
    ASSERT_TRUE(db.Delete(w, cf[Db::kByType], keys::IndexKey("Added", Position(3))).ok());
    ASSERT_TRUE(db.Put(w, cf[Db::kByType], keys::IndexKey("Added", Position(9000)),
                       chunk::EncodePostings({9000}))
                    .ok());
  });
  std::string problems = Problems();
  EXPECT_TRUE(Mentions(
      problems, "category index entry 'order' at 1 points at an event of another category"));
  EXPECT_TRUE(Mentions(problems, "log position 3 has no type index entry"));
  EXPECT_TRUE(
      Mentions(problems, "type index entry 'Added' at 9000 is outside 1..last position 400"));
}

TEST_F(Corruption, VerifyReportsALastPositionCounterBehindTheLog) {
  Fill();
  EditBehindTheEngine([this](rocksdb::DB& db, const auto& cf) {
    ASSERT_TRUE(
        db.Put(rocksdb::WriteOptions(), cf[Db::kDefault], std::string(keys::kLastPosition), "390")
            .ok());
    // The synced mark (400) would refuse the open: this test is about what
    // Verify finds in the families.
    ASSERT_TRUE(fs::remove(fs::path(path()) / "SYNCED"));
  });
  EXPECT_TRUE(Mentions(Problems(), "log position 391 is outside 1..last position 390"));
}

}  // namespace
}  // namespace evlog::testutil
