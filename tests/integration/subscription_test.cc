// Server-pushed subscriptions with credit-based flow control: the daemon
// pushes at most the granted credits and buffers no more; resuming after a
// position; Unsubscribe; the per-session subscription limit.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "integration/daemon_fixture.h"
#include "testutil/eventually.h"

namespace evlog {
namespace {

using testutil::DaemonTest;
using testutil::Eventually;
using Subscriptions = DaemonTest;

constexpr auto kPatience = std::chrono::seconds(20);

// Collects what a subscription's callback is handed.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> positions;
  Status ended;
  bool has_ended = false;

  Client::SubscriptionCallback Callback() {
    return [this](Result<std::vector<OwnedEvent>> events) {
      std::lock_guard<std::mutex> lock(mu);
      if (!events.ok()) {
        ended = events.status();
        has_ended = true;
      } else {
        for (const OwnedEvent& e : *events) positions.push_back(e.position.value());
      }
      cv.notify_all();
    };
  }
  // Waits until `n` events have come; false on timeout.
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, kPatience, [&] { return positions.size() >= n; });
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return positions.size();
  }
};

// Appends `n` events of 128 bytes to streams stream-0..9, 100 per append.
void AppendEvents(Store& store, size_t n) {
  for (size_t done = 0; done < n; done += 100) {
    std::vector<EventData> events;
    for (size_t i = 0; i < 100 && done + i < n; ++i) {
      events.push_back(EventData{.type = "ItemAdded", .data = std::string(128, 'x')});
    }
    ASSERT_TRUE(store
                    .Append("stream-" + std::to_string(done / 100 % 10), ExpectedVersion::Any(),
                            std::move(events), Durability::kBuffered)
                    .ok());
  }
}

TEST_F(Subscriptions, TheDaemonPushesNoMoreThanTheCreditsAndBuffersNoMore) {
  AppendEvents(*store_, 5000);
  auto client = Connect();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  Collector got;
  auto sub = (*client)->Subscribe({.window = 100, .auto_credit = false}, got.Callback());
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  ASSERT_TRUE(got.WaitFor(100));
  // The client grants nothing more: nothing more comes, and the daemon
  // holds nothing for it (no push is made without credit). The barrier: a
  // second subscription of the session, with credits, takes in the whole
  // log, then a round trip on the session; the client hands pushes and
  // answers over on its I/O thread in the order the daemon sent them.
  Collector witness;
  auto all = (*client)->Subscribe({}, witness.Callback());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_TRUE(witness.WaitFor(5000));
  ASSERT_TRUE((*client)->Stats().ok());
  EXPECT_EQ(got.size(), 100u);
  // (Eventually: the last writes to the witness may still be completing.)
  EXPECT_TRUE(Eventually([&] { return server_->queued_bytes() < (16u << 10); }))
      << "the daemon buffers for a client without credit";
  AppendEvents(*store_, 1000);  // New commits change nothing either.
  ASSERT_TRUE(witness.WaitFor(6000));
  ASSERT_TRUE((*client)->Stats().ok());
  EXPECT_EQ(got.size(), 100u);
  EXPECT_TRUE(Eventually([&] { return server_->queued_bytes() < (16u << 10); }));

  (*sub)->Grant(400);
  ASSERT_TRUE(got.WaitFor(500));
  ASSERT_TRUE((*client)->Stats().ok());  // a push past the credits would come before its answer
  EXPECT_EQ(got.size(), 500u);
  (*sub)->Grant(1'000'000);
  ASSERT_TRUE(got.WaitFor(6000));
  std::lock_guard<std::mutex> lock(got.mu);
  ASSERT_EQ(got.positions.size(), 6000u);
  for (size_t i = 0; i < got.positions.size(); ++i) ASSERT_EQ(got.positions[i], i + 1);
  EXPECT_EQ((*sub)->position(), Position(6000));
}

TEST_F(Subscriptions, AutomaticCreditsDeliverEverythingAndLiveCommits) {
  AppendEvents(*store_, 2000);
  auto client = Connect();
  ASSERT_TRUE(client.ok());
  Collector got;
  auto sub = (*client)->Subscribe({.window = 64}, got.Callback());
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  ASSERT_TRUE(got.WaitFor(2000));
  AppendEvents(*store_, 300);
  ASSERT_TRUE(got.WaitFor(2300));
  std::lock_guard<std::mutex> lock(got.mu);
  for (size_t i = 0; i < got.positions.size(); ++i) ASSERT_EQ(got.positions[i], i + 1);
}

TEST_F(Subscriptions, ResumeAfterAPositionWithFilters) {
  AppendEvents(*store_, 3000);
  auto client = Connect();
  ASSERT_TRUE(client.ok());
  Collector got;
  auto sub = (*client)->Subscribe(
      {.feed = {.start = FeedStart::After(Position(1500)), .category = "stream"}}, got.Callback());
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  ASSERT_TRUE(got.WaitFor(1500));
  {
    std::lock_guard<std::mutex> lock(got.mu);
    EXPECT_EQ(got.positions.front(), 1501u);
    EXPECT_EQ(got.positions.back(), 3000u);
  }

  // None of the 3000 is in the category: an event of it appended after them
  // is the first and only one handed over.
  Collector none;
  auto other = (*client)->Subscribe({.feed = {.category = "nobody"}}, none.Callback());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(store_
                  ->Append("nobody-1", ExpectedVersion::Any(),
                           {EventData{.type = "Marker", .data = "m"}}, Durability::kBuffered)
                  .ok());
  ASSERT_TRUE(none.WaitFor(1));
  std::lock_guard<std::mutex> lock(none.mu);
  EXPECT_EQ(none.positions, std::vector<uint64_t>{3001});
}

TEST_F(Subscriptions, UnsubscribeStopsThePushes) {
  auto client = Connect();
  ASSERT_TRUE(client.ok());
  Collector got;
  auto sub = (*client)->Subscribe({.feed = {.start = FeedStart::Latest()}}, got.Callback());
  ASSERT_TRUE(sub.ok());
  // The barrier: another subscription of the same session, which stays.
  Collector witness;
  auto other = (*client)->Subscribe({.feed = {.start = FeedStart::Latest()}}, witness.Callback());
  ASSERT_TRUE(other.ok());
  AppendEvents(*store_, 100);
  ASSERT_TRUE(got.WaitFor(100));
  ASSERT_TRUE((*sub)->Cancel().ok());
  AppendEvents(*store_, 100);
  // The other subscription has had the new commits pushed, and a round trip
  // on the session follows them: the session goes on, the cancelled
  // subscription got nothing more.
  ASSERT_TRUE(witness.WaitFor(200));
  EXPECT_EQ((*client)->Stats()->appended, 200u);
  EXPECT_EQ(got.size(), 100u);
}

TEST_F(Subscriptions, ASessionHoldsAtMostSixteen) {
  auto client = Connect();
  ASSERT_TRUE(client.ok());
  Collector got;
  std::vector<std::unique_ptr<RemoteSubscription>> subs;
  for (int i = 0; i < 16; ++i) {
    auto sub = (*client)->Subscribe({}, got.Callback());
    ASSERT_TRUE(sub.ok()) << i << ": " << sub.status().ToString();
    subs.push_back(std::move(sub).value());
  }
  auto refused = (*client)->Subscribe({}, got.Callback());
  EXPECT_TRUE(refused.status().IsBusy()) << refused.status().ToString();
  ASSERT_TRUE(subs.back()->Cancel().ok());
  EXPECT_TRUE((*client)->Subscribe({}, got.Callback()).ok());
}

TEST_F(Subscriptions, ALostSessionEndsTheSubscriptionWithIOError) {
  auto client = Connect();
  ASSERT_TRUE(client.ok());
  Collector got;
  auto sub = (*client)->Subscribe({}, got.Callback());
  ASSERT_TRUE(sub.ok());
  StopServer();
  std::unique_lock<std::mutex> lock(got.mu);
  ASSERT_TRUE(got.cv.wait_for(lock, kPatience, [&] { return got.has_ended; }));
  EXPECT_TRUE(got.ended.IsIOError()) << got.ended.ToString();
}

}  // namespace
}  // namespace evlog
