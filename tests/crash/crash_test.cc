// Crash torture (issue #7): a process appending with kSync from several
// threads, and running a view and a durable subscription, is killed with
// SIGKILL at random moments; after each kill the store must hold every
// acknowledged event where it was acknowledged, the view must have applied
// every event exactly once, and the subscription must resume after its
// checkpoint with nothing skipped. The long form is
// `build/tools/torture --kills 1000`; CI runs 50 short kills.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "evlog/view.h"
#include "testutil/child_process.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"
#include "testutil/tool_report.h"
#include "torture/torture.h"

namespace evlog::torture {
namespace {

using testutil::TempDir;

TEST(CrashTorture, FiftyKillsLoseNoAcknowledgedAppendNorDoubleApplyNorSkipAnEvent) {
  TempDir dir;
  // Children live 10..600 ms: under AddressSanitizer a child needs about
  // 150-300 ms to open the store and start its view and subscription, and
  // with 150 ms at most none of the 50 got to acknowledge an append.
  nlohmann::json report =
      testutil::RunToolReport({EVLOG_TORTURE_PATH, "--db", dir.Sub("store"), "--kills", "50",
                               "--min-ms", "10", "--max-ms", "600", "--seed", "2026"});
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["kills"], 50);
  EXPECT_GT(report["acknowledged_appends"].get<uint64_t>(), 50u);
  EXPECT_GE(report["events_verified"].get<uint64_t>(),
            report["acknowledged_appends"].get<uint64_t>());
  EXPECT_GT(report["retries_checked"].get<uint64_t>(), 0u);
  // The view and the subscription ran in the children and got somewhere.
  EXPECT_GT(report["view_position"].get<uint64_t>(), 0u);
  EXPECT_GT(report["subscription_handled"].get<uint64_t>(), 0u);
  EXPECT_GT(report["subscription_checkpoint"].get<uint64_t>(), 0u);
}

// The checker itself must catch what it exists to catch.
class TortureVerify : public testutil::StoreTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StoreTest::SetUp());
    // Two acknowledged appends: 3 events to a, then 1 to a and 2 to b.
    for (const Ack& shape :
         {Ack{.op = 1, .streams = {{"a", Version(1), Version(3)}}},
          Ack{.op = 2,
          .streams = {{"a", Version(4), Version(4)}, {"b", Version(1), Version(2)}}}}) {
      auto r = store_->Append(RebuildAppend(shape));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      acks_[shape.op] = AckOf(shape.op, *r);
    }
  }

  std::map<uint64_t, Ack> acks_;
};

TEST_F(TortureVerify, AcceptsAStoreThatHoldsEveryAck) {
  Verification v = Verify(*store_, acks_, 10);
  EXPECT_TRUE(v.problems.empty()) << v.problems.front();
  EXPECT_EQ(v.events, 6u);
  EXPECT_EQ(v.acked_events, 6u);
  EXPECT_EQ(v.retries_checked, 2u);
  EXPECT_EQ(store_->LastPosition().value(), 6u);  // the retries wrote nothing
}

TEST_F(TortureVerify, ReportsAnAcknowledgedEventThatIsMissing) {
  acks_[3] = Ack{.op = 3, .streams = {{"b", Version(3), Version(3), Position(7), Position(7)}}};
  Verification v = Verify(*store_, acks_, 0);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_NE(v.problems.front().find("LOST"), std::string::npos) << v.problems.front();
}

TEST_F(TortureVerify, ReportsAnEventAtTheWrongPositionOrWithAnotherId) {
  auto moved = acks_;
  moved[1].streams[0].first_position = Position(2);
  moved[1].streams[0].last_position = Position(4);
  EXPECT_FALSE(Verify(*store_, moved, 0).problems.empty());

  auto other_ids = acks_;
  Ack renamed = other_ids[2];
  renamed.op = 99;  // same places, ids of another append
  other_ids.erase(2);
  other_ids[99] = renamed;
  EXPECT_FALSE(Verify(*store_, other_ids, 0).problems.empty());
}

TEST_F(TortureVerify, AcceptsAViewThatAppliedEachEventOnce) {
  auto view = store_->OpenView(
      {.name = kViewName}, [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
        for (const OwnedEvent& e : events) {
          for (const std::string& key : {"count/" + e.stream, std::string("total")}) {
            auto n = out.Get(key);
            if (!n.ok()) return n.status();
            out.Put(key, std::to_string((n->has_value() ? std::stoull(**n) : 0) + 1));
          }
        }
        return Status::OK();
      });
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_TRUE((*view)->WaitFor(Position(6), std::chrono::seconds(30)).ok());
  view->reset();
  Verification v;
  EXPECT_EQ(VerifyViewAtRest(*store_, v), Position(6));
  VerifyViewCaughtUp(*store_, v);
  EXPECT_TRUE(v.problems.empty()) << v.problems.front();
}

TEST_F(TortureVerify, ReportsAViewThatAppliedAnEventTwice) {
  // Stream b's second event counted twice, as a replayed batch would.
  auto view = store_->OpenView(
      {.name = kViewName}, [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
        for (const OwnedEvent& e : events) {
          const uint64_t times = e.stream == "b" && e.version == Version(2) ? 2 : 1;
          for (const std::string& key : {"count/" + e.stream, std::string("total")}) {
            auto n = out.Get(key);
            if (!n.ok()) return n.status();
            out.Put(key, std::to_string((n->has_value() ? std::stoull(**n) : 0) + times));
          }
        }
        return Status::OK();
      });
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_TRUE((*view)->WaitFor(Position(6), std::chrono::seconds(30)).ok());
  view->reset();
  Verification v;
  VerifyViewAtRest(*store_, v);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_NE(v.problems.front().find("applied twice"), std::string::npos) << v.problems.front();
}

TEST(TortureSubscription, AcceptsAResumeAfterTheCheckpointWithTheLastBatchAgain) {
  // Checkpoint 4 before; handled 5..9; killed before checkpointing 8 and 9.
  EXPECT_TRUE(CheckSubscriptionRun({.handled = {5, 6, 7, 8, 9},
                                    .checkpoint_before = 4,
                                    .checkpoint_after = 7,
                                    .last_position = 12})
                  .empty());
  // Killed before it handled anything.
  EXPECT_TRUE(
      CheckSubscriptionRun(
          {.handled = {}, .checkpoint_before = 4, .checkpoint_after = 4, .last_position = 12})
          .empty());
}

TEST(TortureSubscription, ReportsASkippedPosition) {
  auto problems = CheckSubscriptionRun(
      {.handled = {5, 6, 8}, .checkpoint_before = 4, .checkpoint_after = 8, .last_position = 12});
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems.front().find("skipped"), std::string::npos) << problems.front();
}

TEST(TortureSubscription, ReportsAResumeThatDidNotStartAfterTheCheckpoint) {
  EXPECT_FALSE(
      CheckSubscriptionRun(
          {.handled = {7, 8}, .checkpoint_before = 4, .checkpoint_after = 8, .last_position = 12})
          .empty());
  EXPECT_FALSE(CheckSubscriptionRun({.handled = {3, 4, 5},
                                     .checkpoint_before = 4,
                                     .checkpoint_after = 5,
                                     .last_position = 12})
                   .empty());
}

TEST(TortureSubscription, ReportsACheckpointBeyondWhatWasHandled) {
  auto problems = CheckSubscriptionRun(
      {.handled = {5, 6}, .checkpoint_before = 4, .checkpoint_after = 9, .last_position = 12});
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems.front().find("beyond the last handled"), std::string::npos)
      << problems.front();
  EXPECT_FALSE(
      CheckSubscriptionRun(
          {.handled = {}, .checkpoint_before = 4, .checkpoint_after = 3, .last_position = 12})
          .empty());
}

TEST(TortureSubscription, SideFileKeepsCompleteLinesOnly) {
  TempDir dir;
  const std::string path = dir.Sub("handled");
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("5\n6\n7\n8", f);  // killed in the middle of "81"
  std::fclose(f);
  EXPECT_EQ(ReadHandled(path), (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_TRUE(ReadHandled(dir.Sub("missing")).empty());
}

TEST(TortureAck, LinesRoundTrip) {
  Ack ack{.op = (uint64_t{3} << 40) | 17,
          .streams = {{"torture-1x2", Version(5), Version(9), Position(40), Position(44)},
                      {"torture-1x3", Version(1), Version(1), Position(45), Position(45)}}};
  std::string line = FormatAck(ack);
  ASSERT_EQ(line.back(), '\n');
  Ack parsed;
  ASSERT_TRUE(ParseAck(line.substr(0, line.size() - 1), &parsed));
  EXPECT_EQ(FormatAck(parsed), line);
}

TEST(TortureAck, RejectsMalformedLines) {
  Ack ack;
  EXPECT_FALSE(ParseAck("", &ack));
  EXPECT_FALSE(ParseAck("ack 5", &ack));              // no stream
  EXPECT_FALSE(ParseAck("ack 5 s 1 2 10", &ack));     // truncated
  EXPECT_FALSE(ParseAck("ack 5 s 3 2 10 9", &ack));   // versions backwards
  EXPECT_FALSE(ParseAck("ack 5 s 1 2 10 12", &ack));  // counts disagree
  EXPECT_FALSE(ParseAck("nak 5 s 1 1 10 10", &ack));
  EXPECT_TRUE(ParseAck("ack 5 s 1 2 10 11", &ack));
}

TEST(TortureAck, EventIdsAreDistinctAndNeverNil) {
  EXPECT_NE(EventId(1, 0), EventId(1, 1));
  EXPECT_NE(EventId(1, 0), EventId(2, 0));
  EXPECT_FALSE(EventId(0, 0).is_nil());
}

}  // namespace
}  // namespace evlog::torture
