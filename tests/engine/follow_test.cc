// Store::Follow, the embedded FeedFollower of the EventStore interface: the
// feed pushed to a callback in position order, within its credits.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using StoreFollow = testutil::StoreTest;
using testutil::Ev;
constexpr auto kPatience = std::chrono::seconds(30);

// What a follower's callback was handed, for a test to wait on.
struct Received {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<size_t> batches;
  std::vector<uint64_t> positions;
  Status ended;

  EventStore::FollowCallback Callback() {
    return [this](Result<std::vector<OwnedEvent>> events) {
      std::lock_guard<std::mutex> lock(mu);
      if (!events.ok()) {
        ended = events.status();
      } else {
        batches.push_back(events->size());
        for (const OwnedEvent& e : *events) positions.push_back(e.position.value());
      }
      cv.notify_all();
    };
  }
  bool WaitForEvents(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, kPatience, [&] { return positions.size() >= n; });
  }
};

TEST_F(StoreFollow, HandsOverEveryEventInOrderNeverBeyondItsCredits) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("T")}).status());
  }
  Received got;
  auto follower = store_->Follow(
      {.feed = {.start = FeedStart::Oldest()}, .window = 2, .auto_credit = false},
      got.Callback());
  ASSERT_OK(follower.status());
  ASSERT_TRUE(got.WaitForEvents(2));
  {
    std::lock_guard<std::mutex> lock(got.mu);
    // Five events are committed, two credits granted: one batch of two.
    EXPECT_EQ(got.batches, (std::vector<size_t>{2}));
  }
  (*follower)->Grant(3);
  ASSERT_TRUE(got.WaitForEvents(5));
  ASSERT_OK((*follower)->Cancel());
  std::lock_guard<std::mutex> lock(got.mu);
  EXPECT_EQ(got.positions, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ((*follower)->position(), Position(5));
  EXPECT_TRUE(got.ended.ok()) << got.ended.ToString();
}

TEST_F(StoreFollow, FollowsCommitsMadeAfterItStarted) {
  Received got;
  auto follower = store_->Follow({.feed = {.start = FeedStart::Latest()}}, got.Callback());
  ASSERT_OK(follower.status());
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("T")}).status());
  }
  ASSERT_TRUE(got.WaitForEvents(3));
  follower->reset();  // ends it, as Cancel
  std::lock_guard<std::mutex> lock(got.mu);
  EXPECT_EQ(got.positions, (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(StoreFollow, ABadFilterIsRefusedAtOnce) {
  auto follower = store_->Follow({.feed = {.max_batch_events = 0}},
                                 [](Result<std::vector<OwnedEvent>>) {});
  EXPECT_TRUE(follower.status().IsInvalidArgument()) << follower.status().ToString();
}

}  // namespace
}  // namespace evlog
