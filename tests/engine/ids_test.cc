// Caller ids in storage format 2 (docs/plans/format2.md §2, option (b)):
// one `ids` chunk per log chunk with caller ids, an in-memory window rebuilt
// from them at open, the `dedup` rows of stores written before still read,
// the compaction filter and verify. The window's own rules are in
// id_window_test.cc; the duplicate rules in idempotency_test.cc.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "chunk.h"
#include "clock.h"
#include "keys.h"
#include "testutil/raw_rocks.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using Idempotency = testutil::StoreTest;

constexpr int64_t kHour = int64_t{3600} * 1'000'000;

// A closed store's family `name`, key -> value.
std::map<std::string, std::string> Family(const std::string& path, const std::string& name) {
  std::map<std::string, std::string> out;
  testutil::WithRawRocks(path, [&](rocksdb::DB& db, const auto& names, const auto& handles) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] != name) continue;
      std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), handles[i]));
      for (it->SeekToFirst(); it->Valid(); it->Next())
        out[it->key().ToString()] = it->value().ToString();
      ASSERT_TRUE(it->status().ok());
    }
  });
  return out;
}

// The entries of the ids chunk stored under log position `last`.
std::vector<chunk::IdEntry> IdsChunk(const std::map<std::string, std::string>& ids, uint64_t last,
                                     int64_t* commit_us = nullptr) {
  auto it = ids.find(keys::LogKey(Position(last)));
  EXPECT_NE(it, ids.end()) << "no ids chunk at " << last;
  if (it == ids.end()) return {};
  std::vector<chunk::IdEntry> entries;
  int64_t us = 0;
  EXPECT_TRUE(chunk::DecodeIds(it->second, last, &us, &entries).ok());
  if (commit_us != nullptr) *commit_us = us;
  return entries;
}

std::vector<EventData> WithIds(const std::vector<Uuid>& ids) {
  std::vector<EventData> events;
  for (size_t i = 0; i < ids.size(); ++i) events.push_back(Ev("Line", std::to_string(i), ids[i]));
  return events;
}

std::vector<Uuid> RandomIds(size_t n) {
  std::vector<Uuid> ids(n);
  for (Uuid& id : ids) id = Uuid::Random();
  return ids;
}

// Retrying the store's first append (ids a, b to a-1, positions 1..2)
// answers it as deduplicated; b beside a new id is a conflict. The retry
// goes first, so the overlap is judged against the window as found.
void ExpectRetryOfTheFirstAppendDeduplicated(Store& store, const Uuid& a, const Uuid& b) {
  auto retry = store.Append("a-1", ExpectedVersion::Any(), WithIds({a, b}));
  ASSERT_OK(retry.status());
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->streams[0].first_position, Position(1));
  EXPECT_EQ(retry->streams[0].last_position, Position(2));
  auto overlap = store.Append("a-1", ExpectedVersion::Any(), WithIds({Uuid::Random(), b}));
  EXPECT_TRUE(overlap.status().IsIdempotencyConflict()) << overlap.status().ToString();
}

TEST_F(Idempotency, RetryAfterReopenIsDeduplicatedByTheRebuiltWindow) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({a, b})).status());
  AppendOne("a-2");
  store_.reset();
  // The ids are in one `ids` chunk under the log chunk's last position;
  // nothing is in `dedup`.
  auto ids = Family(path(), "ids");
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(IdsChunk(ids, 2), (std::vector<chunk::IdEntry>{{1, a}, {2, b}}));
  EXPECT_TRUE(Family(path(), "dedup").empty());
  Reopen();
  ASSERT_NO_FATAL_FAILURE(ExpectRetryOfTheFirstAppendDeduplicated(*store_, a, b));
  EXPECT_EQ(store_->LastPosition(), Position(3));
  testutil::ExpectVerifiesClean(*store_);
}

TEST_F(Idempotency, AHundredEventAppendWithIdsRetriedAfterAReopenWritesNothing) {
  const std::vector<Uuid> ids = RandomIds(100);
  AppendOne("other-1");
  ASSERT_OK(store_->Append("batch-1", ExpectedVersion::NoStream(), WithIds(ids)).status());
  Reopen();
  auto retry = store_->Append("batch-1", ExpectedVersion::NoStream(), WithIds(ids));
  ASSERT_OK(retry.status());
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->streams[0].first_position, Position(2));
  EXPECT_EQ(retry->streams[0].last_position, Position(101));
  EXPECT_EQ(store_->LastPosition(), Position(101));
  store_.reset();
  // One ids chunk, 100 ids, and the retry added none.
  auto chunks = Family(path(), "ids");
  ASSERT_EQ(chunks.size(), 1u);
  std::vector<chunk::IdEntry> entries = IdsChunk(chunks, 101);
  ASSERT_EQ(entries.size(), 100u);
  EXPECT_EQ(entries.front(), (chunk::IdEntry{2, ids.front()}));
  EXPECT_EQ(entries.back(), (chunk::IdEntry{101, ids.back()}));
}

// The rebuilt window applies the age bound per ids chunk: with a window of
// one hour, an id committed two hours ago is a new append after the reopen,
// one committed half an hour ago is still a duplicate, and so are both
// after a second reopen.
TEST_F(Idempotency, AWindowCutByTheAgeBoundHoldsAcrossReopen) {
  const Options hour{.dedup_window_seconds = 3600};
  Reopen(hour);
  Uuid old_id = Uuid::Random(), recent = Uuid::Random(), fresh = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({old_id})).status());  // 1
  ASSERT_OK(store_->Append("a-2", ExpectedVersion::Any(), WithIds({recent})).status());  // 2
  ASSERT_OK(store_->Append("a-3", ExpectedVersion::Any(), WithIds({fresh})).status());   // 3
  store_.reset();
  // Age the first two chunks behind the engine.
  const int64_t now = WallMicros();
  testutil::WithRawFamily(path(), "ids", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf, keys::LogKey(Position(1)),
                       chunk::EncodeIds(1, now - 2 * kHour, {{1, old_id}}))
                    .ok());
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf, keys::LogKey(Position(2)),
                       chunk::EncodeIds(2, now - kHour / 2, {{2, recent}}))
                    .ok());
  });
  for (int reopen = 0; reopen < 2; ++reopen) {
    Reopen(hour);
    auto r = store_->Append("a-2", ExpectedVersion::Any(), WithIds({recent}));
    ASSERT_OK(r.status());
    EXPECT_TRUE(r->deduplicated) << reopen;
    EXPECT_EQ(r->streams[0].first_position, Position(2));
    r = store_->Append("a-3", ExpectedVersion::Any(), WithIds({fresh}));
    ASSERT_OK(r.status());
    EXPECT_TRUE(r->deduplicated) << reopen;
    r = store_->Append("a-1", ExpectedVersion::Any(), WithIds({old_id}));
    ASSERT_OK(r.status());
    // The first time a new append at 4; then a duplicate of that one.
    EXPECT_EQ(r->deduplicated, reopen == 1);
    EXPECT_EQ(r->streams[0].first_position, Position(4));
  }
  EXPECT_EQ(store_->LastPosition(), Position(4));
}

using IdsChunks = testutil::StoreTest;

TEST_F(IdsChunks, EachLogChunkWithCallerIdsHasOneIdsChunkListingOnlyThose) {
  // 300 events, every third with a caller id: log chunks of 256 and 44.
  std::vector<EventData> events;
  std::vector<chunk::IdEntry> given;
  for (uint64_t p = 1; p <= 300; ++p) {
    Uuid id = p % 3 == 0 ? Uuid::Random() : Uuid();
    if (p % 3 == 0) given.push_back({p, id});
    events.push_back(Ev("Line", std::to_string(p), id));
  }
  ASSERT_OK(store_->Append("batch-1", ExpectedVersion::Any(), std::move(events)).status());
  AppendOne("plain-1");  // no caller id: no ids chunk
  store_.reset();
  auto ids = Family(path(), "ids");
  ASSERT_EQ(ids.size(), 2u);
  std::vector<chunk::IdEntry> found = IdsChunk(ids, 256);
  const std::vector<chunk::IdEntry> second = IdsChunk(ids, 300);
  found.insert(found.end(), second.begin(), second.end());
  EXPECT_EQ(found, given);
  EXPECT_TRUE(Family(path(), "dedup").empty());
  Reopen();
  testutil::ExpectVerifiesClean(*store_);
}

TEST_F(IdsChunks, ChunksOutsideTheWindowAreDroppedByCompaction) {
  const Options small{.dedup_window_events = 2};
  Reopen(small);
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({Uuid::Random()})).status());
  }
  ASSERT_OK(store_->Compact());
  store_.reset();
  auto ids = Family(path(), "ids");
  // Last position 4: 3 and 4 are inside a window of 2, 1 and 2 are not.
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids.begin()->first, keys::LogKey(Position(3)));
}

TEST_F(IdsChunks, VerifyReportsAnIdsChunkThatDisagreesWithTheLog) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({a})).status());
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({b})).status());
  store_.reset();
  int64_t commit_us = 0;
  IdsChunk(Family(path(), "ids"), 2, &commit_us);
  testutil::WithRawFamily(path(), "ids", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf, keys::LogKey(Position(2)),
                       chunk::EncodeIds(2, commit_us, {{2, a}}))
                    .ok());
    std::string value = chunk::EncodeIds(1, WallMicros(), {{1, a}});
    value[value.size() - 1] ^= 1;
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf, keys::LogKey(Position(1)), value).ok());
  });
  Reopen();
  auto report = store_->Verify();
  ASSERT_OK(report.status());
  ASSERT_EQ(report->problem_count, 2u);
  EXPECT_NE(report->problems[0].find("ids chunk at log position 1: "), std::string::npos)
      << report->problems[0];
  EXPECT_NE(report->problems[1].find("ids chunk at log position 2 for position 2 names an id that "
                                     "event does not have"),
            std::string::npos)
      << report->problems[1];
}

// Puts `value` as the ids chunk under log position `key` of the closed
// store at `path`.
void PutIdsChunk(const std::string& path, uint64_t key, const std::string& value) {
  testutil::WithRawFamily(path, "ids", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf, keys::LogKey(Position(key)), value).ok());
  });
}

// Expects Verify to report exactly `problem`.
void ExpectTheOneProblem(Store& store, const std::string& problem) {
  auto report = store.Verify();
  ASSERT_OK(report.status());
  ASSERT_EQ(report->problem_count, 1u) << (report->problems.empty() ? "" : report->problems[0]);
  EXPECT_EQ(report->problems[0], problem);
}

TEST_F(IdsChunks, VerifyReportsAnIdsChunkWhoseCommitTimeIsNotItsLogChunks) {
  Uuid a = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({a})).status());
  store_.reset();
  int64_t commit_us = 0;
  IdsChunk(Family(path(), "ids"), 1, &commit_us);
  PutIdsChunk(path(), 1, chunk::EncodeIds(1, commit_us + 1, {{1, a}}));
  Reopen();
  ExpectTheOneProblem(*store_, "ids chunk at log position 1 has commit time " +
                                   std::to_string(commit_us + 1) + ", its log chunk's is " +
                                   std::to_string(commit_us));
}

TEST_F(IdsChunks, VerifyReportsAnIdsChunkBeyondTheLastPosition) {
  const Uuid a = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({a})).status());  // 1
  store_.reset();
  PutIdsChunk(path(), 9, chunk::EncodeIds(9, 1, {{9, a}}));
  Reopen();
  ExpectTheOneProblem(*store_, "ids chunk at log position 9 is outside 1..last position 1");
}

TEST_F(IdsChunks, VerifyReportsAMalformedIdsKey) {
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds(RandomIds(1))).status());
  store_.reset();
  testutil::WithRawFamily(path(), "ids", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), cf, "abc", "x").ok());
  });
  Reopen();
  ExpectTheOneProblem(*store_, "ids: malformed key of 3 bytes");
}

TEST_F(IdsChunks, VerifyReportsAnIdsChunkNotAtItsLogChunksLastPosition) {
  const std::vector<Uuid> ids = RandomIds(3);
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds(ids)).status());  // 1..3
  store_.reset();
  int64_t commit_us = 0;
  IdsChunk(Family(path(), "ids"), 3, &commit_us);
  PutIdsChunk(path(), 2, chunk::EncodeIds(2, commit_us, {{1, ids[0]}, {2, ids[1]}}));
  Reopen();
  ExpectTheOneProblem(*store_,
                      "ids chunk at log position 2 is not at a log chunk's last position: the "
                      "log chunk of positions 1..3 holds 2");
}

TEST_F(IdsChunks, VerifyReportsAnIdsEntryOutsideItsLogChunksRange) {
  const Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({a})).status());  // 1
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({b})).status());  // 2
  store_.reset();
  int64_t commit_us = 0;
  IdsChunk(Family(path(), "ids"), 2, &commit_us);
  // Position 1's id is its event's, but in the chunk of the log chunk 2..2.
  PutIdsChunk(path(), 2, chunk::EncodeIds(2, commit_us, {{1, a}, {2, b}}));
  Reopen();
  ExpectTheOneProblem(*store_,
                      "ids chunk at log position 2 names position 1, outside its log chunk's "
                      "range 2..2");
}

TEST_F(IdsChunks, VerifyReportsAnIdsChunkWhoseLogChunkIsLostNotReclaimed) {
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds(RandomIds(1))).status());  // 1
  AppendOne("a-2");                                                                          // 2
  store_.reset();
  testutil::WithRawFamily(path(), "log", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
    ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), cf, keys::LogKey(Position(1))).ok());
  });
  Reopen();
  auto report = store_->Verify();
  ASSERT_OK(report.status());
  const std::string want =
      "ids chunk at log position 1 has no log chunk: none ends at 1 and no trim reclaimed it";
  EXPECT_NE(std::find(report->problems.begin(), report->problems.end(), want),
            report->problems.end())
      << testing::PrintToString(report->problems);
}

// A hard delete reclaims the whole log chunk of a-1's append; its ids chunk
// stays until the window drops it, and is not a problem.
TEST_F(IdsChunks, VerifyIsCleanOnceATrimReclaimedALogChunkWithIds) {
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds(RandomIds(2))).status());  // 1..2
  ASSERT_OK(store_->Append("a-2", ExpectedVersion::Any(), WithIds(RandomIds(1))).status());  // 3
  ASSERT_OK(store_->DeleteStream("a-1", /*hard=*/true));
  testutil::ExpectVerifiesClean(*store_);
  ASSERT_OK(store_->Compact());
  store_.reset();
  EXPECT_EQ(Family(path(), "log").count(keys::LogKey(Position(2))), 0u);
  EXPECT_EQ(Family(path(), "ids").count(keys::LogKey(Position(2))), 1u);
  Reopen();
  testutil::ExpectVerifiesClean(*store_);
  auto report = store_->Verify();
  ASSERT_OK(report.status());
  EXPECT_EQ(report->reclaimed, 2u);
}

TEST_F(IdsChunks, MetricsReportTheWindowsMemoryWhichTheOpenRebuilds) {
  auto before = store_->Metrics();
  ASSERT_OK(before.status());
  EXPECT_EQ(before->id_window_bytes, 0u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(
        store_->Append("a-" + std::to_string(i), ExpectedVersion::Any(), WithIds(RandomIds(100)))
            .status());
  }
  auto after = store_->Metrics();
  ASSERT_OK(after.status());
  EXPECT_GE(after->id_window_bytes, 1000u * 24);
  EXPECT_LE(after->id_window_bytes, 1000u * 48 + 1024);
  Reopen();
  auto reopened = store_->Metrics();
  ASSERT_OK(reopened.status());
  EXPECT_GE(reopened->id_window_bytes, 1000u * 24);
  AppendOne("plain-1");  // no ids: nothing more
  EXPECT_EQ(store_->Metrics()->id_window_bytes, reopened->id_window_bytes);
}

// A store written before the `ids` chunks holds one `dedup` row per caller
// id (id -> position, commit time) and an empty `ids`; built here from a
// store of today by moving its ids chunks into such rows.
class IdsUpgrade : public testutil::StoreTest {
 protected:
  void RewriteAsDedupRows(int64_t commit_us) {
    auto chunks = Family(path(), "ids");
    std::vector<std::pair<Uuid, uint64_t>> rows;
    for (const auto& [key, value] : chunks) {
      Position last;
      ASSERT_TRUE(keys::ParseLogKey(key, &last));
      int64_t us = 0;
      std::vector<chunk::IdEntry> entries;
      ASSERT_TRUE(chunk::DecodeIds(value, last.value(), &us, &entries).ok());
      for (const auto& e : entries) rows.emplace_back(e.id, e.position);
    }
    ASSERT_FALSE(rows.empty());
    testutil::WithRawRocks(path(), [&](rocksdb::DB& db, const auto& names, const auto& handles) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == "ids") {
          for (const auto& [key, value] : chunks) {
            ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), handles[i], key).ok());
          }
        } else if (names[i] == "dedup") {
          for (const auto& [id, p] : rows) {
            ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), handles[i], keys::DedupKey(id),
                               keys::DedupValue(Position(p), commit_us))
                            .ok());
          }
        }
      }
    });
  }
};

TEST_F(IdsUpgrade, IdsAcknowledgedAsDedupRowsAreStillDeduplicatedAfterTheUpgrade) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({a, b})).status());  // 1..2
  AppendOne("a-2");                                                                    // 3
  store_.reset();
  ASSERT_NO_FATAL_FAILURE(RewriteAsDedupRows(WallMicros()));
  ASSERT_TRUE(Family(path(), "ids").empty());
  Reopen();
  ASSERT_NO_FATAL_FAILURE(ExpectRetryOfTheFirstAppendDeduplicated(*store_, a, b));
  // An id appended after the upgrade goes to `ids`; both kinds are found
  // after the next reopen.
  Uuid c = Uuid::Random();
  ASSERT_OK(store_->Append("a-3", ExpectedVersion::Any(), WithIds({c})).status());  // 4
  testutil::ExpectVerifiesClean(*store_);
  Reopen();
  auto retry = store_->Append("a-1", ExpectedVersion::Any(), WithIds({a, b}));
  ASSERT_OK(retry.status());
  EXPECT_TRUE(retry->deduplicated);
  auto retry_c = store_->Append("a-3", ExpectedVersion::Any(), WithIds({c}));
  ASSERT_OK(retry_c.status());
  EXPECT_TRUE(retry_c->deduplicated);
  EXPECT_EQ(retry_c->streams[0].first_position, Position(4));
  EXPECT_EQ(store_->LastPosition(), Position(4));
  store_.reset();
  EXPECT_EQ(Family(path(), "dedup").size(), 2u);  // read, never rewritten
  EXPECT_EQ(Family(path(), "ids").size(), 1u);
}

TEST_F(IdsUpgrade, ADedupRowOutsideTheAgeWindowIsNotADuplicate) {
  Uuid a = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), WithIds({a})).status());
  store_.reset();
  ASSERT_NO_FATAL_FAILURE(RewriteAsDedupRows(WallMicros() - 25 * kHour));
  Reopen();
  auto r = store_->Append("a-1", ExpectedVersion::Any(), WithIds({a}));
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->deduplicated);
  EXPECT_EQ(r->streams[0].first_position, Position(2));
}

}  // namespace
}  // namespace evlog
