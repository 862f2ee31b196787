// Idempotent appends: retries with the same event ids return the original
// result and write nothing, across restarts, within the window.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using Idempotency = testutil::StoreTest;

std::vector<EventData> TwoWithIds(Uuid a, Uuid b) { return {Ev("X", "1", a), Ev("Y", "2", b)}; }

// `retry` answers with the first append of TwoWithIds to "a-1" in an empty
// store: versions 1..2 at positions 1..2, deduplicated.
void ExpectTheOriginalResult(const AppendResult& retry) {
  EXPECT_TRUE(retry.deduplicated);
  EXPECT_EQ(retry.streams[0].first_version, Version(1));
  EXPECT_EQ(retry.streams[0].last_version, Version(2));
  EXPECT_EQ(retry.streams[0].first_position, Position(1));
  EXPECT_EQ(retry.streams[0].last_position, Position(2));
}

TEST_F(Idempotency, RetryReturnsTheOriginalResultAndWritesNothing) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  auto first = store_->Append("a-1", ExpectedVersion::NoStream(), TwoWithIds(a, b));
  ASSERT_OK(first.status());
  AppendOne("a-2");
  // The retry's expected version no longer holds; a retry is not a new decision.
  auto retry = store_->Append("a-1", ExpectedVersion::NoStream(), TwoWithIds(a, b));
  ASSERT_OK(retry.status());
  EXPECT_FALSE(first->deduplicated);
  ExpectTheOriginalResult(*retry);
  EXPECT_EQ(store_->LastPosition(), Position(3));
}

TEST_F(Idempotency, RetryAfterReopenIsStillDeduplicated) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), TwoWithIds(a, b)).status());
  Reopen();
  auto retry = store_->Append("a-1", ExpectedVersion::Any(), TwoWithIds(a, b));
  ASSERT_OK(retry.status());
  ExpectTheOriginalResult(*retry);
  EXPECT_EQ(store_->LastPosition(), Position(2));
  EXPECT_EQ(ReadAll().size(), 2u);
}

TEST_F(Idempotency, PartialOverlapAfterReopenIsStillAConflict) {
  Uuid a = Uuid::Random(), b = Uuid::Random(), c = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), TwoWithIds(a, b)).status());
  Reopen();
  auto r = store_->Append("a-1", ExpectedVersion::Any(), TwoWithIds(c, b));
  EXPECT_TRUE(r.status().IsIdempotencyConflict()) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(2));
}

TEST_F(Idempotency, ConcurrentRetriesInOneGroupWriteOnce) {
  Uuid id = Uuid::Random();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Result<AppendResult>> results;
  for (int i = 0; i < 4; ++i) {
    AppendRequest request;
    request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("X", "1", id)}});
    request.durability = Durability::kBuffered;
    store_->AppendAsync(std::move(request), [&](Result<AppendResult> r) {
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(std::move(r));
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return results.size() == 4; });
  for (const auto& r : results) {
    ASSERT_OK(r.status());
    EXPECT_EQ(r->streams[0].first_position, Position(1));
  }
  EXPECT_EQ(store_->LastPosition(), Position(1));
}

TEST_F(Idempotency, RetriesAndNewAppendsQueuedTogetherEachGetTheirOwnAnswer) {
  // Committed first: stream s-i holds ids a[i], b[i] at positions 2i+1, 2i+2.
  constexpr int kStreams = 20;
  std::vector<Uuid> a, b;
  ASSERT_NO_FATAL_FAILURE(AppendIdPairs(kStreams, &a, &b));
  // Then, queued without waiting (so the writer decides many in one group,
  // where the ids are looked up together): retries in reverse order, each
  // followed by a new append and by a partial overlap.
  constexpr int kQueued = 3 * kStreams;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<Result<AppendResult>>> results(kQueued);
  int done = 0;
  auto submit = [&](int slot, std::string stream, std::vector<EventData> events) {
    AppendRequest request;
    request.streams.push_back({std::move(stream), ExpectedVersion::NoStream(), std::move(events)});
    store_->AppendAsync(std::move(request), [&, slot](Result<AppendResult> r) {
      std::lock_guard<std::mutex> lock(mu);
      results[static_cast<size_t>(slot)] = std::move(r);
      ++done;
      cv.notify_all();
    });
  };
  for (int k = 0; k < kStreams; ++k) {
    const int i = kStreams - 1 - k;
    submit(3 * k, "s-" + std::to_string(i), TwoWithIds(a[i], b[i]));
    submit(3 * k + 1, "t-" + std::to_string(i), {Ev("Z", "3", Uuid::Random())});
    submit(3 * k + 2, "s-" + std::to_string(i), TwoWithIds(Uuid::Random(), b[i]));
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == kQueued; });
  }
  std::set<uint64_t> new_positions;
  for (int k = 0; k < kStreams; ++k) {
    const uint64_t i = kStreams - 1 - static_cast<uint64_t>(k);
    const auto& retry = *results[static_cast<size_t>(3 * k)];
    ASSERT_OK(retry.status());
    EXPECT_TRUE(retry->deduplicated);
    EXPECT_EQ(retry->streams[0].first_position, Position(2 * i + 1)) << i;
    EXPECT_EQ(retry->streams[0].last_position, Position(2 * i + 2)) << i;
    EXPECT_EQ(retry->streams[0].last_version, Version(2)) << i;
    const auto& fresh = *results[static_cast<size_t>(3 * k + 1)];
    ASSERT_OK(fresh.status());
    EXPECT_FALSE(fresh->deduplicated);
    new_positions.insert(fresh->streams[0].first_position.value());
    const auto& overlap = *results[static_cast<size_t>(3 * k + 2)];
    EXPECT_TRUE(overlap.status().IsIdempotencyConflict()) << overlap.status().ToString();
  }
  EXPECT_EQ(new_positions.size(), static_cast<size_t>(kStreams));
  EXPECT_EQ(store_->LastPosition(), Position(3 * kStreams));
  EXPECT_EQ(ReadAll().size(), 3u * kStreams);
}

TEST_F(Idempotency, PartialOverlapIsAConflictAndWritesNothing) {
  Uuid a = Uuid::Random(), b = Uuid::Random(), c = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), TwoWithIds(a, b)).status());
  auto r = store_->Append("a-1", ExpectedVersion::Any(), TwoWithIds(a, c));
  EXPECT_TRUE(r.status().IsIdempotencyConflict()) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(2));
  EXPECT_EQ(ReadAll().size(), 2u);
  // c was not written, so it is still free to use.
  auto fresh = store_->Append("a-1", ExpectedVersion::Any(), {Ev("Z", "3", c)});
  ASSERT_OK(fresh.status());
  EXPECT_FALSE(fresh->deduplicated);
  EXPECT_EQ(fresh->streams[0].first_position, Position(3));
}

TEST_F(Idempotency, PartialOverlapAcrossStreamsWritesNoStream) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("order-1", ExpectedVersion::Any(), {Ev("Placed", "1", a)}).status());
  AppendRequest request;
  request.streams.push_back({"order-1", ExpectedVersion::Any(), {Ev("Placed", "1", a)}});
  request.streams.push_back({"stock-1", ExpectedVersion::Any(), {Ev("Reserved", "1", b)}});
  auto r = store_->Append(std::move(request));
  EXPECT_TRUE(r.status().IsIdempotencyConflict()) << r.status().ToString();
  EXPECT_EQ(*store_->StreamVersion("stock-1"), Version(0));
  EXPECT_EQ(store_->LastPosition(), Position(1));
}

TEST_F(Idempotency, SameIdsForAnotherStreamIsAConflict) {
  Uuid a = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  auto r = store_->Append("a-2", ExpectedVersion::Any(), {Ev("X", "1", a)});
  EXPECT_TRUE(r.status().IsIdempotencyConflict()) << r.status().ToString();
  EXPECT_EQ(*store_->StreamVersion("a-2"), Version(0));
}

TEST_F(Idempotency, DuplicateIdInsideOneAppendIsAConflict) {
  Uuid a = Uuid::Random();
  // The twins are apart, with other ids on either side: the error names the repeated one.
  auto r =
      store_->Append("a-1", ExpectedVersion::Any(),
                     {Ev("W", "0", Uuid::Random()), Ev("X", "1", a), Ev("V", "3", Uuid::Random()),
                      Ev("Y", "2", a), Ev("Z", "4", Uuid::Random())});
  EXPECT_TRUE(r.status().IsIdempotencyConflict()) << r.status().ToString();
  EXPECT_NE(r.status().message().find(a.ToString()), std::string::npos) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(0));
  EXPECT_EQ(*store_->StreamVersion("a-1"), Version(0));
}

TEST_F(Idempotency, DuplicateIdAcrossTwoStreamsOfOneAppendIsAConflict) {
  Uuid a = Uuid::Random();
  AppendRequest request;
  request.streams.push_back({"order-1", ExpectedVersion::Any(), {Ev("Placed", "1", a)}});
  request.streams.push_back({"stock-1", ExpectedVersion::Any(), {Ev("Reserved", "1", a)}});
  auto r = store_->Append(std::move(request));
  EXPECT_TRUE(r.status().IsIdempotencyConflict()) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(0));
}

TEST_F(Idempotency, MultiStreamRetryReturnsEachStreamsOriginalResult) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  auto request = [&] {
    AppendRequest r;
    r.streams.push_back({"order-1", ExpectedVersion::NoStream(), {Ev("Placed", "1", a)}});
    r.streams.push_back({"stock-1", ExpectedVersion::NoStream(), {Ev("Reserved", "1", b)}});
    return r;
  };
  ASSERT_OK(store_->Append(request()).status());
  auto retry = store_->Append(request());
  ASSERT_OK(retry.status());
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->streams[1].stream, "stock-1");
  EXPECT_EQ(retry->streams[1].first_position, Position(2));
}

TEST_F(Idempotency, RetryOutsideTheCountWindowIsANewAppend) {
  Reopen(Options{.dedup_window_events = 2});
  Uuid a = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  AppendOne("a-2");
  AppendOne("a-2");  // position 3: position 1 has left a window of 2
  auto r = store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)});
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->deduplicated);
  EXPECT_EQ(r->streams[0].first_position, Position(4));
  EXPECT_EQ(r->streams[0].first_version, Version(2));
  EXPECT_EQ(ReadAll().size(), 4u);
}

TEST_F(Idempotency, RetryInsideTheCountWindowIsDeduplicated) {
  Reopen(Options{.dedup_window_events = 2});
  Uuid a = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  AppendOne("a-2");  // position 2: position 1 is still inside a window of 2
  auto r = store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)});
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->deduplicated);
  EXPECT_EQ(r->streams[0].first_position, Position(1));
  EXPECT_EQ(store_->LastPosition(), Position(2));
}

TEST_F(Idempotency, AnAgeWindowOfZeroDeduplicatesNothing) {
  Reopen(Options{.dedup_window_seconds = 0});
  Uuid a = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  auto r = store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)});
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->deduplicated);
  EXPECT_EQ(r->streams[0].first_position, Position(2));
}

TEST_F(Idempotency, CountWindowHoldsAcrossReopen) {
  Options small{.dedup_window_events = 2};
  Reopen(small);
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());  // 1
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "2", b)}).status());  // 2
  AppendOne("a-2");                                                                      // 3
  Reopen(small);
  // b (position 2) is inside the window, a (position 1) has left it.
  auto retry_b = store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "2", b)});
  ASSERT_OK(retry_b.status());
  EXPECT_TRUE(retry_b->deduplicated);
  EXPECT_EQ(retry_b->streams[0].first_position, Position(2));
  auto retry_a = store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)});
  ASSERT_OK(retry_a.status());
  EXPECT_FALSE(retry_a->deduplicated);
  EXPECT_EQ(retry_a->streams[0].first_position, Position(4));
}

TEST_F(Idempotency, ARejectedAppendDoesNotClaimItsIds) {
  Uuid a = Uuid::Random();
  AppendOne("a-1");
  auto stale = store_->Append("a-1", ExpectedVersion::NoStream(), {Ev("X", "1", a)});
  ASSERT_TRUE(stale.status().IsWrongExpectedVersion()) << stale.status().ToString();
  AppendRequest conditional;
  conditional.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("X", "1", a)}});
  conditional.condition = AppendCondition{.categories = {"a"}, .after = Position(0)};
  ASSERT_TRUE(store_->Append(conditional).status().IsConditionFailed());

  auto r = store_->Append("a-1", ExpectedVersion::Exact(Version(1)), {Ev("X", "1", a)});
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->deduplicated);
  EXPECT_EQ(r->streams[0].first_position, Position(2));
}

TEST_F(Idempotency, AppendsWithoutIdsGetDistinctRandomIds) {
  AppendOne("a-1");
  AppendOne("a-1");
  std::vector<OwnedEvent> events = ReadStream("a-1");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].id.is_nil());
  EXPECT_NE(events[0].id, events[1].id);
  EXPECT_EQ(events[0].id.bytes()[6] >> 4, 4);  // version 4
}

TEST_F(Idempotency, CallerIdIsStoredWithTheEvent) {
  Uuid a = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  EXPECT_EQ(ReadStream("a-1")[0].id, a);
}

TEST(Uuid, ParsesAndPrintsTheCanonicalForm) {
  auto id = Uuid::Parse("0123ABCD-4567-89ab-cdef-0123456789ab");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->ToString(), "0123abcd-4567-89ab-cdef-0123456789ab");
  EXPECT_FALSE(Uuid::Parse("0123abcd456789abcdef0123456789ab").has_value());
  EXPECT_FALSE(Uuid::Parse("0123abcd-4567-89ab-cdef-0123456789ag").has_value());
}

// Generated ids are random version 4 UUIDs, never repeated in one thread
// nor across threads (each seeds its generator from the OS).
TEST(Uuid, RandomIdsAreVersion4AndDistinctAcrossThreads) {
  constexpr int kPerThread = 20'000;
  std::vector<std::vector<Uuid>> ids(2);
  std::vector<std::thread> threads;
  for (auto& mine : ids) {
    threads.emplace_back([&mine] {
      for (int i = 0; i < kPerThread; ++i) mine.push_back(Uuid::Random());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> seen;
  for (const auto& mine : ids) {
    for (const Uuid& id : mine) {
      EXPECT_EQ(id.bytes()[6] >> 4, 4) << id.ToString();
      EXPECT_EQ(id.bytes()[8] >> 6, 2) << id.ToString();
      seen.insert(id.ToString());
    }
  }
  EXPECT_EQ(seen.size(), 2u * kPerThread);
}

}  // namespace
}  // namespace evlog
