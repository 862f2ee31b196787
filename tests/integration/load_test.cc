// Daemon load, the bounded CI form of `build/tools/loadtest` (issue #7): 64
// pipelining sessions, slow readers, malformed frames and half-open sessions
// against an evlogd child for about 10 s. evlogd must stay up, exit 0 on
// SIGTERM, keep every acknowledged append, and keep its memory within what
// its documented limits allow. No speed is asserted.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <tuple>

#include "loadtest/loadtest.h"
#include "testutil/child_process.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"
#include "testutil/tool_report.h"

namespace evlog::testutil {
namespace {

// ASan's shadow memory and quarantine make RSS say nothing about evlogd's
// own bounds: the RSS bound is checked only in plain builds.
// (GCC defines __SANITIZE_*__; clang answers __has_feature.)
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
constexpr bool kSanitized = __has_feature(address_sanitizer) || __has_feature(thread_sanitizer);
#else
constexpr bool kSanitized = false;
#endif

constexpr int kSessions = 64;
constexpr int kSlowReaders = 8;
constexpr int kMalformed = 4;
constexpr int kHalfOpen = 8;

TEST(DaemonLoad, SurvivesMixedSessionsAndKeepsEveryAcknowledgedAppend) {
  TempDir dir;
  nlohmann::json report = RunToolReport(
      {LOADTEST_PATH, "--evlogd", EVLOGD_PATH, "--db", dir.Sub("store"), "--sessions",
       std::to_string(kSessions), "--slow-readers", std::to_string(kSlowReaders), "--malformed",
       std::to_string(kMalformed), "--half-open", std::to_string(kHalfOpen), "--seconds", "10",
       "--settle-seconds", "3"});
  ASSERT_FALSE(report.is_discarded());

  EXPECT_TRUE(report["evlogd_alive"].get<bool>());
  EXPECT_EQ(report["evlogd_status"], 0);  // exit(0) after SIGTERM
  EXPECT_GT(report["appends_acked"].get<uint64_t>(), 0u);
  EXPECT_EQ(report["events_verified"], report["events_acked"]);
  EXPECT_EQ(report["log_events"], report["events_acked"]);
  EXPECT_GT(report["reads"].get<uint64_t>(), 0u);
  EXPECT_GT(report["malformed_closed"].get<uint64_t>(), 0u);
  EXPECT_GT(report["half_open_opened"].get<uint64_t>(), 0u);

  // The bound evlogd's documented limits give: a base for the store and the
  // process (256 MiB), each session that does not read its socket holding at
  // most max_buffered_bytes (16 MiB) of responses plus a max_frame_bytes
  // (4 MiB) frame, and 1 MiB per other session. Generous on purpose: this
  // catches unbounded growth, not a few MiB.
  const uint64_t bound_kib =
      (256 + kSlowReaders * (16 + 4) + (kSessions + kMalformed + kHalfOpen) * 1) * 1024;
  EXPECT_GT(report["peak_rss_kib"].get<uint64_t>(), 0u);
  if (!kSanitized) {
    EXPECT_LT(report["peak_rss_kib"].get<uint64_t>(), bound_kib) << report.dump(2);
  }

  // Once the sessions have gone and the store has run no flush or
  // compaction for the settle time (a compaction's buffers are not in
  // store_memory; a memtable flushed after evlogd's last trim stayed in
  // glibc's heap until evlogd also trimmed after flushes: 59-64 MB beside
  // store_memory, about one run in eight), what evlogd holds beside the
  // store's own caches (memtables the appends filled, the block cache the
  // reads filled, both bounded by Options) is back within 2x of what it held
  // before the load.
  const uint64_t after_kib = report["rss_after_close_kib"].get<uint64_t>();
  const uint64_t store_kib = report["store_memory_after_close_kib"].get<uint64_t>();
  EXPECT_GT(store_kib, 0u);
  if (!kSanitized) {
    EXPECT_LT(after_kib - std::min(after_kib, store_kib),
              2 * report["baseline_rss_kib"].get<uint64_t>())
        << report.dump(2);
  }
}

// Issue #14's memory target: 256 sessions, of which 64 pipeline 16
// full-page reads and 16 subscriptions over 512 KiB events and never read
// their socket, keep evlogd under 512 MiB peak RSS (here, 2 cores: 421-460
// MiB; 488-508 MiB with the 256 MiB budget evlogd had before). That RSS
// returns near the baseline once sessions close is checked above. RSS is the
// point here, so it does not run under a sanitizer.
TEST(DaemonLoad, SixtyFourOf256SessionsThatNeverReadKeepEvlogdUnder512MiB) {
  if (kSanitized) GTEST_SKIP() << "a sanitizer's shadow memory makes RSS meaningless";
  TempDir dir;
  nlohmann::json report = RunToolReport(
      {LOADTEST_PATH, "--evlogd", EVLOGD_PATH, "--db", dir.Sub("store"), "--sessions", "192",
       "--slow-readers", "64", "--slow-pipeline", "16", "--preload-mib", "64", "--seconds", "10",
       "--settle-seconds", "3"});
  ASSERT_FALSE(report.is_discarded());
  EXPECT_TRUE(report["evlogd_alive"].get<bool>());
  EXPECT_EQ(report["evlogd_status"], 0);
  EXPECT_EQ(report["events_verified"], report["events_acked"]);
  EXPECT_GT(report["reads"].get<uint64_t>(), 0u);
  EXPECT_LT(report["peak_rss_kib"].get<uint64_t>(), 512u * 1024) << report.dump(2);
}

// The checker itself must catch what it exists to catch.
class LoadVerify : public StoreTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StoreTest::SetUp());
    // Op 1: 2 events to s; op 2: 1 event to t; op 3: 1 more to s.
    for (auto [op, stream, count] :
         {std::tuple<uint64_t, std::string, uint32_t>{1, "s", 2}, {2, "t", 1}, {3, "s", 1}}) {
      StreamAppend sa{.stream = stream};
      for (uint32_t k = 0; k < count; ++k) {
        sa.events.push_back(EventData{.type = "T", .id = loadtest::LoadEventId(op, k)});
      }
      auto r = store_->Append(AppendRequest{.streams = {sa}});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      acks_.push_back({stream, r->streams[0].first_version.value(), count,
                       r->streams[0].first_position.value(), op});
      result_.events_acked += count;
    }
  }

  std::vector<loadtest::AckedAppend> acks_;
  loadtest::LoadResult result_;
};

TEST_F(LoadVerify, AcceptsAStoreThatHoldsExactlyTheAcks) {
  loadtest::VerifyAcks(*store_, acks_, result_);
  EXPECT_TRUE(result_.problems.empty()) << result_.problems.front();
  EXPECT_EQ(result_.events_verified, 4u);
  EXPECT_EQ(result_.log_events, 4u);
}

TEST_F(LoadVerify, ReportsAnAcknowledgedEventThatIsMissing) {
  acks_.push_back({"t", 2, 1, 5, 4});
  result_.events_acked += 1;
  loadtest::VerifyAcks(*store_, acks_, result_);
  ASSERT_FALSE(result_.problems.empty());
  EXPECT_NE(result_.problems.front().find("LOST"), std::string::npos) << result_.problems.front();
}

TEST_F(LoadVerify, ReportsAnEventAtAnotherPositionOrWithAnotherId) {
  auto moved = acks_;
  moved[2].first_position = 3;  // s v3 is at position 4
  loadtest::VerifyAcks(*store_, moved, result_);
  EXPECT_FALSE(result_.problems.empty());

  loadtest::LoadResult other = {.events_acked = 4};
  auto renamed = acks_;
  renamed[1].op = 99;
  loadtest::VerifyAcks(*store_, renamed, other);
  EXPECT_FALSE(other.problems.empty());
}

TEST_F(LoadVerify, ReportsEventsInTheLogThatWereNeverAcknowledged) {
  acks_.pop_back();
  result_.events_acked -= 1;
  loadtest::VerifyAcks(*store_, acks_, result_);
  ASSERT_FALSE(result_.problems.empty());
  EXPECT_NE(result_.problems.front().find("the log holds 4 events, 3 were acknowledged"),
            std::string::npos)
      << result_.problems.front();
}

}  // namespace
}  // namespace evlog::testutil
