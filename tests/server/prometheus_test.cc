// Prometheus: RenderPrometheus's output parses as the text exposition
// format (tests/testutil/exposition_parser.h, strict) and carries the values
// of known appends, syncs and subscriptions.

#include "prometheus.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "testutil/exposition_parser.h"
#include "testutil/store_fixture.h"

namespace evlog::server {
namespace {

using testutil::ExpositionFamily;
using testutil::ExpositionSample;
using testutil::ParseExposition;

std::map<std::string, ExpositionFamily> ParseOrFail(const std::string& text) {
  auto parsed = ParseExposition(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << text;
  std::map<std::string, ExpositionFamily> out;
  if (parsed.ok()) {
    for (ExpositionFamily& f : *parsed) out.emplace(f.name, std::move(f));
  }
  return out;
}

// The value of the one sample of `family` named `name` whose labels are
// `labels`; fails the test if there is none.
double Value(const std::map<std::string, ExpositionFamily>& families, const std::string& family,
             const std::string& name, const std::map<std::string, std::string>& labels = {}) {
  auto f = families.find(family);
  if (f == families.end()) {
    ADD_FAILURE() << "no family " << family;
    return -1;
  }
  for (const ExpositionSample& s : f->second.samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  ADD_FAILURE() << "no sample " << name << " in " << family;
  return -1;
}

using Prometheus = testutil::StoreTest;

TEST_F(Prometheus, AStoreAfterKnownAppendsRendersAsValidExpositionWithTheirValues) {
  // Durable appends only, so the background syncer syncs nothing.
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {testutil::Ev("T", "abc")}).status());
  ASSERT_OK(
      store_
          ->Append("a-2", ExpectedVersion::Any(), {testutil::Ev("T", "x"), testutil::Ev("T", "y")})
          .status());
  auto sub = store_->Subscribe({.name = "projector"},
                               [](const std::vector<OwnedEvent>&) { return Status::OK(); });
  ASSERT_OK(sub.status());
  ASSERT_OK((*sub)->WaitFor(store_->LastPosition(), std::chrono::seconds(30)));
  (*sub)->Stop();
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {testutil::Ev("T", "z")}).status());

  auto metrics = store_->Metrics();
  ASSERT_OK(metrics.status());
  const std::string text = RenderPrometheus(*metrics);
  auto f = ParseOrFail(text);
  ASSERT_FALSE(f.empty());

  EXPECT_EQ(Value(f, "evlog_appends_total", "evlog_appends_total"), 3);
  EXPECT_EQ(Value(f, "evlog_events_total", "evlog_events_total"), 4);
  EXPECT_EQ(Value(f, "evlog_append_bytes_total", "evlog_append_bytes_total"), 4 + 2 + 2 + 2);
  EXPECT_EQ(Value(f, "evlog_fsyncs_total", "evlog_fsyncs_total"), 3);
  EXPECT_EQ(Value(f, "evlog_group_commit_events", "evlog_group_commit_events_count"), 3);
  EXPECT_EQ(Value(f, "evlog_group_commit_events", "evlog_group_commit_events_sum"), 4);
  EXPECT_EQ(
      Value(f, "evlog_group_commit_events", "evlog_group_commit_events_bucket", {{"le", "1"}}), 2);
  EXPECT_EQ(
      Value(f, "evlog_group_commit_events", "evlog_group_commit_events_bucket", {{"le", "2"}}), 3);
  EXPECT_EQ(Value(f, "evlog_fsync_seconds", "evlog_fsync_seconds_count"), 3);
  EXPECT_EQ(Value(f, "evlog_append_latency_seconds", "evlog_append_latency_seconds_count"), 3);
  EXPECT_EQ(Value(f, "evlog_subscription_lag_events", "evlog_subscription_lag_events",
                  {{"subscription", "projector"}}),
            1);
  EXPECT_EQ(Value(f, "evlog_subscription_parked_events", "evlog_subscription_parked_events",
                  {{"subscription", "projector"}}),
            0);
  EXPECT_EQ(Value(f, "evlog_subscription_checkpoint_position",
                  "evlog_subscription_checkpoint_position", {{"subscription", "projector"}}),
            3);
  EXPECT_EQ(Value(f, "evlog_rocksdb_write_stopped", "evlog_rocksdb_write_stopped"), 0);
  // The subscription read the three events (from RocksDB: they were
  // committed before any feed was open, so the live tail never held them).
  EXPECT_EQ(Value(f, "evlog_feed_events_total", "evlog_feed_events_total", {{"source", "tail"}}) +
                Value(f, "evlog_feed_events_total", "evlog_feed_events_total", {{"source", "log"}}),
            3);
  EXPECT_GE(Value(f, "evlog_tail_bytes", "evlog_tail_bytes"), 0);
  EXPECT_GE(Value(f, "evlog_tail_events", "evlog_tail_events"), 0);

  for (const auto& [name, family] : f) {
    EXPECT_FALSE(family.help.empty()) << name;
    EXPECT_NE(family.type, "untyped") << name;
    EXPECT_EQ(family.type == "counter", name.ends_with("_total")) << name;
    EXPECT_TRUE(name.starts_with("evlog_")) << name;
  }
  EXPECT_EQ(f.at("evlog_fsync_seconds").type, "histogram");
  EXPECT_EQ(f.at("evlog_subscription_lag_events").type, "gauge");
}

TEST(PrometheusRender, EscapesSubscriptionNamesInLabels) {
  MetricsSnapshot m;
  const std::string name = "odd \"name\" \\ with\na line feed";
  m.subscriptions.push_back(SubscriptionInfo{.name = name, .checkpoint = Position(7), .lag = 5});
  auto f = ParseOrFail(RenderPrometheus(m));
  EXPECT_EQ(Value(f, "evlog_subscription_lag_events", "evlog_subscription_lag_events",
                  {{"subscription", name}}),
            5);
}

TEST(PrometheusRender, AnEmptySnapshotIsStillValidWithEveryFamily) {
  auto f = ParseOrFail(RenderPrometheus(MetricsSnapshot{}));
  EXPECT_EQ(Value(f, "evlog_append_latency_seconds", "evlog_append_latency_seconds_bucket",
                  {{"le", "+Inf"}}),
            0);
  EXPECT_TRUE(f.at("evlog_subscription_lag_events").samples.empty());
}

TEST(PrometheusRender, DaemonGaugesFollowTheStoresWhenGiven) {
  const DaemonGauges daemon{.sessions = 3,
                            .queued_bytes = 4096,
                            .slow_consumers_closed = 2,
                            .protocol_consumers = 5,
                            .http_consumers = 6};
  auto f = ParseOrFail(RenderPrometheus(MetricsSnapshot{}, &daemon));
  EXPECT_EQ(Value(f, "evlogd_sessions", "evlogd_sessions", {}), 3);
  EXPECT_EQ(Value(f, "evlogd_queued_bytes", "evlogd_queued_bytes", {}), 4096);
  EXPECT_EQ(Value(f, "evlogd_slow_consumers_closed_total", "evlogd_slow_consumers_closed_total", {}),
            2);
  EXPECT_EQ(f.at("evlogd_slow_consumers_closed_total").type, "counter");
  EXPECT_EQ(Value(f, "evlogd_protocol_consumers", "evlogd_protocol_consumers", {}), 5);
  EXPECT_EQ(Value(f, "evlogd_http_consumers", "evlogd_http_consumers", {}), 6);
  EXPECT_EQ(f.at("evlogd_http_consumers").type, "gauge");
  EXPECT_FALSE(ParseOrFail(RenderPrometheus(MetricsSnapshot{})).contains("evlogd_sessions"));
}

// The parser must catch what it claims to, or the tests above prove nothing.
TEST(ExpositionParser, RejectsWhatTheFormatForbids) {
  const std::vector<std::string> bad = {
      "1bad 1\n",
      "ok 1",                       // no line feed at the end
      "ok{1a=\"x\"} 1\n",           // label name
      "ok{a=\"x\\t\"} 1\n",         // escape
      "ok{a=\"x\",a=\"y\"} 1\n",    // label twice
      "ok one\n",                   // value
      "ok 1\n# TYPE ok counter\n",  // TYPE after samples
      "a 1\nb 1\na 2\n",            // family not contiguous
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  // no +Inf
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",        // no _sum
      "# TYPE x counter\n# TYPE x counter\nx 1\n",
  };
  for (const std::string& text : bad) {
    EXPECT_FALSE(ParseExposition(text).ok()) << text;
  }
  auto good = ParseExposition(
      "# HELP h A \\\\ help\\nline.\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\n"
      "h_bucket{le=\"+Inf\"} 2\nh_sum 1.5e0\nh_count 2\nplain{a=\"q\\\"\",} 3 1700000000\n");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  ASSERT_EQ(good->size(), 2u);
  EXPECT_EQ((*good)[0].help, "A \\ help\nline.");
  EXPECT_EQ((*good)[1].samples[0].labels.at("a"), "q\"");
}

}  // namespace
}  // namespace evlog::server
