// Opening stores: recovery, format versions, locking, read-only followers and
// corruption detection.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using StoreOpen = testutil::StoreTest;

// Opens the store's RocksDB directly (the store must be closed) and runs `f`
// with the handle of column family `family`.
template <class F>
void WithRocks(const std::string& path, const std::string& family, F f) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &raw).ok());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == family) f(raw, handles[i]);
  }
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
  delete raw;
}

TEST_F(StoreOpen, ReopenKeepsEventsAndPositionsContinue) {
  AppendOne("a-1");
  AppendOne("a-2");
  Reopen();
  EXPECT_EQ(store_->LastPosition(), Position(2));
  StreamAppendResult r = AppendOne("a-1");
  EXPECT_EQ(r.first_position, Position(3));
  EXPECT_EQ(r.first_version, Version(2));
}

TEST_F(StoreOpen, RecoveredHeadsEnforceExpectedVersions) {
  AppendOne("a-1");
  AppendOne("a-1");
  Reopen();
  auto stale = store_->Append("a-1", ExpectedVersion::Exact(Version(1)), {Ev("T")});
  ASSERT_TRUE(stale.status().IsWrongExpectedVersion());
  EXPECT_EQ(stale.status().actual_version(), 2u);
  EXPECT_OK(store_->Append("a-1", ExpectedVersion::Exact(Version(2)), {Ev("T")}).status());
  auto stats = store_->Stats();
  EXPECT_EQ(stats->streams, 1u);
}

TEST_F(StoreOpen, NewerFormatVersionIsRefused) {
  AppendOne("a-1");
  store_.reset();
  WithRocks(path(), "default", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, "evlog.format_version", "999").ok());
  });
  auto r = Store::Open(Options{}, path());
  ASSERT_TRUE(r.status().IsNotSupported()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("999"), std::string::npos);
}

TEST_F(StoreOpen, SecondWriterIsRefusedAsBusy) {
  auto second = Store::Open(Options{}, path());
  EXPECT_TRUE(second.status().IsBusy()) << second.status().ToString();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
}

TEST_F(StoreOpen, ReadOnlyOpenSeesTheWriterAndCatchesUp) {
  AppendOne("a-1");
  auto reader = Store::Open(Options{.read_only = true}, path());
  ASSERT_OK(reader.status());
  EXPECT_EQ((*reader)->LastPosition(), Position(1));
  AppendOne("a-1");
  ASSERT_OK((*reader)->CatchUp());
  EXPECT_EQ((*reader)->LastPosition(), Position(2));
  auto it = (*reader)->ReadStream("a-1");
  ASSERT_OK(it.status());
  EXPECT_EQ(testutil::Collect(**it).size(), 2u);
}

TEST_F(StoreOpen, MissingStoreWithoutCreateIsNotFound) {
  auto r = Store::Open(Options{.create_if_missing = false}, dir_.Sub("none"));
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  auto ro = Store::Open(Options{.read_only = true}, dir_.Sub("none"));
  EXPECT_TRUE(ro.status().IsNotFound());
}

TEST_F(StoreOpen, NonEmptyDirectoryThatIsNotAStoreIsRefused) {
  std::string other = dir_.Sub("other");
  std::filesystem::create_directories(other);
  std::ofstream(other + "/notes.txt") << "mine";
  auto r = Store::Open(Options{}, other);
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
}

// Counts the entries of column family `family` (the store must be closed).
size_t CountEntries(const std::string& path, const std::string& family) {
  size_t n = 0;
  WithRocks(path, family, [&](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  });
  return n;
}

TEST_F(StoreOpen, CompactionReclaimsTrimmedDeletedAndExpiredEvents) {
  for (int i = 0; i < 10; ++i) AppendOne("a-1");
  for (int i = 0; i < 3; ++i) AppendOne("b-1");
  for (int i = 0; i < 2; ++i) AppendOne("c-1");
  for (int i = 0; i < 5; ++i) AppendOne("d-1");
  for (int i = 0; i < 2; ++i) AppendOne("e-1");
  ASSERT_OK(store_->TrimStream("a-1", {.before = Version(8), .require_snapshot = false}).status());
  ASSERT_OK(store_->DeleteStream("b-1", /*hard=*/true));
  ASSERT_OK(store_->SetStreamMetadata("d-1", {.max_count = 2}));
  ASSERT_OK(store_->SetStreamMetadata("e-1", {.max_age_seconds = 0}));
  ASSERT_OK(store_->Compact());
  // Survives a reopen too: the trim points are reloaded from the metadata.
  Reopen();
  ASSERT_OK(store_->Compact());
  store_.reset();
  // Kept: a-1 versions 8..10, c-1 both, d-1 the newest two, none of e-1,
  // and the four $meta events.
  EXPECT_EQ(CountEntries(path(), "stream"), 3u + 2u + 2u + 4u);
  EXPECT_EQ(CountEntries(path(), "log"), 3u + 2u + 2u + 4u);
  Reopen();
  EXPECT_EQ(ReadStream("a-1").front().version, Version(8));
  EXPECT_EQ(ReadAll({.category = "a"}).size(), 3u);
}

TEST_F(StoreOpen, CorruptRecordIsCorruptionNotACrash) {
  for (int i = 0; i < 3; ++i) AppendOne("a-1");
  store_.reset();
  WithRocks(path(), "log", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::string key(8, '\0');
    key[7] = 2;  // position 2, big-endian
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, key, "garbage, not a record").ok());
  });
  Reopen();
  auto it = store_->ReadAll();
  int valid = 0;
  for (; it->Valid(); it->Next()) ++valid;
  EXPECT_EQ(valid, 1);
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

TEST_F(StoreOpen, TruncatedRecordIsCorruption) {
  AppendOne("a-1");
  store_.reset();
  WithRocks(path(), "stream", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    std::string value = it->value().ToString();
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), cf, it->key(), value.substr(0, value.size() / 2)).ok());
  });
  Reopen();
  auto it = store_->ReadStream("a-1");
  ASSERT_OK(it.status());
  EXPECT_FALSE((*it)->Valid());
  EXPECT_TRUE((*it)->status().IsCorruption());
}

TEST_F(StoreOpen, RecordUnderTheWrongPositionIsCorruption) {
  AppendOne("a-1");
  AppendOne("a-1");
  store_.reset();
  WithRocks(path(), "log", [](rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
    std::string one(8, '\0'), two(8, '\0');
    one[7] = 1;
    two[7] = 2;
    std::string record;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), cf, one, &record).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, two, record).ok());
  });
  Reopen();
  auto it = store_->ReadAll({.from = Position(2)});
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
}

}  // namespace
}  // namespace evlog
