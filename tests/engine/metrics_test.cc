// Metrics: the counters move by exactly what known appends, syncs and
// subscriptions did; histograms keep Prometheus' cumulative form.

#include "evlog/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "evlog/store.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testutil::Ev;

class MetricsTest : public testutil::StoreTest {
 protected:
  MetricsSnapshot Snapshot() {
    auto m = store_->Metrics();
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : MetricsSnapshot{};
  }
};
using Metrics = MetricsTest;

// Cumulative count of the bucket whose upper bound is `bound`.
uint64_t CountAtMost(const Histogram& h, double bound) {
  for (size_t i = 0; i < h.upper_bounds.size(); ++i) {
    if (h.upper_bounds[i] == bound) return h.cumulative_counts[i];
  }
  ADD_FAILURE() << "no bucket with upper bound " << bound;
  return 0;
}

void ExpectCumulative(const Histogram& h) {
  ASSERT_EQ(h.upper_bounds.size(), h.cumulative_counts.size());
  for (size_t i = 1; i < h.upper_bounds.size(); ++i) {
    EXPECT_LT(h.upper_bounds[i - 1], h.upper_bounds[i]);
    EXPECT_LE(h.cumulative_counts[i - 1], h.cumulative_counts[i]);
  }
  if (!h.cumulative_counts.empty()) {
    EXPECT_LE(h.cumulative_counts.back(), h.count);
  }
}

TEST_F(Metrics, AFreshStoreCountsNothing) {
  MetricsSnapshot m = Snapshot();
  EXPECT_EQ(m.appends, 0u);
  EXPECT_EQ(m.events, 0u);
  EXPECT_EQ(m.append_bytes, 0u);
  EXPECT_EQ(m.fsyncs, 0u);
  EXPECT_EQ(m.group_commit_events.count, 0u);
  EXPECT_EQ(m.append_latency_seconds.count, 0u);
  EXPECT_FALSE(m.group_commit_events.upper_bounds.empty());
  EXPECT_TRUE(m.subscriptions.empty());
}

TEST_F(Metrics, CountsAppendsEventsBytesAndGroupSizes) {
  // type "T" + data "abc" = 4 bytes; type "Long" + data "d" = 5 bytes.
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("T", "abc")}, Durability::kBuffered)
                .status());
  ASSERT_OK(store_
                ->Append("a-2", ExpectedVersion::Any(), {Ev("Long"), Ev("Long"), Ev("Long")},
                         Durability::kBuffered)
                .status());
  MetricsSnapshot m = Snapshot();
  EXPECT_EQ(m.appends, 2u);
  EXPECT_EQ(m.events, 4u);
  EXPECT_EQ(m.append_bytes, 4u + 3 * 5u);
  // One thread, one append at a time: two groups, of 1 and of 3 events.
  const Histogram& g = m.group_commit_events;
  ExpectCumulative(g);
  EXPECT_EQ(g.count, 2u);
  EXPECT_EQ(g.sum, 4.0);
  EXPECT_EQ(CountAtMost(g, 1), 1u);
  EXPECT_EQ(CountAtMost(g, 2), 1u);
  EXPECT_EQ(CountAtMost(g, 4), 2u);
  ExpectCumulative(m.append_latency_seconds);
  EXPECT_EQ(m.append_latency_seconds.count, 2u);
  EXPECT_GT(m.append_latency_seconds.sum, 0.0);
}

TEST_F(Metrics, RejectedAndDeduplicatedAppendsAreNotCounted) {
  const Uuid id = Uuid::Random();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::NoStream(), {Ev("T", "d", id)}).status());
  auto conflict = store_->Append("a-1", ExpectedVersion::NoStream(), {Ev("T")});
  EXPECT_TRUE(conflict.status().IsWrongExpectedVersion());
  auto retry = store_->Append("a-1", ExpectedVersion::NoStream(), {Ev("T", "d", id)});
  ASSERT_OK(retry.status());
  EXPECT_TRUE(retry->deduplicated);
  auto invalid = store_->Append("$reserved", ExpectedVersion::Any(), {Ev("T")});
  EXPECT_FALSE(invalid.ok());

  MetricsSnapshot m = Snapshot();
  EXPECT_EQ(m.appends, 1u);
  EXPECT_EQ(m.events, 1u);
  EXPECT_EQ(m.append_bytes, 2u);
  EXPECT_EQ(m.group_commit_events.count, 1u);
  EXPECT_EQ(m.append_latency_seconds.count, 1u);
}

TEST_F(Metrics, DurableAppendsAndSyncAreCountedAsFsyncs) {
  // Durable appends only: the background syncer has nothing to do.
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("T")}, Durability::kSync).status());
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("T")}, Durability::kSync).status());
  EXPECT_EQ(Snapshot().fsyncs, 2u);
  ASSERT_OK(store_->Sync());
  MetricsSnapshot m = Snapshot();
  EXPECT_EQ(m.fsyncs, 3u);
  ExpectCumulative(m.fsync_seconds);
  EXPECT_EQ(m.fsync_seconds.count, 3u);
  EXPECT_GT(m.fsync_seconds.sum, 0.0);
}

TEST_F(Metrics, ReportsEachSubscriptionsLagAndParkedEvents) {
  auto handler = [](const std::vector<OwnedEvent>& batch) -> Status {
    for (const OwnedEvent& e : batch) {
      if (e.type == "Bad") return Status::InvalidArgument("cannot handle it");
    }
    return Status::OK();
  };
  auto sub = store_->Subscribe({.name = "projector",
                                .max_attempts = 1,
                                .initial_backoff = milliseconds(1),
                                .max_backoff = milliseconds(1)},
                               handler);
  ASSERT_OK(sub.status());
  AppendOne("a-1");
  AppendOne("a-1", "Bad");
  const Position last = AppendOne("a-1").last_position;
  ASSERT_OK((*sub)->WaitFor(last, seconds(30)));
  (*sub)->Stop();
  // The parked event went to "$parked-projector": the log is one longer.
  const uint64_t before = store_->LastPosition().value();
  AppendOne("a-2");
  AppendOne("a-2");

  MetricsSnapshot m = Snapshot();
  ASSERT_EQ(m.subscriptions.size(), 1u);
  EXPECT_EQ(m.subscriptions[0].name, "projector");
  EXPECT_EQ(m.subscriptions[0].parked, 1u);
  EXPECT_EQ(m.subscriptions[0].lag,
            store_->LastPosition().value() - m.subscriptions[0].checkpoint.value());
  EXPECT_GE(m.subscriptions[0].lag, 2u);
  EXPECT_EQ(store_->LastPosition().value(), before + 2);
}

TEST_F(Metrics, AReadOnlyStoreCountsNoAppendsAndKeepsTheBuckets) {
  AppendOne("a-1");
  Options read_only;
  read_only.read_only = true;
  auto reader = Store::Open(read_only, path());
  ASSERT_OK(reader.status());
  auto m = (*reader)->Metrics();
  ASSERT_OK(m.status());
  EXPECT_EQ(m->appends, 0u);
  EXPECT_EQ(m->group_commit_events.count, 0u);
  EXPECT_EQ(m->group_commit_events.upper_bounds, Snapshot().group_commit_events.upper_bounds);
  EXPECT_EQ(Snapshot().appends, 1u);
}

TEST_F(Metrics, ACompactionIsCountedWithTheBytesItRead) {
  for (int i = 0; i < 100; ++i) AppendOne("a-" + std::to_string(i % 10));
  EXPECT_EQ(Snapshot().rocksdb.compactions, 0u);
  ASSERT_OK(store_->Compact());
  MetricsSnapshot m = Snapshot();
  EXPECT_GE(m.rocksdb.compactions, 1u);
  EXPECT_GT(m.rocksdb.compaction_read_bytes, 0u);
  EXPECT_GT(m.rocksdb.compaction_write_bytes, 0u);
  // The gauges (running, pending) depend on what RocksDB schedules next.
  EXPECT_EQ(m.rocksdb.write_stopped, 0u);
}

// evlogd watches this counter to return what flushes and compactions free.
TEST_F(Metrics, BackgroundJobsCompletedCountsFlushesAndCompactionsAsMetricsDoes) {
  for (int i = 0; i < 100; ++i) AppendOne("a-" + std::to_string(i % 10));
  EXPECT_EQ(store_->BackgroundJobsCompleted(), 0u);
  ASSERT_OK(store_->Compact());  // flushes the memtables, then compacts
  // RocksDB may finish a job of its own choosing between two reads.
  const uint64_t before = store_->BackgroundJobsCompleted();
  MetricsSnapshot m = Snapshot();
  const uint64_t after = store_->BackgroundJobsCompleted();
  EXPECT_GE(m.rocksdb.flushes, 1u);
  EXPECT_GE(m.rocksdb.compactions, 1u);
  EXPECT_LE(before, m.rocksdb.flushes + m.rocksdb.compactions);
  EXPECT_GE(after, m.rocksdb.flushes + m.rocksdb.compactions);
}

}  // namespace
}  // namespace evlog
