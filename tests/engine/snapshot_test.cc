// Snapshots: save and load, the policy subscriber, and aggregate loads that
// read only the tail after a snapshot.

#include "evlog/snapshot.h"

#include <gtest/gtest.h>

#include "evlog/aggregate.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using std::chrono::seconds;
using Snapshots = testutil::StoreTest;

// The fold under test: the state is the number of events, as text.
Result<std::string> CountFold(std::string_view, const std::optional<std::string>& previous,
                              const std::vector<OwnedEvent>& events) {
  long n = previous ? std::stol(*previous) : 0;
  return std::to_string(n + static_cast<long>(events.size()));
}

TEST_F(Snapshots, LoadReturnsTheNewest) {
  for (int i = 0; i < 5; ++i) AppendOne("a-1");
  ASSERT_OK(store_->SaveSnapshot("a-1", Version(2), "two"));
  ASSERT_OK(store_->SaveSnapshot("a-1", Version(4), "four"));
  auto s = store_->LoadSnapshot("a-1");
  ASSERT_OK(s.status());
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ((*s)->version, Version(4));
  EXPECT_EQ((*s)->state, "four");
  EXPECT_GT((*s)->timestamp_us, 0);
  EXPECT_FALSE(store_->LoadSnapshot("b-1")->has_value());
}

TEST_F(Snapshots, SaveRejectsVersionsTheStreamDoesNotHave) {
  AppendOne("a-1");
  EXPECT_TRUE(store_->SaveSnapshot("a-1", Version(2), "x").IsInvalidArgument());
  EXPECT_TRUE(store_->SaveSnapshot("a-1", Version(0), "x").IsInvalidArgument());
  EXPECT_TRUE(store_->SaveSnapshot("b-1", Version(1), "x").IsNotFound());
}

TEST_F(Snapshots, PolicySnapshotsEveryNEventsPerStream) {
  auto snapshotter = store_->StartSnapshots(
      {.name = "counts", .category = "a", .every_events = 10, .fold = CountFold});
  ASSERT_OK(snapshotter.status());
  Position last;
  for (int i = 0; i < 25; ++i) last = AppendOne("a-1").last_position;
  for (int i = 0; i < 5; ++i) last = AppendOne("a-2").last_position;
  for (int i = 0; i < 12; ++i) last = AppendOne("b-1").last_position;
  ASSERT_OK((*snapshotter)->WaitFor(last, seconds(30)));
  auto a1 = store_->LoadSnapshot("a-1");
  ASSERT_TRUE(a1->has_value());
  // Batches end anywhere, so the newest snapshot is not at a multiple of
  // 10; the policy only promises no stream ends 10 or more events past it.
  EXPECT_GT((*a1)->version, Version(25 - 10));
  EXPECT_EQ((*a1)->state, std::to_string((*a1)->version.value()));  // folded every event once
  EXPECT_FALSE(store_->LoadSnapshot("a-2")->has_value());           // only 5 events
  EXPECT_FALSE(store_->LoadSnapshot("b-1")->has_value());           // other category
}

TEST_F(Snapshots, AFailingFoldStopsThePolicyAndStatusSaysWhy) {
  auto snapshotter = store_->StartSnapshots(
      {.name = "broken",
       .every_events = 1,
       .fold = [](std::string_view, const std::optional<std::string>&,
                  const std::vector<OwnedEvent>&) -> Result<std::string> {
         return Status::InvalidArgument("cannot fold");
       }});
  ASSERT_OK(snapshotter.status());
  EXPECT_OK((*snapshotter)->status());
  const Position last = AppendOne("a-1").last_position;
  const Status waited = (*snapshotter)->WaitFor(last, seconds(30));
  EXPECT_TRUE(waited.IsInvalidArgument()) << waited.ToString();
  const Status status = (*snapshotter)->status();
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  EXPECT_EQ(status.message(), "cannot fold");
  EXPECT_FALSE(store_->LoadSnapshot("a-1")->has_value());
}

TEST_F(Snapshots, AStoppedPolicyReportsOk) {
  auto snapshotter = store_->StartSnapshots({.name = "counts", .fold = CountFold});
  ASSERT_OK(snapshotter.status());
  (*snapshotter)->Stop();
  EXPECT_OK((*snapshotter)->status());
}

struct Counter {
  long events = 0;
};

TEST_F(Snapshots, AggregateLoadReadsOnlyTheTail) {
  Aggregate<Counter>::Codec codec{
      .encode = [](const Counter& c) { return std::to_string(c.events); },
      .decode = [](std::string_view s) -> std::optional<Counter> {
        return Counter{std::stol(std::string(s))};
      }};
  auto apply = [](Counter& c, const RecordedEvent&) { ++c.events; };
  for (int i = 0; i < 50; ++i) AppendOne("a-1");
  Aggregate<Counter> aggregate(*store_, "a-1", apply, codec);
  ASSERT_OK(aggregate.Load());
  EXPECT_EQ(aggregate.events_read(), 50u);
  ASSERT_OK(aggregate.SaveSnapshot());
  for (int i = 0; i < 3; ++i) AppendOne("a-1");
  Aggregate<Counter> reloaded(*store_, "a-1", apply, codec);
  ASSERT_OK(reloaded.Load());
  EXPECT_EQ(reloaded.events_read(), 3u);
  EXPECT_EQ(reloaded.state().events, 53);
  EXPECT_EQ(reloaded.version(), Version(53));
}

}  // namespace
}  // namespace evlog
