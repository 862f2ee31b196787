// Views that are behind: their batches grow up to the catch-up bounds
// (ViewOptions::max_catch_up_batch_*), return to the feed's limits once
// caught up, and still apply every event exactly once across a crash.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "evlog/view.h"
#include "testutil/child_process.h"
#include "testutil/store_fixture.h"
#include "view_counter.h"

namespace evlog {
namespace {

using std::chrono::seconds;
using testutil::CountEvents;

class ViewCatchUp : public testutil::StoreTest {
 protected:
  // Appends `n` events with `data` to streams s-0..s-4, 100 per append.
  Position AppendEvents(int n, const std::string& data = "x") {
    for (int i = 0; i < n; i += 100) {
      std::vector<EventData> events(static_cast<size_t>(std::min(100, n - i)),
                                    EventData{.type = "T", .data = data});
      auto r = store_->Append("s-" + std::to_string((i / 100) % 5), ExpectedVersion::Any(),
                              std::move(events), Durability::kBuffered);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    return store_->LastPosition();
  }

  // Opens a counting view that records each batch's size.
  std::unique_ptr<View> OpenRecording(ViewOptions options) {
    options.name = "counter";
    auto view = store_->OpenView(
        std::move(options), [this](const std::vector<OwnedEvent>& events, ViewWriter& out) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            sizes_.push_back(events.size());
          }
          return CountEvents(events, out);
        });
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    return view.ok() ? std::move(view).value() : nullptr;
  }

  std::vector<size_t> Sizes() {
    std::lock_guard<std::mutex> lock(mu_);
    return sizes_;
  }

  static std::string Value(View& view, const std::string& key) {
    auto v = view.Get(key);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() && v->has_value() ? **v : "";
  }

  std::mutex mu_;
  std::vector<size_t> sizes_;
};

TEST_F(ViewCatchUp, AViewFarBehindGrowsItsBatchesUpToTheBoundThenShrinksOnceCaughtUp) {
  const Position last = AppendEvents(3000);
  auto view = OpenRecording({.feed = {.max_batch_events = 10}, .max_catch_up_batch_events = 100});
  ASSERT_OK(view->WaitFor(last, seconds(30)));
  std::vector<size_t> sizes = Sizes();
  ASSERT_GE(sizes.size(), 5u);
  // 10, 20, 40, 80, then the bound.
  EXPECT_EQ(std::vector<size_t>(sizes.begin(), sizes.begin() + 5),
            (std::vector<size_t>{10, 20, 40, 80, 100}));
  EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 100u);
  EXPECT_EQ(Value(*view, "total"), "3000");

  // Caught up, the view is back at the feed's limit: 50 events committed at
  // once are applied 10 first.
  const size_t before = sizes.size();
  const Position next = AppendEvents(50);
  ASSERT_OK(view->WaitFor(next, seconds(30)));
  sizes = Sizes();
  ASSERT_GT(sizes.size(), before);
  EXPECT_EQ(sizes[before], 10u);
  EXPECT_EQ(Value(*view, "total"), "3050");
}

TEST_F(ViewCatchUp, BatchesOfAViewBehindStayWithinTheCatchUpByteBound) {
  const std::string data(100, 'd');
  const Position last = AppendEvents(2000, data);
  auto view = OpenRecording({.feed = {.max_batch_events = 10'000, .max_batch_bytes = 500},
                             .max_catch_up_batch_bytes = 4000});
  ASSERT_OK(view->WaitFor(last, seconds(30)));
  const std::vector<size_t> sizes = Sizes();
  ASSERT_FALSE(sizes.empty());
  EXPECT_EQ(sizes.front(), 5u);  // 500 bytes of 100-byte events
  EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 40u);
  EXPECT_EQ(Value(*view, "total"), "2000");
}

TEST_F(ViewCatchUp, CatchUpBoundsBelowTheFeedLimitsKeepTheFeedLimits) {
  const Position last = AppendEvents(500);
  auto view = OpenRecording({.feed = {.max_batch_events = 25}, .max_catch_up_batch_events = 0});
  ASSERT_OK(view->WaitFor(last, seconds(30)));
  const std::vector<size_t> sizes = Sizes();
  EXPECT_EQ(sizes.size(), 20u);
  EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 25u);
}

// With the default bounds a view 20,000 events behind reads thousands per
// batch, from RocksDB without filling its block cache (a feed's batches of
// 4,096 events or more), and still counts every event once, in order.
TEST_F(ViewCatchUp, AViewBehindWithTheDefaultBoundsAppliesEveryEventOnce) {
  const Position last = AppendEvents(20'000);
  auto view = OpenRecording({.feed = {.max_batch_events = 1000}});
  ASSERT_OK(view->WaitFor(last, seconds(30)));
  const std::vector<size_t> sizes = Sizes();
  EXPECT_EQ(std::vector<size_t>(sizes.begin(), sizes.begin() + 4),
            (std::vector<size_t>{1000, 2000, 4000, 8000}));
  EXPECT_EQ(Value(*view, "total"), "20000");
  for (int s = 0; s < 5; ++s) EXPECT_EQ(Value(*view, "count/s-" + std::to_string(s)), "4000");
}

// A child replays the log with growing batches and is killed after the
// handler ran for its K-th batch, before that batch commits. The view then
// holds exactly the K-1 batches before it, and, reopened, applies every
// event exactly once.
TEST_F(ViewCatchUp, ACrashMidReplayAppliesEachEventExactlyOnce) {
  const Position last = AppendEvents(5000);
  store_.reset();
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    const int k = std::uniform_int_distribution<int>(2, 12)(rng);
    const std::string name = "counter-" + std::to_string(round);
    auto child = testutil::ChildProcess::Start({VIEW_CRASH_CHILD, path(), "replay",
                                                std::to_string(k), name});
    ASSERT_NE(child, nullptr);
    unsigned long long committed = 0;
    size_t batch = 0;
    ASSERT_EQ(std::fscanf(child->out(), "%llu %zu", &committed, &batch), 2) << "k=" << k;
    const int status = child->KillAndWait(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << status;
    EXPECT_LE(batch, 500u);
    if (k >= 5) {
      EXPECT_GT(batch, 7u);  // grown past the feed's limit
    }

    Reopen();
    auto progress = store_->GetViewProgress(name);
    ASSERT_OK(progress.status());
    EXPECT_EQ(progress->position, Position(committed)) << "k=" << k;
    auto view = store_->OpenView({.name = name}, CountEvents);
    ASSERT_OK(view.status());
    ASSERT_OK((*view)->WaitFor(last, seconds(30)));
    EXPECT_EQ(Value(**view, "total"), "5000");
    for (int s = 0; s < 5; ++s) EXPECT_EQ(Value(**view, "count/s-" + std::to_string(s)), "1000");
    view->reset();
    store_.reset();
  }
}

}  // namespace
}  // namespace evlog
