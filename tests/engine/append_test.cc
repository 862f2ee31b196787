// Appends: expected versions, atomic multi-event and multi-stream appends,
// append conditions. A failed append writes nothing.

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using Append = testutil::StoreTest;

// Whether `s` is WrongExpectedVersion for `stream`, carrying its `actual`
// version.
::testing::AssertionResult IsConflict(const Status& s, std::string_view stream, uint64_t actual) {
  if (s.IsWrongExpectedVersion() && s.stream() == stream && s.actual_version() == actual) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "want a conflict of '" << stream << "' at version "
                                       << actual << ", got " << s.ToString();
}

TEST_F(Append, AssignsVersionsPerStreamAndGaplessPositions) {
  EXPECT_EQ(AppendOne("a-1").first_version, Version(1));
  EXPECT_EQ(AppendOne("a-2").first_version, Version(1));
  StreamAppendResult r = AppendOne("a-1");
  EXPECT_EQ(r.first_version, Version(2));
  EXPECT_EQ(r.first_position, Position(3));
  EXPECT_EQ(store_->LastPosition(), Position(3));
}

TEST_F(Append, StreamsBeyondTheHeadCacheKeepTheirVersions) {
  Reopen(Options{.stream_head_cache_entries = 10});
  // Three rounds over 100 streams: the writer's cache holds 10 heads, so
  // most appends find their head dropped and read it back from the store.
  for (uint64_t round = 0; round < 3; ++round) {
    for (int s = 0; s < 100; ++s) {
      const std::string stream = "many-" + std::to_string(s);
      auto r = store_->Append(stream, ExpectedVersion::Exact(Version(round)), {Ev("T")},
                              Durability::kBuffered);
      ASSERT_TRUE(r.ok()) << stream << ": " << r.status().ToString();
      EXPECT_EQ(r->streams[0].first_version, Version(round + 1));
    }
  }
  // A stale expectation still fails, a deleted head or not.
  auto stale = store_->Append("many-0", ExpectedVersion::Exact(Version(1)), {Ev("T")},
                              Durability::kBuffered);
  EXPECT_TRUE(stale.status().IsWrongExpectedVersion()) << stale.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(300));
  EXPECT_EQ(ReadStream("many-99").size(), 3u);
}

// Growth, sweeps and collisions of the writer's head table: streams in a
// random order, each append at the exact version a plain map says.
TEST_F(Append, StreamsInRandomOrderThroughASmallHeadCacheKeepTheirVersions) {
  Reopen(Options{.stream_head_cache_entries = 64});
  constexpr int kStreams = 2000;
  std::vector<int> order;
  for (int round = 0; round < 3; ++round) {
    for (int s = 0; s < kStreams; ++s) order.push_back(s);
  }
  std::shuffle(order.begin(), order.end(), std::mt19937(11));
  std::map<int, uint64_t> versions;
  for (int s : order) {
    const std::string stream = "random-" + std::to_string(s);
    uint64_t& version = versions[s];
    auto r = store_->Append(stream,
                            version == 0 ? ExpectedVersion::NoStream()
                                         : ExpectedVersion::Exact(Version(version)),
                            {Ev("T")}, Durability::kBuffered);
    ASSERT_TRUE(r.ok()) << stream << " at " << version << ": " << r.status().ToString();
    ++version;
    EXPECT_EQ(r->streams[0].first_version, Version(version));
  }
  for (int s = 0; s < kStreams; s += 97) {
    EXPECT_EQ(*store_->StreamVersion("random-" + std::to_string(s)), Version(3));
  }
  EXPECT_EQ(store_->LastPosition(), Position(3 * kStreams));
}

TEST_F(Append, AnyAcceptsEveryState) {
  AppendOne("a-1", "T", ExpectedVersion::Any());
  AppendOne("a-1", "T", ExpectedVersion::Any());
  EXPECT_EQ(*store_->StreamVersion("a-1"), Version(2));
}

TEST_F(Append, NoStreamAcceptsOnlyANewStream) {
  AppendOne("a-1", "T", ExpectedVersion::NoStream());
  auto r = store_->Append("a-1", ExpectedVersion::NoStream(), {Ev("T")});
  ASSERT_TRUE(IsConflict(r.status(), "a-1", 1));
}

TEST_F(Append, StreamExistsRejectsANewStream) {
  auto r = store_->Append("a-1", ExpectedVersion::StreamExists(), {Ev("T")});
  ASSERT_TRUE(IsConflict(r.status(), "a-1", 0));
  EXPECT_EQ(store_->LastPosition(), Position(0));
  AppendOne("a-1");
  EXPECT_OK(store_->Append("a-1", ExpectedVersion::StreamExists(), {Ev("T")}).status());
}

TEST_F(Append, ExactVersionMustMatch) {
  AppendOne("a-1");
  AppendOne("a-1");
  EXPECT_OK(store_->Append("a-1", ExpectedVersion::Exact(Version(2)), {Ev("T")}).status());
  auto stale = store_->Append("a-1", ExpectedVersion::Exact(Version(2)), {Ev("T")});
  ASSERT_TRUE(IsConflict(stale.status(), "a-1", 3));
  auto ahead = store_->Append("a-1", ExpectedVersion::Exact(Version(9)), {Ev("T")});
  ASSERT_TRUE(IsConflict(ahead.status(), "a-1", 3));
  EXPECT_EQ(store_->LastPosition(), Position(3));
}

TEST_F(Append, ExactVersionOnAMissingStreamReportsVersionZero) {
  auto r = store_->Append("a-1", ExpectedVersion::Exact(Version(1)), {Ev("T")});
  ASSERT_TRUE(IsConflict(r.status(), "a-1", 0));
}

TEST_F(Append, OnlyAConflictCarriesAVersion) {
  auto r = store_->Append("", ExpectedVersion::Any(), {Ev("T")});
  ASSERT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(r.status().actual_version(), std::nullopt);
  EXPECT_TRUE(r.status().stream().empty());
}

TEST_F(Append, ExactZeroMeansNoStream) {
  EXPECT_OK(store_->Append("a-1", ExpectedVersion::Exact(Version(0)), {Ev("T")}).status());
  auto r = store_->Append("a-1", ExpectedVersion::Exact(Version(0)), {Ev("T")});
  ASSERT_TRUE(r.status().IsWrongExpectedVersion()) << r.status().ToString();
  EXPECT_EQ(r.status().actual_version(), 1u);
}

TEST_F(Append, RejectedAppendWritesNothing) {
  AppendOne("a-1");
  auto r = store_->Append("a-1", ExpectedVersion::NoStream(), {Ev("T"), Ev("T")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(store_->LastPosition(), Position(1));
  EXPECT_EQ(ReadAll().size(), 1u);
  EXPECT_EQ(AppendOne("a-2").first_position, Position(2));
}

TEST_F(Append, MultiEventAppendIsContiguous) {
  AppendOne("b-1");
  auto r = store_->Append("a-1", ExpectedVersion::NoStream(), {Ev("X"), Ev("Y"), Ev("Z")});
  ASSERT_OK(r.status());
  EXPECT_EQ(r->streams[0].first_version, Version(1));
  EXPECT_EQ(r->streams[0].last_version, Version(3));
  EXPECT_EQ(r->streams[0].first_position, Position(2));
  EXPECT_EQ(r->streams[0].last_position, Position(4));
  std::vector<OwnedEvent> events = ReadStream("a-1");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "X");
  EXPECT_EQ(events[2].type, "Z");
  EXPECT_EQ(events[2].position, Position(4));
}

TEST_F(Append, MultiStreamAppendCommitsAllStreams) {
  AppendRequest request;
  request.streams.push_back({"order-1", ExpectedVersion::NoStream(), {Ev("Placed")}});
  request.streams.push_back({"stock-1", ExpectedVersion::NoStream(), {Ev("Reserved"), Ev("R2")}});
  auto r = store_->Append(std::move(request));
  ASSERT_OK(r.status());
  ASSERT_EQ(r->streams.size(), 2u);
  EXPECT_EQ(r->streams[0].stream, "order-1");
  EXPECT_EQ(r->streams[0].first_position, Position(1));
  EXPECT_EQ(r->streams[1].first_position, Position(2));
  EXPECT_EQ(r->streams[1].last_version, Version(2));
}

TEST_F(Append, MultiStreamAppendIsAllOrNothing) {
  AppendOne("stock-1");
  AppendRequest request;
  request.streams.push_back({"order-1", ExpectedVersion::NoStream(), {Ev("Placed")}});
  request.streams.push_back({"stock-1", ExpectedVersion::NoStream(), {Ev("Reserved")}});
  auto r = store_->Append(std::move(request));
  ASSERT_TRUE(IsConflict(r.status(), "stock-1", 1));
  EXPECT_EQ(*store_->StreamVersion("order-1"), Version(0));
  EXPECT_EQ(*store_->StreamVersion("stock-1"), Version(1));
  EXPECT_EQ(store_->LastPosition(), Position(1));
  EXPECT_TRUE(store_->ReadStream("order-1").status().IsNotFound());
}

TEST_F(Append, MultiStreamConflictOnTheFirstStreamNamesIt) {
  AppendOne("order-1");
  AppendRequest request;
  request.streams.push_back({"order-1", ExpectedVersion::Exact(Version(5)), {Ev("Placed")}});
  request.streams.push_back({"stock-1", ExpectedVersion::NoStream(), {Ev("Reserved")}});
  auto r = store_->Append(std::move(request));
  ASSERT_TRUE(IsConflict(r.status(), "order-1", 1));
  EXPECT_EQ(*store_->StreamVersion("stock-1"), Version(0));
  EXPECT_EQ(store_->LastPosition(), Position(1));
}

TEST_F(Append, ConditionFailsWhenAMatchingTypeWasCommittedAfterThePosition) {
  AppendOne("user-1", "Registered");  // 1
  AppendOne("user-2", "Registered");  // 2
  AppendRequest request;
  request.streams.push_back({"user-3", ExpectedVersion::Any(), {Ev("Registered")}});
  request.condition = AppendCondition{.event_types = {"Registered"}, .after = Position(1)};
  auto r = store_->Append(request);
  EXPECT_TRUE(r.status().IsConditionFailed()) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(2));

  request.condition->after = Position(2);
  EXPECT_OK(store_->Append(request).status());
}

TEST_F(Append, ConditionByCategoryIgnoresOtherCategories) {
  AppendOne("course-1", "Created");  // 1
  AppendOne("student-1", "Joined");  // 2
  AppendRequest request;
  request.streams.push_back({"course-1", ExpectedVersion::Any(), {Ev("Enrolled")}});
  request.condition = AppendCondition{.categories = {"course"}, .after = Position(1)};
  EXPECT_OK(store_->Append(request).status());
  request.condition = AppendCondition{.categories = {"student"}, .after = Position(1)};
  EXPECT_TRUE(store_->Append(request).status().IsConditionFailed());
  EXPECT_EQ(store_->LastPosition(), Position(3));
  EXPECT_EQ(*store_->StreamVersion("course-1"), Version(2));
}

TEST_F(Append, ConditionMatchesATypeOrACategory) {
  AppendOne("course-1", "Created");  // 1
  AppendOne("student-1", "Joined");  // 2
  AppendRequest request;
  request.streams.push_back({"enrolment-1", ExpectedVersion::Any(), {Ev("Enrolled")}});
  request.condition =
      AppendCondition{.event_types = {"Nothing"}, .categories = {"student"}, .after = Position(1)};
  EXPECT_TRUE(store_->Append(request).status().IsConditionFailed());
  request.condition =
      AppendCondition{.event_types = {"Joined"}, .categories = {"nothing"}, .after = Position(1)};
  EXPECT_TRUE(store_->Append(request).status().IsConditionFailed());
  request.condition =
      AppendCondition{.event_types = {"Created"}, .categories = {"course"}, .after = Position(1)};
  EXPECT_OK(store_->Append(request).status());
  EXPECT_EQ(store_->LastPosition(), Position(3));
}

TEST_F(Append, ConditionOnAnotherCategoryIsNotFooledByAPrefix) {
  AppendOne("studentx-1", "Joined");  // category "studentx", not "student"
  AppendRequest request;
  request.streams.push_back({"enrolment-1", ExpectedVersion::Any(), {Ev("Enrolled")}});
  request.condition = AppendCondition{.categories = {"student"}, .after = Position(0)};
  EXPECT_OK(store_->Append(request).status());
}

TEST_F(Append, ConditionAfterTheLastPossiblePositionNeverFails) {
  AppendOne("seat-1", "Booked");
  AppendRequest request;
  request.streams.push_back({"seat-2", ExpectedVersion::Any(), {Ev("Booked")}});
  request.condition = AppendCondition{.event_types = {"Booked"},
                                      .categories = {"seat"},
                                      .after = Position(std::numeric_limits<uint64_t>::max())};
  auto r = store_->Append(request);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->streams[0].first_position, Position(2));
}

TEST_F(Append, EmptyConditionMatchesNothing) {
  AppendOne("course-1", "Created");
  AppendRequest request;
  request.streams.push_back({"course-1", ExpectedVersion::Any(), {Ev("Enrolled")}});
  request.condition = AppendCondition{.after = Position(0)};
  auto r = store_->Append(request);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->streams[0].first_position, Position(2));
}

TEST_F(Append, FailedConditionWritesNoneOfItsStreams) {
  AppendOne("seat-1", "Booked");  // 1
  AppendOne("seat-2", "Booked");  // 2
  AppendRequest request;
  request.streams.push_back({"order-1", ExpectedVersion::NoStream(), {Ev("Placed")}});
  request.streams.push_back({"seat-3", ExpectedVersion::NoStream(), {Ev("Booked"), Ev("Paid")}});
  request.condition = AppendCondition{.categories = {"seat"}, .after = Position(1)};
  auto r = store_->Append(request);
  ASSERT_TRUE(r.status().IsConditionFailed()) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(2));
  EXPECT_EQ(*store_->StreamVersion("order-1"), Version(0));
  EXPECT_EQ(*store_->StreamVersion("seat-3"), Version(0));
  EXPECT_EQ(ReadAll().size(), 2u);
}

TEST_F(Append, ConditionAndExpectedVersionMustBothHold) {
  AppendOne("seat-1", "Booked");  // 1
  AppendRequest request;
  request.streams.push_back({"seat-1", ExpectedVersion::NoStream(), {Ev("Booked")}});
  request.condition = AppendCondition{.categories = {"seat"}, .after = Position(1)};
  auto r = store_->Append(request);
  ASSERT_TRUE(r.status().IsWrongExpectedVersion()) << r.status().ToString();
  EXPECT_EQ(r.status().actual_version(), 1u);
  EXPECT_EQ(store_->LastPosition(), Position(1));
}

// Collects the results of asynchronous appends and waits for a number of them.
class Completions {
 public:
  Store::AppendCallback Add(size_t slot) {
    return [this, slot](Result<AppendResult> r) {
      std::lock_guard<std::mutex> lock(mu_);
      results_.emplace(slot, std::move(r));
      cv_.notify_all();
    };
  }
  // Waits until `n` callbacks ran; returns the results by slot.
  std::map<size_t, Result<AppendResult>> Wait(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return results_.size() == n; });
    return std::move(results_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<size_t, Result<AppendResult>> results_;
};

TEST_F(Append, ExpectedVersionSeesEarlierAppendsOfTheSameGroup) {
  // Queued back to back, these are likely committed in one group: the second
  // must be checked against the head the first produced.
  Completions done;
  for (size_t i = 0; i < 3; ++i) {
    AppendRequest request;
    std::string stream = i == 1 ? "b-1" : "a-1";
    request.streams.push_back({stream, ExpectedVersion::NoStream(), {Ev("T")}});
    request.durability = Durability::kBuffered;
    store_->AppendAsync(std::move(request), done.Add(i));
  }
  auto results = done.Wait(3);
  ASSERT_OK(results.at(0).status());
  EXPECT_EQ(results.at(0)->streams[0].first_position, Position(1));
  ASSERT_OK(results.at(1).status());
  EXPECT_EQ(results.at(1)->streams[0].first_position, Position(2));
  ASSERT_TRUE(results.at(2).status().IsWrongExpectedVersion()) << results.at(2).status().ToString();
  EXPECT_EQ(results.at(2).status().actual_version(), 1u);
  EXPECT_EQ(store_->LastPosition(), Position(2));
}

TEST_F(Append, ARejectedAppendLeavesNoGapInItsGroup) {
  AppendOne("a-1");  // 1
  Completions done;
  for (size_t i = 0; i < 3; ++i) {
    AppendRequest request;
    // The middle one expects a version a-1 never had.
    ExpectedVersion expected = i == 1 ? ExpectedVersion::Exact(Version(7)) : ExpectedVersion::Any();
    request.streams.push_back({"a-1", expected, {Ev("T"), Ev("T")}});
    request.durability = Durability::kBuffered;
    store_->AppendAsync(std::move(request), done.Add(i));
  }
  auto results = done.Wait(3);
  ASSERT_OK(results.at(0).status());
  ASSERT_TRUE(results.at(1).status().IsWrongExpectedVersion());
  ASSERT_OK(results.at(2).status());
  EXPECT_EQ(results.at(0)->streams[0].first_position, Position(2));
  EXPECT_EQ(results.at(0)->streams[0].last_version, Version(3));
  EXPECT_EQ(results.at(2)->streams[0].first_position, Position(4));
  EXPECT_EQ(results.at(2)->streams[0].first_version, Version(4));
  std::vector<OwnedEvent> all = ReadAll();
  ASSERT_EQ(all.size(), 5u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].position.value(), i + 1);
    EXPECT_EQ(all[i].version.value(), i + 1);
  }
}

TEST_F(Append, ConditionSeesEarlierAppendsOfTheSameGroup) {
  // Two conditional appends queued together: the second must see the first.
  AppendRequest request;
  request.streams.push_back({"seat-1", ExpectedVersion::Any(), {Ev("Booked")}});
  request.condition = AppendCondition{.event_types = {"Booked"}, .after = Position(0)};
  request.durability = Durability::kBuffered;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, ok = 0, failed = 0;
  for (int i = 0; i < 2; ++i) {
    store_->AppendAsync(request, [&](Result<AppendResult> r) {
      std::lock_guard<std::mutex> lock(mu);
      r.ok() ? ++ok : (r.status().IsConditionFailed() ? ++failed : 0);
      ++done;
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done == 2; });
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(failed, 1);
}

// A condition failure names the first matching position, also when the
// matches were staged earlier in the same group. Each round queues a
// two-event append and, behind it, a conditional one on its type: queued
// back to back they share a group more often than not.
TEST_F(Append, AFailedConditionNamesTheFirstMatchAlsoWithinTheGroup) {
  constexpr int kRounds = 20;
  std::vector<std::future<Result<AppendResult>>> firsts, conditionals;
  auto submit = [&](AppendRequest request) {
    auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
    auto future = promise->get_future();
    request.durability = Durability::kBuffered;
    store_->AppendAsync(std::move(request),
                        [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
    return future;
  };
  for (int i = 0; i < kRounds; ++i) {
    const std::string type = "Round" + std::to_string(i);
    AppendRequest two;
    two.streams.push_back({"r-" + std::to_string(i), ExpectedVersion::Any(), {Ev(type), Ev(type)}});
    firsts.push_back(submit(std::move(two)));
    AppendRequest conditional;
    conditional.streams.push_back({"c-" + std::to_string(i), ExpectedVersion::Any(), {Ev("T")}});
    conditional.condition = AppendCondition{.event_types = {type}, .after = Position(0)};
    conditionals.push_back(submit(std::move(conditional)));
  }
  for (int i = 0; i < kRounds; ++i) {
    Result<AppendResult> first = firsts[i].get();
    ASSERT_OK(first.status());
    Result<AppendResult> conditional = conditionals[i].get();
    ASSERT_TRUE(conditional.status().IsConditionFailed()) << conditional.status().ToString();
    EXPECT_EQ(conditional.status().conflicting_position(),
              std::optional<uint64_t>(first->streams[0].first_position.value()))
        << "round " << i << ": " << conditional.status().ToString();
  }
}

TEST_F(Append, ReadOnlyStoreRefusesAppends) {
  AppendOne("a-1");
  auto ro = Store::Open(Options{.read_only = true}, path());
  ASSERT_OK(ro.status());
  auto r = (*ro)->Append("a-1", ExpectedVersion::Any(), {Ev("T")});
  EXPECT_TRUE(r.status().IsReadOnly()) << r.status().ToString();
  AppendRequest request;
  request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("T")}});
  std::optional<Status> async_status;
  std::mutex mu;
  std::condition_variable cv;
  (*ro)->AppendAsync(std::move(request), [&](Result<AppendResult> result) {
    std::lock_guard<std::mutex> lock(mu);
    async_status = result.status();
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return async_status.has_value(); });
  EXPECT_TRUE(async_status->IsReadOnly()) << async_status->ToString();
  EXPECT_EQ(*store_->StreamVersion("a-1"), Version(1));
}

TEST_F(Append, SyncDurabilityIsTheDefaultAndAcknowledges) {
  auto r = store_->Append("a-1", ExpectedVersion::Any(), {Ev("T")});
  ASSERT_OK(r.status());
  store_.reset();
  Reopen();
  EXPECT_EQ(ReadStream("a-1").size(), 1u);
}

}  // namespace
}  // namespace evlog
