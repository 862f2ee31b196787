// Iterators kept between tag reads (engine/iterator_pool.h): a read with a
// kept iterator returns what a read with a new one would (the events
// appended since the previous read, none a trim or delete reclaimed since,
// its own tag's only), and the pool keeps no idle iterator past a flush or
// compaction, nor more than its limit, nor any after it closes.

#include "iterator_pool.h"

#include <gtest/gtest.h>
#include <rocksdb/perf_level.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db.h"
#include "keys.h"
#include "testutil/eventually.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Positions;
using testutil::StoreTest;
using testutil::Tagged;
using TagReads = StoreTest;
using P = std::vector<uint64_t>;

Query ByTag(std::string tag) { return Query{.items = {QueryItem{.tags = {std::move(tag)}}}}; }

QueryOptions Backward() { return QueryOptions{.direction = Direction::kBackward}; }

TEST_F(TagReads, SeeAnEventAppendedAfterThePreviousRead) {
  ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {"a"})}).status());
  ASSERT_EQ(Positions(store_->Read(ByTag("a"))), (P{1}));
  ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {"b"})}).status());
  ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {"a", "b"})}).status());
  EXPECT_EQ(Positions(store_->Read(ByTag("a"))), (P{1, 3}));
  EXPECT_EQ(Positions(store_->Read(ByTag("b"))), (P{2, 3}));
  EXPECT_EQ(Positions(store_->Read(ByTag("a"), Backward())), (P{3, 1}));
}

TEST_F(TagReads, SeeEventsAcrossFlushesAndCompactions) {
  ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {"a"})}).status());
  ASSERT_EQ(Positions(store_->Read(ByTag("a"))), (P{1}));
  ASSERT_OK(store_->Compact());
  ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {"a"})}).status());
  EXPECT_EQ(Positions(store_->Read(ByTag("a"))), (P{1, 2}));
  ASSERT_OK(store_->Compact());
  ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {"a"})}).status());
  EXPECT_EQ(Positions(store_->Read(ByTag("a"))), (P{1, 2, 3}));
  EXPECT_EQ(Positions(store_->Read(ByTag("a"), Backward())), (P{3, 2, 1}));
}

TEST_F(TagReads, DoNotReturnEventsATrimOrDeleteReclaimedSinceThePreviousRead) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(store_->Append("s-1", ExpectedVersion::Any(), {Tagged("T", {"a"})}).status());
  }
  ASSERT_OK(store_->Append("s-2", ExpectedVersion::Any(), {Tagged("T", {"a"})}).status());
  ASSERT_EQ(Positions(store_->Read(ByTag("a"))), (P{1, 2, 3, 4, 5}));

  ASSERT_OK(store_->TrimStream("s-1", {.before = Version(3), .require_snapshot = false}).status());
  EXPECT_EQ(Positions(store_->Read(ByTag("a"))), (P{3, 4, 5}));
  ASSERT_OK(store_->Compact());
  EXPECT_EQ(Positions(store_->Read(ByTag("a"))), (P{3, 4, 5}));

  ASSERT_OK(store_->DeleteStream("s-1", /*hard=*/true));
  EXPECT_EQ(Positions(store_->Read(ByTag("a"))), (P{5}));
  ASSERT_OK(store_->Compact());
  EXPECT_EQ(Positions(store_->Read(ByTag("a"))), (P{5}));
  EXPECT_EQ(Positions(store_->Read(ByTag("a"), Backward())), (P{5}));
}

// A read turns RocksDB's perf counting off while it runs, and back on.
TEST_F(TagReads, LeaveTheThreadsRocksDbPerfLevelAsItWas) {
  ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {"a"})}).status());
  for (rocksdb::PerfLevel level : {rocksdb::PerfLevel::kEnableTime, rocksdb::PerfLevel::kDisable,
                                   rocksdb::PerfLevel::kEnableCount}) {
    rocksdb::SetPerfLevel(level);
    EXPECT_EQ(Positions(store_->Read(ByTag("a"))), (P{1}));
    EXPECT_EQ(rocksdb::GetPerfLevel(), level);
  }
}

// A kept iterator has no bounds; a read stops where its tag's postings end:
// tags that are prefixes of one another (or differ in a zero byte) never
// leak into each other's reads.
TEST_F(TagReads, ReturnOnlyTheirOwnTagWhenTagsShareLeadingBytes) {
  const std::vector<std::string> tags = {"a", "ab", std::string("a\0", 2), "b", "a\xff"};
  for (const std::string& tag : tags) {
    ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {tag})}).status());
  }
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < tags.size(); ++i) {
      EXPECT_EQ(Positions(store_->Read(ByTag(tags[i]))), (P{i + 1})) << i;
      EXPECT_EQ(Positions(store_->Read(ByTag(tags[i]), Backward())), (P{i + 1})) << i;
    }
    EXPECT_EQ(Positions(store_->Read(ByTag("c"))), P{});
    ASSERT_OK(store_->Compact());
  }
}

TEST_F(TagReads, FromManyThreadsAtOnceEachReturnTheirTag) {
  constexpr int kThreads = 4;
  for (int i = 0; i < kThreads; ++i) {
    for (int k = 0; k < 3; ++k) {
      ASSERT_OK(
          store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {"t" + std::to_string(i)})})
              .status());
    }
  }
  std::vector<std::thread> readers;
  std::vector<int> wrong(kThreads, 0);
  for (int i = 0; i < kThreads; ++i) {
    readers.emplace_back([&, i] {
      const uint64_t first = static_cast<uint64_t>(3 * i + 1);
      for (int n = 0; n < 200; ++n) {
        if (Positions(store_->Read(ByTag("t" + std::to_string(i)))) !=
            P{first, first + 1, first + 2}) {
          ++wrong[static_cast<size_t>(i)];
        }
      }
    });
  }
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong, std::vector<int>(kThreads, 0));
}

// The table files of a store, by name.
std::set<std::string> TableFiles(const std::string& path) {
  std::set<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() == ".sst") out.insert(entry.path().filename().string());
  }
  return out;
}

// The pool itself, on a store's Db.
class IteratorPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Db::Open(Options{}, dir_.Sub("store"));
    ASSERT_OK(opened);
    db_ = std::move(opened).value();
  }

  IteratorPool::Lease Take() { return db_->iterators->Take(db_->db.get(), db_->cf(Db::kByTag)); }

  // A flush and a compaction of by_tag, with something in it to flush.
  void FlushAndCompact() {
    ASSERT_TRUE(db_->db->Put(rocksdb::WriteOptions(), db_->cf(Db::kByTag), "k", "v").ok());
    ASSERT_OK(db_->CompactAll());
  }

  testutil::TempDir dir_;
  std::unique_ptr<Db> db_;
};

TEST_F(IteratorPoolTest, HandsAReturnedIteratorToTheNextRead) {
  rocksdb::Iterator* first = nullptr;
  {
    IteratorPool::Lease lease = Take();
    first = lease.get();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(db_->iterators->idle(), 0u);
  }
  EXPECT_EQ(db_->iterators->idle(), 1u);
  IteratorPool::Lease again = Take();
  EXPECT_EQ(again.get(), first);
  EXPECT_EQ(db_->iterators->idle(), 0u);
}

TEST_F(IteratorPoolTest, KeepsAtMostItsLimitOfIdleIterators) {
  {
    std::vector<IteratorPool::Lease> leases;
    for (size_t i = 0; i < IteratorPool::kMaxIdle + 3; ++i) leases.push_back(Take());
  }
  EXPECT_EQ(db_->iterators->idle(), IteratorPool::kMaxIdle);
}

TEST_F(IteratorPoolTest, DropsIdleIteratorsWhenAFlushOrCompactionCompletes) {
  { IteratorPool::Lease lease = Take(); }
  ASSERT_EQ(db_->iterators->idle(), 1u);
  FlushAndCompact();
  EXPECT_TRUE(testutil::Eventually([&] { return db_->iterators->idle() == 0; }));
}

TEST_F(IteratorPoolTest, DoesNotKeepAnIteratorTakenBeforeAFlushOrCompaction) {
  IteratorPool::Lease held = Take();
  { IteratorPool::Lease lease = Take(); }
  ASSERT_EQ(db_->iterators->idle(), 1u);
  FlushAndCompact();
  // The idle one dropped: the pool has seen the flush or compaction.
  ASSERT_TRUE(testutil::Eventually([&] { return db_->iterators->idle() == 0; }));
  held = IteratorPool::Lease();
  EXPECT_EQ(db_->iterators->idle(), 0u);
}

// An idle kept iterator pins the table files it read; the compaction that
// replaces them drops it, so they are deleted before CompactAll returns.
TEST_F(IteratorPoolTest, KeepsNoReplacedTableFileOnDiskPastACompaction) {
  FlushAndCompact();
  {
    IteratorPool::Lease lease = Take();
    lease.get()->Seek(keys::TagPrefix("a"));
    ASSERT_TRUE(lease.get()->status().ok());
  }
  ASSERT_EQ(db_->iterators->idle(), 1u);
  const std::set<std::string> before = TableFiles(db_->path);
  ASSERT_FALSE(before.empty());
  FlushAndCompact();
  std::vector<rocksdb::LiveFileMetaData> live;
  db_->db->GetLiveFilesMetaData(&live);
  std::set<std::string> live_names;
  for (const auto& f : live) live_names.insert(std::filesystem::path(f.name).filename().string());
  EXPECT_EQ(TableFiles(db_->path), live_names);
}

TEST_F(IteratorPoolTest, KeepsNothingOnceClosed) {
  IteratorPool::Lease held = Take();
  { IteratorPool::Lease lease = Take(); }
  db_->iterators->Close();
  EXPECT_EQ(db_->iterators->idle(), 0u);
  held = IteratorPool::Lease();
  EXPECT_EQ(db_->iterators->idle(), 0u);
}

}  // namespace
}  // namespace evlog
