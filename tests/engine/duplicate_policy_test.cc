// DuplicatePolicy::kSkip: events whose ids were committed are left out and
// the rest is appended atomically; the result names the events left out.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using SkipDuplicates = testutil::StoreTest;

AppendRequest Skipping(std::string stream, std::vector<EventData> events) {
  AppendRequest request;
  request.streams.push_back({std::move(stream), ExpectedVersion::Any(), std::move(events)});
  request.duplicates = DuplicatePolicy::kSkip;
  return request;
}

TEST_F(SkipDuplicates, AppendsOnlyTheEventsNotYetCommitted) {
  Uuid a = Uuid::Random(), b = Uuid::Random(), c = Uuid::Random();
  ASSERT_OK(store_->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a), Ev("X", "2", b)})
                .status());
  // The source re-read with another batch boundary: a and b again, then c.
  auto r = store_->Append(Skipping("cdc-1", {Ev("X", "1", a), Ev("X", "2", b), Ev("X", "3", c)}));
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->deduplicated);
  const StreamAppendResult& s = r->streams[0];
  EXPECT_EQ(s.first_version, Version(3));
  EXPECT_EQ(s.last_version, Version(3));
  EXPECT_EQ(s.first_position, Position(3));
  EXPECT_EQ(s.last_position, Position(3));
  EXPECT_EQ(s.skipped, (std::vector<Uuid>{a, b}));
  std::vector<OwnedEvent> events = ReadStream("cdc-1");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].view().id, c);
  EXPECT_EQ(events[2].view().data, "3");
}

// The committed events need not lead: new ones before and between them
// are appended in their order, and only the committed ones are skipped.
TEST_F(SkipDuplicates, CommittedEventsAfterNewOnesAreSkippedWhereTheyStand) {
  Uuid a = Uuid::Random(), b = Uuid::Random(), c = Uuid::Random(), d = Uuid::Random();
  ASSERT_OK(store_->Append("cdc-2", ExpectedVersion::Any(), {Ev("X", "2", b)}).status());
  auto r = store_->Append(Skipping(
      "cdc-2", {Ev("X", "1", a), Ev("X", "2", b), Ev("X", "3", c), Ev("X", "4", d)}));
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->deduplicated);
  EXPECT_EQ(r->streams[0].skipped, (std::vector<Uuid>{b}));
  EXPECT_EQ(r->streams[0].first_version, Version(2));
  EXPECT_EQ(r->streams[0].last_version, Version(4));
  std::vector<OwnedEvent> events = ReadStream("cdc-2");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].view().id, a);
  EXPECT_EQ(events[2].view().id, c);
  EXPECT_EQ(events[3].view().id, d);
}

TEST_F(SkipDuplicates, TheSameOverlapWithTheDefaultPolicyIsAConflict) {
  Uuid a = Uuid::Random(), c = Uuid::Random();
  ASSERT_OK(store_->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  auto r = store_->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a), Ev("X", "3", c)});
  EXPECT_TRUE(r.status().IsIdempotencyConflict()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("skip"), std::string_view::npos) << r.status().ToString();
}

TEST_F(SkipDuplicates, AnExactRetryStillReturnsTheOriginalResult) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a), Ev("X", "2", b)})
                .status());
  auto r = store_->Append(Skipping("cdc-1", {Ev("X", "1", a), Ev("X", "2", b)}));
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->deduplicated);
  EXPECT_EQ(r->streams[0].first_version, Version(1));
  EXPECT_EQ(r->streams[0].last_version, Version(2));
  EXPECT_TRUE(r->streams[0].skipped.empty());
  EXPECT_EQ(store_->LastPosition(), Position(2));
}

TEST_F(SkipDuplicates, EventsCommittedAsOneRunCountAsARetry) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  AppendOne("other-1");
  ASSERT_OK(store_->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "2", b)}).status());
  // Versions 1 and 2 of cdc-1, in order: the same answer as the error policy's.
  auto r = store_->Append(Skipping("cdc-1", {Ev("X", "1", a), Ev("X", "2", b)}));
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->deduplicated);
  EXPECT_EQ(r->streams[0].first_version, Version(1));
  EXPECT_EQ(r->streams[0].last_version, Version(2));
  EXPECT_EQ(store_->LastPosition(), Position(3));
}

TEST_F(SkipDuplicates, EventsCommittedElsewhereAreAllSkippedAndNothingIsWritten) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  ASSERT_OK(store_->Append("cdc-2", ExpectedVersion::Any(), {Ev("X", "2", b)}).status());
  // a and b are committed, but not as one append to cdc-1: not a retry,
  // and nothing new.
  auto r = store_->Append(Skipping("cdc-1", {Ev("X", "1", a), Ev("X", "2", b)}));
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->deduplicated);
  const StreamAppendResult& s = r->streams[0];
  EXPECT_EQ(s.skipped, (std::vector<Uuid>{a, b}));
  EXPECT_EQ(s.last_version, Version(1));
  EXPECT_EQ(s.first_version, Version(2));
  EXPECT_EQ(s.first_position, Position(3));
  EXPECT_EQ(s.last_position, Position(2));
  EXPECT_EQ(store_->LastPosition(), Position(2));
}

TEST_F(SkipDuplicates, AStreamWhoseEventsAreAllSkippedIsNotCreated) {
  Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_OK(store_->Append("order-1", ExpectedVersion::Any(), {Ev("Placed", "1", a)}).status());
  AppendRequest request;
  // a was committed to order-1; under skip it is left out wherever it is asked for.
  request.streams.push_back({"ghost-1", ExpectedVersion::Any(), {Ev("Placed", "1", a)}});
  request.streams.push_back({"stock-1", ExpectedVersion::NoStream(), {Ev("Reserved", "1", b)}});
  request.duplicates = DuplicatePolicy::kSkip;
  auto r = store_->Append(std::move(request));
  ASSERT_OK(r.status());
  EXPECT_EQ(r->streams[0].skipped, (std::vector<Uuid>{a}));
  EXPECT_EQ(r->streams[0].last_version, Version(0));
  EXPECT_EQ(r->streams[1].first_position, Position(2));
  EXPECT_EQ(*store_->StreamVersion("ghost-1"), Version(0));
  EXPECT_EQ(*store_->StreamVersion("stock-1"), Version(1));
}

TEST_F(SkipDuplicates, ExpectedVersionsAreCheckedAgainstTheStreamAsItIs) {
  Uuid a = Uuid::Random(), c = Uuid::Random();
  ASSERT_OK(store_->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  AppendRequest request = Skipping("cdc-1", {Ev("X", "1", a), Ev("X", "2", c)});
  request.streams[0].expected = ExpectedVersion::NoStream();
  auto r = store_->Append(std::move(request));
  EXPECT_TRUE(r.status().IsWrongExpectedVersion()) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(1));
}

TEST_F(SkipDuplicates, SkippedIdsSurviveAReopen) {
  Uuid a = Uuid::Random(), c = Uuid::Random();
  ASSERT_OK(store_->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).status());
  Reopen();
  auto r = store_->Append(Skipping("cdc-1", {Ev("X", "1", a), Ev("X", "2", c)}));
  ASSERT_OK(r.status());
  EXPECT_EQ(r->streams[0].skipped, (std::vector<Uuid>{a}));
  EXPECT_EQ(ReadStream("cdc-1").size(), 2u);
}

}  // namespace
}  // namespace evlog
