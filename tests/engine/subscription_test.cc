// Subscriptions: checkpoints across restarts, retry then park then replay,
// stop policy, independence of subscriptions, consumer groups, lag.

#include "evlog/subscription.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "evlog/store.h"
#include "testutil/eventually.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class SubscriptionTest : public testutil::StoreTest {
 protected:
  std::unique_ptr<Subscription> Subscribe(SubscriptionOptions options, BatchHandler handler) {
    auto sub = store_->Subscribe(std::move(options), std::move(handler));
    EXPECT_TRUE(sub.ok()) << sub.status().ToString();
    return sub.ok() ? std::move(sub).value() : nullptr;
  }
};

// Records what a handler saw, thread-safely.
struct Seen {
  std::mutex mu;
  std::vector<OwnedEvent> events;
  BatchHandler Handler() {
    return [this](const std::vector<OwnedEvent>& batch) {
      std::lock_guard<std::mutex> lock(mu);
      events.insert(events.end(), batch.begin(), batch.end());
      return Status::OK();
    };
  }
  std::vector<uint64_t> Positions() {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<uint64_t> out;
    for (const auto& e : events) out.push_back(e.position.value());
    return out;
  }
};

using Subscriptions = SubscriptionTest;

TEST_F(Subscriptions, CatchUpThenLiveInOrder) {
  Add("a-1");
  Add("a-2");
  Seen seen;
  auto sub = Subscribe({.name = "s"}, seen.Handler());
  Position last = Add("a-1");
  ASSERT_TRUE(sub->WaitFor(last, seconds(30)).ok());
  EXPECT_EQ(seen.Positions(), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(Subscriptions, RestartResumesAfterTheCheckpoint) {
  Seen first;
  {
    auto sub = Subscribe({.name = "s"}, first.Handler());
    Add("a-1");
    ASSERT_TRUE(sub->WaitFor(Add("a-1"), seconds(30)).ok());
  }
  Reopen();
  Position third = Add("a-1");
  Seen second;
  auto sub = Subscribe({.name = "s"}, second.Handler());
  ASSERT_TRUE(sub->WaitFor(third, seconds(30)).ok());
  EXPECT_EQ(first.Positions(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(second.Positions(), (std::vector<uint64_t>{3}));
}

TEST_F(Subscriptions, StartPointAppliesOnlyWithoutACheckpoint) {
  Add("a-1");
  Seen seen;
  auto sub = Subscribe({.name = "s", .feed = {.start = FeedStart::Latest()}}, seen.Handler());
  Position p = Add("a-1");
  ASSERT_TRUE(sub->WaitFor(p, seconds(30)).ok());
  EXPECT_EQ(seen.Positions(), (std::vector<uint64_t>{2}));
}

TEST_F(Subscriptions, RetriesThenParksThenReplays) {
  std::atomic<int> attempts_on_bad{0};
  std::atomic<bool> heal{false};
  Seen handled;
  auto handler = [&](const std::vector<OwnedEvent>& batch) -> Status {
    for (const OwnedEvent& e : batch) {
      if (e.type == "Bad" && !heal.load()) {
        ++attempts_on_bad;
        return Status::InvalidArgument("cannot handle " + e.type);
      }
    }
    return handled.Handler()(batch);
  };
  auto sub = Subscribe({.name = "s",
                        .max_attempts = 3,
                        .initial_backoff = milliseconds(1),
                        .max_backoff = milliseconds(2)},
                       handler);
  Add("a-1");
  Add("a-1", "Bad");
  Position last = Add("a-1");
  ASSERT_TRUE(sub->WaitFor(last, seconds(30)).ok());
  // 3 attempts of the whole batch, then 3 of the bad event on its own.
  EXPECT_GE(attempts_on_bad.load(), 3);
  EXPECT_EQ(handled.Positions(), (std::vector<uint64_t>{1, 3}));

  auto parked = store_->ReadStream("$parked-s");
  ASSERT_TRUE(parked.ok()) << parked.status().ToString();
  ASSERT_TRUE((*parked)->Valid());
  EXPECT_NE((*parked)->event().metadata.find("cannot handle Bad"), std::string_view::npos);
  auto infos = store_->ListSubscriptions();
  ASSERT_TRUE(infos.ok());
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ((*infos)[0].parked, 1u);
  auto listed = store_->ListParked("s");
  ASSERT_OK(listed.status());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].event.position, Position(2));
  EXPECT_EQ((*listed)[0].event.stream, "a-1");
  EXPECT_EQ((*listed)[0].error, "invalid_argument: cannot handle Bad");
  EXPECT_FALSE((*listed)[0].replayed);

  heal = true;
  auto replay = store_->ReplayParked("s");
  ASSERT_OK(replay.status());
  EXPECT_EQ(*replay, 1u);
  // The replayed event is the original, with its original position.
  auto seen_replay = [&] {
    std::vector<uint64_t> p = handled.Positions();
    return std::find(p.begin(), p.end(), 2u) != p.end();
  };
  for (int i = 0; i < 3000 && !seen_replay(); ++i) {
    ASSERT_TRUE(sub->WaitFor(Add("b-1"), seconds(30)).ok());
  }
  std::vector<uint64_t> positions = handled.Positions();
  EXPECT_NE(std::find(positions.begin(), positions.end(), 2u), positions.end());
  // The handler sees the replayed event before the subscription records it
  // as replayed: wait (bounded) for that record, which must come.
  EXPECT_TRUE(testutil::Eventually([&] {
    infos = store_->ListSubscriptions();
    auto now_parked = store_->ListParked("s");
    return infos.ok() && (*infos)[0].parked == 0 && now_parked.ok() && !now_parked->empty() &&
           (*now_parked)[0].replayed;
  })) << "the replay was not recorded";
}

TEST_F(Subscriptions, StopPolicyHaltsAtTheFailingEvent) {
  auto sub = Subscribe({.name = "s",
                        .max_attempts = 2,
                        .initial_backoff = milliseconds(1),
                        .on_failure = FailurePolicy::kStop},
                       [](const std::vector<OwnedEvent>&) { return Status::IOError("down"); });
  Position p = Add("a-1");
  Status s = sub->WaitFor(p, seconds(30));
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(sub->checkpoint(), Position(0));
  EXPECT_TRUE(sub->status().IsIOError());
}

TEST_F(Subscriptions, ASlowSubscriberDoesNotHoldBackAnother) {
  std::mutex gate;
  gate.lock();  // the slow handler blocks until the test releases it
  auto slow = Subscribe({.name = "slow"}, [&](const std::vector<OwnedEvent>&) {
    std::lock_guard<std::mutex> wait(gate);
    return Status::OK();
  });
  Seen fast_seen;
  auto fast = Subscribe({.name = "fast"}, fast_seen.Handler());
  Position last;
  for (int i = 0; i < 100; ++i) last = Add("a-1");
  ASSERT_TRUE(fast->WaitFor(last, seconds(30)).ok());
  EXPECT_EQ(fast_seen.Positions().size(), 100u);
  EXPECT_LT(slow->checkpoint(), last);
  gate.unlock();
  ASSERT_TRUE(slow->WaitFor(last, seconds(30)).ok());
}

TEST_F(Subscriptions, ConsumerGroupSplitsStreamsAndKeepsEachStreamsOrder) {
  Seen member[2];
  auto m0 = Subscribe({.name = "g", .group_size = 2, .member = 0}, member[0].Handler());
  auto m1 = Subscribe({.name = "g", .group_size = 2, .member = 1}, member[1].Handler());
  Position last;
  for (int i = 0; i < 200; ++i) last = Add("s-" + std::to_string(i % 10));
  ASSERT_TRUE(m0->WaitFor(last, seconds(30)).ok());
  ASSERT_TRUE(m1->WaitFor(last, seconds(30)).ok());
  std::set<std::string> owned[2];
  size_t total = 0;
  for (int m = 0; m < 2; ++m) {
    std::map<std::string, uint64_t> version;
    for (const OwnedEvent& e : member[m].events) {
      owned[m].insert(e.stream);
      EXPECT_EQ(e.version.value(), version[e.stream] + 1) << e.stream;
      version[e.stream] = e.version.value();
      ++total;
    }
  }
  EXPECT_EQ(total, 200u);
  for (const std::string& s : owned[0]) EXPECT_EQ(owned[1].count(s), 0u) << s;
  EXPECT_FALSE(owned[0].empty());
  EXPECT_FALSE(owned[1].empty());
}

TEST_F(Subscriptions, LagIsLastPositionMinusCheckpoint) {
  {
    Seen seen;
    auto sub = Subscribe({.name = "s"}, seen.Handler());
    ASSERT_TRUE(sub->WaitFor(Add("a-1"), seconds(30)).ok());
  }
  Add("a-1");
  Add("a-1");
  auto infos = store_->ListSubscriptions();
  ASSERT_TRUE(infos.ok());
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ((*infos)[0].name, "s");
  EXPECT_EQ((*infos)[0].checkpoint, Position(1));
  EXPECT_EQ((*infos)[0].lag, 2u);
}

TEST_F(Subscriptions, RejectsBadNames) {
  auto handler = [](const std::vector<OwnedEvent>&) { return Status::OK(); };
  EXPECT_TRUE(store_->Subscribe({.name = ""}, handler).status().IsInvalidArgument());
  EXPECT_TRUE(store_->Subscribe({.name = "a/b"}, handler).status().IsInvalidArgument());
  EXPECT_TRUE(store_->Subscribe({.name = "ok"}, nullptr).status().IsInvalidArgument());
}

}  // namespace
}  // namespace evlog
