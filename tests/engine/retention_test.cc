// Retention that cannot surprise (issue #17): truncate_before only moves
// forward, rules can be unset without bringing events back, max_count is at
// least 1, no rule hides what a durable consumer has not processed unless
// forced, a trim that removes nothing says why, and reads give the same
// answer before and after compaction.

#include <gtest/gtest.h>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using Retention = testutil::StoreTest;
using testutil::Range;

std::vector<uint64_t> Versions(const std::vector<OwnedEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.version.value());
  return out;
}

TEST_F(Retention, TruncateBeforeMovingBackwardsIsRefused) {
  for (int i = 0; i < 6; ++i) AppendOne("a-1");
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.truncate_before = Version(4)}));
  Status back = store_->SetStreamMetadata("a-1", {.truncate_before = Version(2)});
  EXPECT_TRUE(back.IsInvalidArgument()) << back.ToString();
  EXPECT_NE(back.message().find("only moves forward"), std::string::npos) << back.message();
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(4, 6));
  // Metadata without a truncate_before keeps the current one.
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 10}));
  EXPECT_EQ(store_->GetStreamMetadata("a-1")->truncate_before, Version(4));
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(4, 6));
  ASSERT_OK(store_->Compact());
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(4, 6));
}

TEST_F(Retention, MaxCountZeroIsRefused) {
  for (int i = 0; i < 3; ++i) AppendOne("a-1");
  Status zero = store_->SetStreamMetadata("a-1", {.max_count = 0});
  EXPECT_TRUE(zero.IsInvalidArgument()) << zero.ToString();
  EXPECT_NE(zero.message().find("max_count must be at least 1"), std::string::npos);
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(1, 3));
  EXPECT_FALSE(store_->GetStreamMetadata("a-1")->max_count.has_value());
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 1}));
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(3, 3));
}

TEST_F(Retention, ClearingMaxCountKeepsWhatItHidHiddenWhereverCompactionRuns) {
  for (int compact = 0; compact < 2; ++compact) {
    const std::string s = "a-" + std::to_string(compact + 1);
    for (int i = 0; i < 5; ++i) AppendOne(s);
    ASSERT_OK(store_->SetStreamMetadata(s, {.max_count = 2}));
    if (compact == 1) ASSERT_OK(store_->Compact());
    ASSERT_OK(store_->SetStreamMetadata(s, {}));  // cleared
    EXPECT_EQ(Versions(ReadStream(s)), Range(4, 5)) << "compacted: " << compact;
    auto metadata = store_->GetStreamMetadata(s);
    EXPECT_FALSE(metadata->max_count.has_value());
    EXPECT_EQ(metadata->truncate_before, Version(4));
    AppendOne(s);  // no longer counted
    EXPECT_EQ(Versions(ReadStream(s)), Range(4, 6));
  }
}

// A rule set before the stream's first event reclaims as one set after it:
// compaction drops what the rule hides without a reopen first (the rule
// used to reach the compaction filter only when the store was opened again).
TEST_F(Retention, ARuleSetBeforeTheFirstEventReclaimsWithoutAReopen) {
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 2}));
  for (int i = 0; i < 5; ++i) AppendOne("a-1");
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(4, 5));
  ASSERT_OK(store_->Compact());
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  EXPECT_EQ(report->reclaimed, 3u);
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(4, 5));
}

TEST_F(Retention, RelaxingMaxAgeKeepsExpiredEventsHidden) {
  for (int i = 0; i < 3; ++i) AppendOne("a-1");
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_age_seconds = 0}));
  EXPECT_TRUE(ReadStream("a-1").empty());
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_age_seconds = 3600}));
  EXPECT_TRUE(ReadStream("a-1").empty());
  EXPECT_EQ(store_->GetStreamMetadata("a-1")->truncate_before, Version(4));
  AppendOne("a-1");
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(4, 4));
}

TEST_F(Retention, ARuleHidingUnprocessedEventsIsRefusedNamingTheSubscription) {
  for (int i = 0; i < 10; ++i) AppendOne("a-1");  // positions 1..10
  ASSERT_OK(store_->SetCheckpoint("billing", Position(4)));
  ASSERT_OK(store_->SetCheckpoint("audit", Position(8)));
  const std::vector<StreamMetadata> refused = {
      {.max_count = 3}, {.max_age_seconds = 0}, {.truncate_before = Version(6)}};
  for (const StreamMetadata& rule : refused) {
    Status s = store_->SetStreamMetadata("a-1", rule);
    EXPECT_TRUE(s.IsConditionFailed()) << s.ToString();
    EXPECT_NE(s.message().find("subscription 'billing'"), std::string::npos) << s.message();
    EXPECT_EQ(s.conflicting_position(), 5u);
  }
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(1, 10));
  EXPECT_FALSE(store_->GetStreamMetadata("a-1")->max_count.has_value());
  // Up to what every consumer has processed is fine.
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.truncate_before = Version(5)}));
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(5, 10));
  // Forced, the consumer skips them.
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 3}, {.force = true}));
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(8, 10));
}

TEST_F(Retention, TrimThatRemovesNothingSaysWhy) {
  for (int i = 0; i < 10; ++i) AppendOne("a-1");
  auto no_snapshot = store_->Trim("a-1", {.before = Version(5)});
  ASSERT_OK(no_snapshot.status());
  EXPECT_EQ(no_snapshot->removed, 0u);
  EXPECT_EQ(no_snapshot->limit, TrimLimit::kNoSnapshot);
  EXPECT_EQ(no_snapshot->first_kept, Version(1));

  ASSERT_OK(store_->SetCheckpoint("billing", Position(2)));
  auto held = store_->Trim("a-1", {.before = Version(5), .require_snapshot = false});
  ASSERT_OK(held.status());
  EXPECT_EQ(held->removed, 2u);
  EXPECT_EQ(held->first_kept, Version(3));
  EXPECT_EQ(held->limit, TrimLimit::kSubscription);
  EXPECT_EQ(held->held_by, "subscription 'billing'");
  auto again = store_->Trim("a-1", {.before = Version(5), .require_snapshot = false});
  ASSERT_OK(again.status());
  EXPECT_EQ(again->removed, 0u);
  EXPECT_EQ(again->limit, TrimLimit::kSubscription);
  EXPECT_EQ(again->held_by, "subscription 'billing'");

  ASSERT_OK(store_->SetCheckpoint("billing", Position(10)));
  auto done = store_->Trim("a-1", {.before = Version(5), .require_snapshot = false});
  ASSERT_OK(done.status());
  EXPECT_EQ(done->removed, 2u);
  EXPECT_EQ(done->limit, TrimLimit::kNone);
  EXPECT_TRUE(done->held_by.empty());
  auto nothing = store_->Trim("a-1", {.before = Version(4), .require_snapshot = false});
  ASSERT_OK(nothing.status());
  EXPECT_EQ(nothing->removed, 0u);
  EXPECT_EQ(nothing->limit, TrimLimit::kNothingToTrim);
  EXPECT_EQ(nothing->first_kept, Version(5));
  // TrimStream is Trim's first_kept.
  EXPECT_EQ(*store_->TrimStream("a-1", {.before = Version(4)}), Version(5));
  EXPECT_EQ(TrimLimitName(TrimLimit::kSubscription), "subscription");
}

TEST_F(Retention, ATrimNeverHidesVersionsBeyondTheStreamsEnd) {
  for (int i = 0; i < 3; ++i) AppendOne("a-1");
  auto trimmed = store_->Trim("a-1", {.before = Version(100), .require_snapshot = false});
  ASSERT_OK(trimmed.status());
  EXPECT_EQ(trimmed->first_kept, Version(4));
  EXPECT_EQ(trimmed->removed, 3u);
  AppendOne("a-1");
  EXPECT_EQ(Versions(ReadStream("a-1")), Range(4, 4));
}

TEST_F(Retention, MetadataOfAHardDeletedStreamCannotBringItBack) {
  AppendOne("a-1");
  ASSERT_OK(store_->DeleteStream("a-1", /*hard=*/true));
  EXPECT_TRUE(store_->SetStreamMetadata("a-1", {.max_count = 5}).IsStreamDeleted());
  EXPECT_TRUE(store_->ReadStream("a-1").status().IsNotFound());
}

// Every rule, changed the ways that used to bring events back until
// compaction removed them: reads are the same before and after
// Store::Compact, and after a reopen.
TEST_F(Retention, ReadsAreTheSameBeforeAndAfterCompactionForEveryRule) {
  const std::vector<std::string> streams = {"count-1", "cleared-1", "age-1",  "truncated-1",
                                            "trim-1",  "forced-1",  "plain-1"};
  for (int i = 0; i < 6; ++i) {
    for (const std::string& s : streams) AppendOne(s);
  }
  ASSERT_OK(store_->SetStreamMetadata("count-1", {.max_count = 2}));
  ASSERT_OK(store_->SetStreamMetadata("cleared-1", {.max_count = 2}));
  ASSERT_OK(store_->SetStreamMetadata("cleared-1", {.max_count = 5}));
  ASSERT_OK(store_->SetStreamMetadata("cleared-1", {}));
  ASSERT_OK(store_->SetStreamMetadata("age-1", {.max_age_seconds = 0}));
  ASSERT_OK(store_->SetStreamMetadata("age-1", {}));
  ASSERT_OK(store_->SetStreamMetadata("truncated-1", {.truncate_before = Version(4)}));
  EXPECT_FALSE(store_->SetStreamMetadata("truncated-1", {.truncate_before = Version(2)}).ok());
  ASSERT_OK(store_->Trim("trim-1", {.before = Version(3), .require_snapshot = false}).status());
  ASSERT_OK(store_->SetStreamMetadata("trim-1", {.max_count = 6}));
  ASSERT_OK(store_->SetCheckpoint("slow", Position(1)));
  ASSERT_OK(store_->SetStreamMetadata("forced-1", {.max_count = 1}, {.force = true}));
  ASSERT_OK(store_->SetStreamMetadata("forced-1", {}));
  for (int i = 0; i < 2; ++i) {
    for (const std::string& s : streams) AppendOne(s);
  }

  auto snapshot = [&] {
    std::vector<std::vector<uint64_t>> out;
    for (const std::string& s : streams) {
      auto r = store_->ReadStream(s);
      out.push_back(r.ok() ? Versions(testutil::Collect(**r)) : std::vector<uint64_t>{});
    }
    std::vector<uint64_t> all;
    for (const OwnedEvent& e : ReadAll()) all.push_back(e.position.value());
    out.push_back(all);
    return out;
  };
  const auto before = snapshot();
  EXPECT_EQ(before[0], Range(7, 8));  // count-1
  EXPECT_EQ(before[1], Range(5, 8));  // cleared-1: max 2 hid 1..4
  EXPECT_EQ(before[2], Range(7, 8));  // age-1: all six had expired
  EXPECT_EQ(before[3], Range(4, 8));  // truncated-1
  EXPECT_EQ(before[4], Range(3, 8));  // trim-1
  EXPECT_EQ(before[5], Range(6, 8));  // forced-1
  EXPECT_EQ(before[6], Range(1, 8));  // plain-1
  ASSERT_OK(store_->Compact());
  EXPECT_EQ(snapshot(), before);
  Reopen();
  EXPECT_EQ(snapshot(), before);
  ASSERT_OK(store_->Compact());
  EXPECT_EQ(snapshot(), before);
}

}  // namespace
}  // namespace evlog
