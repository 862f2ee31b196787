// Store::Verify: clean stores verify clean, however they were trimmed and
// compacted; damage is reported, never crashed on.

#include <gtest/gtest.h>

#include "testutil/store_fixture.h"

namespace evlog::testutil {
namespace {

using Verify = StoreTest;

TEST_F(Verify, EmptyStoreIsClean) {
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->events, 0u);
  EXPECT_EQ(report->streams, 0u);
}

TEST_F(Verify, CountsEventsStreamsAndIndexEntriesOfAWrittenStore) {
  for (int i = 0; i < 30; ++i) AppendOne("order-" + std::to_string(i % 3), i % 2 ? "A" : "B");
  AppendRequest multi;
  multi.streams.push_back({.stream = "order-0", .events = {Ev("A", "x", Uuid::Random())}});
  multi.streams.push_back({.stream = "cart-9", .events = {Ev("C", "y", Uuid::Random())}});
  ASSERT_OK(store_->Append(std::move(multi)).status());
  testutil::ExpectVerifiesClean(*store_);
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->events, 32u);
  EXPECT_EQ(report->streams, 4u);
  EXPECT_EQ(report->last_position, Position(32));
  EXPECT_EQ(report->index_entries, 32u * 2 + 2);  // category + type each, 2 dedup
  EXPECT_EQ(report->reclaimed, 0u);
}

TEST_F(Verify, StoreIsCleanAfterTrimsDeletesAndCountRulesAreCompacted) {
  for (int i = 0; i < 20; ++i) {
    AppendOne("trimmed-1");
    AppendOne("hard-1");
    AppendOne("counted-1");
    AppendOne("kept-1");
  }
  ASSERT_OK(
      store_->TrimStream("trimmed-1", {.before = Version(12), .require_snapshot = false}).status());
  ASSERT_OK(store_->DeleteStream("hard-1", /*hard=*/true));
  ASSERT_OK(store_->SetStreamMetadata("counted-1", {.max_count = 5}));
  testutil::ExpectVerifiesClean(*store_);  // hidden, not yet reclaimed
  ASSERT_OK(store_->Compact());
  testutil::ExpectVerifiesClean(*store_);
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->reclaimed, 11u + 20 + 15);
  Reopen();
  testutil::ExpectVerifiesClean(*store_);
}

TEST_F(Verify, StoreIsCleanAfterASoftDeleteBeforeCompaction) {
  for (int i = 0; i < 5; ++i) AppendOne("gone-1");
  AppendOne("kept-1");
  ASSERT_OK(store_->DeleteStream("gone-1"));
  testutil::ExpectVerifiesClean(*store_);
}

// Regression, found by Verify: a stream's head was the last version left in
// its `stream` range only. Once compaction had dropped every event of a
// soft-deleted stream, a reopened store put it back at version 0: the next
// append was acknowledged at version 1, below the truncation point, and
// could never be read.
TEST_F(Verify, SoftDeletedStreamKeepsItsVersionsOnceCompacted) {
  for (int i = 0; i < 5; ++i) AppendOne("gone-1");
  ASSERT_OK(store_->DeleteStream("gone-1"));
  ASSERT_OK(store_->Compact());
  Reopen();
  testutil::ExpectVerifiesClean(*store_);
  auto r = store_->Append("gone-1", ExpectedVersion::Any(), {Ev("T")}, Durability::kSync);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->streams[0].first_version, Version(6));
  EXPECT_EQ(ReadStream("gone-1").size(), 1u);
  testutil::ExpectVerifiesClean(*store_);
}

TEST_F(Verify, WhollyTrimmedStreamKeepsItsVersionsOnceCompacted) {
  for (int i = 0; i < 5; ++i) AppendOne("old-1");
  auto trimmed = store_->TrimStream("old-1", {.require_snapshot = false});
  ASSERT_TRUE(trimmed.ok()) << trimmed.status().ToString();
  ASSERT_EQ(*trimmed, Version(6));
  ASSERT_OK(store_->Compact());
  Reopen();
  testutil::ExpectVerifiesClean(*store_);
  EXPECT_EQ(AppendOne("old-1").first_version, Version(6));
  EXPECT_EQ(ReadStream("old-1").size(), 1u);
  testutil::ExpectVerifiesClean(*store_);
}

}  // namespace
}  // namespace evlog::testutil
