// Idempotency per group commit: the writer looks up the caller ids of every
// append of a group together (one MultiGet) before it decides the first.
// These tests hold the writer inside one group so that the appends they
// queue meanwhile are certainly decided together in the next one.

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "testutil/raw_rocks.h"
#include "testutil/store_fixture.h"
#include "wal_gate.h"

namespace evlog {
namespace {

using testutil::Ev;
using IdempotencyInOneGroup = testutil::StoreTest;

// Parks a WAL sync right after it armed the WAL gate, then makes the writer
// commit a group of one event ("held-0"): its write waits at the closed
// gate while the writer holds the group. Appends queued until Release()
// form the next group, together.
class HeldWriter {
 public:
  explicit HeldWriter(Store& store) : state_(std::make_shared<State>()) {
    // The hooks hold the state, not `this`: a sync may still run one of
    // them after the hooks are cleared.
    std::shared_ptr<State> state = state_;
    WalGate::SetTestHooksForTesting({
        .armed =
            [state] {
              std::unique_lock<std::mutex> lock(state->mu);
              if (state->parked) return;  // only the first sync
              state->parked = true;
              state->cv.notify_all();
              state->cv.wait(lock, [&] { return state->released; });
            },
        .writer_waits =
            [state] {
              std::lock_guard<std::mutex> lock(state->mu);
              state->writer_waits = true;
              state->cv.notify_all();
            },
    });
    syncer_ = std::thread([&store] { (void)store.Sync(); });
    {
      std::unique_lock<std::mutex> lock(state_->mu);
      state_->cv.wait(lock, [&] { return state_->parked; });
    }
    AppendRequest held;
    held.streams.push_back({"held-0", ExpectedVersion::Any(), {Ev("Held")}});
    held.durability = Durability::kBuffered;
    store.AppendAsync(std::move(held), [](Result<AppendResult>) {});
    std::unique_lock<std::mutex> lock(state_->mu);
    state_->cv.wait(lock, [&] { return state_->writer_waits; });
  }
  HeldWriter(const HeldWriter&) = delete;
  HeldWriter& operator=(const HeldWriter&) = delete;
  ~HeldWriter() {
    Release();
    WalGate::SetTestHooksForTesting({});
  }

  // Lets the parked sync and the held group finish.
  void Release() {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->released = true;
      state_->cv.notify_all();
    }
    if (syncer_.joinable()) syncer_.join();
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool parked = false, released = false, writer_waits = false;
  };
  std::shared_ptr<State> state_;
  std::thread syncer_;
};

// Group commits that wrote something, so far.
uint64_t WrittenGroups(Store& store) {
  Result<MetricsSnapshot> m = store.Metrics();
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? m->group_commit_events.count : 0;
}

std::future<Result<AppendResult>> Queue(Store& store, std::string stream,
                                        std::vector<EventData> events,
                                        DuplicatePolicy duplicates = DuplicatePolicy::kError) {
  auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
  auto future = promise->get_future();
  AppendRequest request;
  request.streams.push_back({std::move(stream), ExpectedVersion::Any(), std::move(events)});
  request.duplicates = duplicates;
  request.durability = Durability::kBuffered;
  store.AppendAsync(std::move(request),
                    [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
  return future;
}

TEST_F(IdempotencyInOneGroup, TwoAppendsCarryingTheSameIdWriteOnce) {
  Uuid x = Uuid::Random();
  HeldWriter held(*store_);  // position 1
  auto first = Queue(*store_, "a-1", {Ev("X", "1", x)});
  auto second = Queue(*store_, "a-1", {Ev("X", "1", x)});
  held.Release();
  Result<AppendResult> r1 = first.get();
  Result<AppendResult> r2 = second.get();
  ASSERT_OK(r1.status());
  ASSERT_OK(r2.status());
  EXPECT_FALSE(r1->deduplicated);
  EXPECT_TRUE(r2->deduplicated);
  EXPECT_EQ(r1->streams[0].first_position, Position(2));
  EXPECT_EQ(r2->streams[0].first_position, Position(2));
  EXPECT_EQ(r2->streams[0].first_version, Version(1));
  EXPECT_EQ(store_->LastPosition(), Position(2));
  EXPECT_EQ(ReadStream("a-1").size(), 1u);
}

// The retry finds its events among those staged earlier in the group, by
// position, past another stream's: it gets their versions and positions.
TEST_F(IdempotencyInOneGroup, ARetryOfPartOfAnEarlierAppendOfItsGroupGetsThoseEventsResult) {
  Uuid x = Uuid::Random(), y = Uuid::Random(), z = Uuid::Random(), w = Uuid::Random();
  HeldWriter held(*store_);  // position 1
  auto first = Queue(*store_, "a-1", {Ev("X", "1", x), Ev("Y", "2", y), Ev("Z", "3", z)});
  auto other = Queue(*store_, "b-1", {Ev("W", "4", w)});
  auto retry = Queue(*store_, "a-1", {Ev("Y", "2", y), Ev("Z", "3", z)});
  held.Release();
  ASSERT_OK(first.get().status());
  ASSERT_OK(other.get().status());
  Result<AppendResult> r = retry.get();
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->deduplicated);
  ASSERT_EQ(r->streams.size(), 1u);
  EXPECT_EQ(r->streams[0].stream, "a-1");
  EXPECT_EQ(r->streams[0].first_position, Position(3));
  EXPECT_EQ(r->streams[0].first_version, Version(2));
  EXPECT_EQ(r->streams[0].last_version, Version(3));
  EXPECT_EQ(store_->LastPosition(), Position(5));
}

TEST_F(IdempotencyInOneGroup, AnAppendOverlappingAnEarlierOneOfItsGroupIsAConflictOrSkips) {
  Uuid x = Uuid::Random(), y = Uuid::Random(), z = Uuid::Random();
  const uint64_t groups = WrittenGroups(*store_);
  HeldWriter held(*store_);  // position 1
  auto first = Queue(*store_, "a-1", {Ev("X", "1", x)});
  auto overlap = Queue(*store_, "a-1", {Ev("X", "1", x), Ev("Y", "2", y)});
  auto skipping = Queue(*store_, "a-1", {Ev("X", "1", x), Ev("Z", "3", z)}, DuplicatePolicy::kSkip);
  held.Release();
  ASSERT_OK(first.get().status());
  Result<AppendResult> conflict = overlap.get();
  EXPECT_TRUE(conflict.status().IsIdempotencyConflict()) << conflict.status().ToString();
  Result<AppendResult> skipped = skipping.get();
  ASSERT_OK(skipped.status());
  EXPECT_FALSE(skipped->deduplicated);
  EXPECT_EQ(skipped->streams[0].skipped, (std::vector<Uuid>{x}));
  EXPECT_EQ(skipped->streams[0].first_position, Position(3));
  std::vector<OwnedEvent> events = ReadStream("a-1");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].view().id, x);
  EXPECT_EQ(events[1].view().id, z);
  EXPECT_EQ(WrittenGroups(*store_), groups + 2);  // the held one, then these together
}

// Committed before a reopen: stream s-i holds ids a[i], b[i] at positions
// 2i+1, 2i+2. One group then retries them in reverse order (so the records
// the lookups find are not in position order), overlaps them partly, skips
// them, and adds new events.
TEST_F(IdempotencyInOneGroup, CommittedIdsAreFoundAfterAReopenWhateverTheirOrder) {
  constexpr int kStreams = 8;
  std::vector<Uuid> a, b;
  ASSERT_NO_FATAL_FAILURE(AppendIdPairs(kStreams, &a, &b));
  Reopen();
  const uint64_t last = 2 * kStreams + 1;  // with the held group's event
  std::vector<std::future<Result<AppendResult>>> retries, overlaps, skips, fresh;
  std::vector<Uuid> new_ids;
  const uint64_t groups = WrittenGroups(*store_);
  {
    HeldWriter held(*store_);
    for (int i = kStreams - 1; i >= 0; --i) {
      const std::string s = "s-" + std::to_string(i);
      new_ids.push_back(Uuid::Random());
      retries.push_back(Queue(*store_, s, {Ev("X", "1", a[i]), Ev("Y", "2", b[i])}));
      overlaps.push_back(Queue(*store_, s, {Ev("X", "1", a[i]), Ev("C", "3", Uuid::Random())}));
      skips.push_back(Queue(*store_, s, {Ev("Y", "2", b[i]), Ev("C", "3", new_ids.back())},
                            DuplicatePolicy::kSkip));
      fresh.push_back(Queue(*store_, "t-" + std::to_string(i), {Ev("T", "4", Uuid::Random())}));
    }
    held.Release();
  }
  for (int k = 0; k < kStreams; ++k) {
    const uint64_t i = kStreams - 1 - static_cast<uint64_t>(k);
    Result<AppendResult> retry = retries[k].get();
    ASSERT_OK(retry.status());
    EXPECT_TRUE(retry->deduplicated);
    EXPECT_EQ(retry->streams[0].first_position, Position(2 * i + 1)) << i;
    EXPECT_EQ(retry->streams[0].last_position, Position(2 * i + 2)) << i;
    Result<AppendResult> overlap = overlaps[k].get();
    EXPECT_TRUE(overlap.status().IsIdempotencyConflict()) << overlap.status().ToString();
    Result<AppendResult> skip = skips[k].get();
    ASSERT_OK(skip.status());
    EXPECT_EQ(skip->streams[0].skipped, (std::vector<Uuid>{b[i]}));
    EXPECT_EQ(skip->streams[0].first_version, Version(3)) << i;
    ASSERT_OK(fresh[k].get().status());
  }
  EXPECT_EQ(store_->LastPosition(), Position(last + 2 * kStreams));
  EXPECT_EQ(WrittenGroups(*store_), groups + 2);  // the held one, then these together
  for (int i = 0; i < kStreams; ++i) {
    std::vector<OwnedEvent> events = ReadStream("s-" + std::to_string(i));
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[2].view().id, new_ids[kStreams - 1 - i]);
  }
}

// The lookups of a group are made together, but an id whose dedup row
// cannot be read fails only the append that carries it.
TEST_F(IdempotencyInOneGroup, ACorruptDedupRowFailsOnlyTheAppendCarryingItsId) {
  Uuid bad = Uuid::Random(), good = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", bad)}).status());
  ASSERT_OK(store_->Append("a-2", ExpectedVersion::Any(), {Ev("X", "2", good)}).status());
  store_.reset();
  testutil::WithRawRocks(path(), [&](rocksdb::DB& db, const std::vector<std::string>& names,
                                     const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    rocksdb::ColumnFamilyHandle* dedup = nullptr;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "dedup") dedup = handles[i];
    }
    ASSERT_NE(dedup, nullptr);
    std::string key(reinterpret_cast<const char*>(bad.bytes().data()), bad.bytes().size());
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), dedup, key, "bad").ok());
  });
  Reopen();
  std::future<Result<AppendResult>> corrupt, retry, fresh;
  {
    HeldWriter held(*store_);  // position 3
    corrupt = Queue(*store_, "a-1", {Ev("X", "1", bad)});
    retry = Queue(*store_, "a-2", {Ev("X", "2", good)});
    fresh = Queue(*store_, "a-3", {Ev("X", "3", Uuid::Random())});
    held.Release();
  }
  Result<AppendResult> c = corrupt.get();
  EXPECT_TRUE(c.status().IsCorruption()) << c.status().ToString();
  Result<AppendResult> r = retry.get();
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->deduplicated);
  EXPECT_EQ(r->streams[0].first_position, Position(2));
  Result<AppendResult> f = fresh.get();
  ASSERT_OK(f.status());
  EXPECT_EQ(f->streams[0].first_position, Position(4));
  EXPECT_EQ(store_->LastPosition(), Position(4));
}

std::vector<EventData> Hundred(const std::vector<Uuid>& ids) {
  std::vector<EventData> events;
  for (size_t i = 0; i < ids.size(); ++i) events.push_back(Ev("Line", std::to_string(i), ids[i]));
  return events;
}

using IdempotencyAcrossReopen = testutil::StoreTest;

TEST_F(IdempotencyAcrossReopen, AHundredEventAppendWithIdsRetriedAfterAReopenWritesNothing) {
  std::vector<Uuid> ids(100);
  for (Uuid& id : ids) id = Uuid::Random();
  AppendOne("other-1");
  ASSERT_OK(store_->Append("batch-1", ExpectedVersion::NoStream(), Hundred(ids)).status());
  Reopen();
  auto retry = store_->Append("batch-1", ExpectedVersion::NoStream(), Hundred(ids));
  ASSERT_OK(retry.status());
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->streams[0].first_position, Position(2));
  EXPECT_EQ(retry->streams[0].last_position, Position(101));
  EXPECT_EQ(retry->streams[0].last_version, Version(100));
  EXPECT_EQ(store_->LastPosition(), Position(101));
}

TEST_F(IdempotencyAcrossReopen, AHundredEventAppendWithOneNewIdIsAConflictOrAppendsOnlyThatOne) {
  std::vector<Uuid> ids(100);
  for (Uuid& id : ids) id = Uuid::Random();
  ASSERT_OK(store_->Append("batch-1", ExpectedVersion::Any(), Hundred(ids)).status());
  Reopen();
  ids[50] = Uuid::Random();
  auto conflict = store_->Append("batch-1", ExpectedVersion::Any(), Hundred(ids));
  EXPECT_TRUE(conflict.status().IsIdempotencyConflict()) << conflict.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(100));

  AppendRequest skipping;
  skipping.streams.push_back({"batch-1", ExpectedVersion::Any(), Hundred(ids)});
  skipping.duplicates = DuplicatePolicy::kSkip;
  auto r = store_->Append(skipping);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->streams[0].skipped.size(), 99u);
  EXPECT_EQ(r->streams[0].first_position, Position(101));
  EXPECT_EQ(r->streams[0].last_position, Position(101));
  std::vector<OwnedEvent> events = ReadStream("batch-1");
  ASSERT_EQ(events.size(), 101u);
  EXPECT_EQ(events[100].view().id, ids[50]);
}

}  // namespace
}  // namespace evlog
