// CommitSignal (engine/commit_signal.h): the wake-up path from a commit to
// the change feeds waiting for it. Every waiter parked on the signal is
// woken by the one Advance, Interrupt or Poke that concerns it; a wait that
// nothing ends ends at its deadline.

#include "commit_signal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "testutil/eventually.h"

namespace evlog {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testutil::Eventually;

// Far enough that a wait reaching it is a failure of the test, not a wake-up.
Clock::time_point Far() { return Clock::now() + std::chrono::minutes(5); }

TEST(CommitSignal, OneAdvanceWakesEveryParkedWaiter) {
  CommitSignal signal(7);
  constexpr int kWaiters = 16;
  std::vector<uint64_t> seen(kWaiters, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&, i] { seen[i] = signal.WaitBeyond(7, Far()); });
  }
  ASSERT_TRUE(Eventually([&] { return signal.waiters() == kWaiters; }));
  signal.Advance(9);
  for (auto& t : threads) t.join();
  for (uint64_t s : seen) EXPECT_EQ(s, 9u);
  EXPECT_EQ(signal.waiters(), 0);
}

TEST(CommitSignal, AWaiterAlreadyBeyondReturnsAtOnce) {
  CommitSignal signal(5);
  EXPECT_EQ(signal.WaitBeyond(4, Far()), 5u);
  EXPECT_EQ(signal.waiters(), 0);
}

TEST(CommitSignal, AnAdvanceThatDoesNotPassTheWaitedPositionLeavesItParked) {
  CommitSignal signal(1);
  uint64_t seen = 0;
  std::thread waiter([&] { seen = signal.WaitBeyond(3, Far()); });
  ASSERT_TRUE(Eventually([&] { return signal.waiters() == 1; }));
  signal.Advance(2);
  signal.Advance(3);
  // Still parked: the barrier is the advance that ends it, seen below.
  EXPECT_EQ(signal.waiters(), 1);
  signal.Advance(4);
  waiter.join();
  EXPECT_EQ(seen, 4u);
}

TEST(CommitSignal, AWaitEndsAtItsDeadline) {
  CommitSignal signal(3);
  const auto deadline = Clock::now() + milliseconds(20);
  EXPECT_EQ(signal.WaitBeyond(3, deadline), 3u);
  EXPECT_GE(Clock::now(), deadline);
  EXPECT_EQ(signal.waiters(), 0);
}

TEST(CommitSignal, InterruptEndsEveryWait) {
  CommitSignal signal(0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { signal.WaitBeyond(0, Far()); });
  ASSERT_TRUE(Eventually([&] { return signal.waiters() == 4; }));
  signal.Interrupt();
  for (auto& t : threads) t.join();
  EXPECT_TRUE(signal.interrupted());
  // And a wait after it does not park.
  EXPECT_EQ(signal.WaitBeyond(0, Far()), 0u);
}

TEST(CommitSignal, APokeEndsOnlyTheWaitsThatAskedForIt) {
  CommitSignal signal(0);
  const uint64_t pokes = signal.pokes();
  std::atomic<bool> poked_returned{false};
  uint64_t plain_seen = 0;
  std::thread poked([&] {
    signal.WaitBeyond(0, Far(), &pokes);
    poked_returned = true;
  });
  std::thread plain([&] { plain_seen = signal.WaitBeyond(0, Far()); });
  ASSERT_TRUE(Eventually([&] { return signal.waiters() == 2; }));
  signal.Poke();
  poked.join();
  EXPECT_TRUE(poked_returned.load());
  EXPECT_EQ(signal.pokes(), pokes + 1);
  // The plain waiter was woken too, and parked again.
  ASSERT_TRUE(Eventually([&] { return signal.waiters() == 1; }));
  signal.Advance(1);
  plain.join();
  EXPECT_EQ(plain_seen, 1u);
}

// Many commits racing many waits: no wake-up is lost (a lost one would
// leave a waiter parked until the five-minute deadline, failing the test
// by its timeout), and every waiter sees the positions in order.
TEST(CommitSignal, NoCommitIsMissedByAWaiterThatParksAsItLands) {
  CommitSignal signal(0);
  constexpr uint64_t kCommits = 20'000;
  constexpr int kWaiters = 4;
  std::vector<std::thread> threads;
  std::atomic<int> behind{0};
  for (int i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&] {
      uint64_t at = 0;
      while (at < kCommits) {
        const uint64_t now = signal.WaitBeyond(at, Far());
        if (now <= at) behind.fetch_add(1);
        at = now;
      }
    });
  }
  for (uint64_t c = 1; c <= kCommits; ++c) signal.Advance(c);
  for (auto& t : threads) t.join();
  EXPECT_EQ(behind.load(), 0);
}

}  // namespace
}  // namespace evlog
