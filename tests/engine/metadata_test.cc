// Stream metadata, deletes and trims: reads honour them at once, in stream
// and global reads; hard deletes forbid reuse; trims respect snapshots and
// durable consumers.

#include <gtest/gtest.h>

#include <chrono>

#include "stream_metadata.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using std::chrono::seconds;
using testutil::Ev;
using Metadata = testutil::StoreTest;

std::vector<uint64_t> Versions(const std::vector<OwnedEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.version.value());
  return out;
}

std::vector<OwnedEvent> OfStream(const std::vector<OwnedEvent>& events, const std::string& s) {
  std::vector<OwnedEvent> out;
  for (const auto& e : events) {
    if (e.stream == s) out.push_back(e);
  }
  return out;
}

// Positions of everything `options` reads; fails the test on an error.
std::vector<uint64_t> PositionsRead(Store& store, ReadAllOptions options = {}) {
  auto it = store.ReadAll(options).value();
  std::vector<uint64_t> out;
  for (; it->Valid(); it->Next()) out.push_back(it->event().position.value());
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return out;
}

// Positions a change feed from the oldest event delivers.
std::vector<uint64_t> PositionsFed(Store& store) {
  auto feed = store.OpenFeed({.start = FeedStart::Oldest()});
  EXPECT_TRUE(feed.ok()) << feed.status().ToString();
  std::vector<uint64_t> out;
  if (!feed.ok()) return out;
  FeedBatch batch;
  do {
    Status s = (*feed)->Next(std::chrono::milliseconds(0), &batch);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) break;
    for (const auto& e : batch.events) out.push_back(e.position.value());
  } while (!batch.events.empty());
  return out;
}

// Issue #14: reads report a position missing from the log as corruption
// unless a trim, delete or rule explains it. Events compaction reclaimed
// for each kind of rule, before and after the trim horizon and at the end
// of the log, are explained: reads return the same before and after.
TEST_F(Metadata, ReclaimedPositionsAreNotHolesOnceCompacted) {
  for (int round = 0; round < 20; ++round) {
    if (round < 5) {
      AppendOne("trimmed-1", "Early");
      AppendOne("hard-1", "Early");
      AppendOne("soft-1", "Early");
    }
    AppendOne("kept-1", "Kept");
    AppendOne("counted-1", "Moving");
    AppendOne("cut-1", "Moving");
    AppendOne("kept-2", "Kept");
    AppendOne("aged-1", "Moving");  // the log ends with one of these
  }
  ASSERT_OK(
      store_->TrimStream("trimmed-1", {.before = Version(3), .require_snapshot = false}).status());
  ASSERT_OK(store_->DeleteStream("hard-1", /*hard=*/true));
  ASSERT_OK(store_->DeleteStream("soft-1"));
  // Rules that reclaim above the trim horizon.
  ASSERT_OK(store_->SetStreamMetadata("counted-1", {.max_count = 5}));
  ASSERT_OK(store_->SetStreamMetadata("cut-1", {.truncate_before = Version(8)}));
  ASSERT_OK(store_->SetStreamMetadata("aged-1", {.max_age_seconds = 0}));

  const std::vector<ReadAllOptions> reads = {{},
                                             {.category = "kept"},
                                             {.category = "counted"},
                                             {.category = "aged"},
                                             {.event_type = "Moving"},
                                             {.event_type = "Early"},
                                             {.from = Position(50)}};
  std::vector<std::vector<uint64_t>> before;
  for (const ReadAllOptions& read : reads) before.push_back(PositionsRead(*store_, read));
  const std::vector<uint64_t> fed = PositionsFed(*store_);
  ASSERT_EQ(fed, before[0]);

  ASSERT_OK(store_->Compact());
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  // Compaction did drop them: versions 1-2, 1-5, 1-5, 1-15, 1-7 and 1-20.
  ASSERT_EQ(report->reclaimed, 2u + 5 + 5 + 15 + 7 + 20);
  for (int reopened = 0; reopened < 2; ++reopened) {
    for (size_t i = 0; i < reads.size(); ++i) {
      EXPECT_EQ(PositionsRead(*store_, reads[i]), before[i]) << "read " << i;
    }
    EXPECT_EQ(PositionsFed(*store_), fed);
    Reopen();
  }
}

TEST_F(Metadata, MaxCountShowsOnlyTheNewestEvents) {
  for (int i = 0; i < 5; ++i) AppendOne("a-1");
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 2}));
  EXPECT_EQ(Versions(ReadStream("a-1")), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(Versions(ReadStream("a-1", {.direction = Direction::kBackward})),
            (std::vector<uint64_t>{5, 4}));
  EXPECT_EQ(Versions(OfStream(ReadAll(), "a-1")), (std::vector<uint64_t>{4, 5}));
  AppendOne("a-1");
  EXPECT_EQ(Versions(ReadStream("a-1")), (std::vector<uint64_t>{5, 6}));
}

TEST_F(Metadata, MaxAgeHidesOlderEvents) {
  AppendOne("a-1");
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_age_seconds = 3600}));
  EXPECT_EQ(ReadStream("a-1").size(), 1u);
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_age_seconds = 0}));
  EXPECT_TRUE(ReadStream("a-1").empty());
  EXPECT_TRUE(OfStream(ReadAll({.category = "a"}), "a-1").empty());
}

TEST_F(Metadata, TruncateBeforeHidesEarlierVersionsEverywhere) {
  for (int i = 0; i < 4; ++i) AppendOne("a-1", "T");
  AppendOne("b-1", "T");
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.truncate_before = Version(3)}));
  EXPECT_EQ(Versions(ReadStream("a-1")), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(Versions(OfStream(ReadAll(), "a-1")), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(Versions(OfStream(ReadAll({.event_type = "T"}), "a-1")), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(OfStream(ReadAll(), "b-1").size(), 1u);
  auto metadata = store_->GetStreamMetadata("a-1");
  ASSERT_OK(metadata.status());
  EXPECT_EQ(metadata->truncate_before, Version(3));
}

TEST_F(Metadata, ChangesAreEventsInTheMetaStream) {
  AppendOne("a-1");
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 7}));
  std::vector<OwnedEvent> meta = ReadStream("$meta-a-1");
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0].type, "$metadata");
  EXPECT_EQ(meta[0].data, R"({"max_count":7})");
  auto feed = store_->OpenFeed({.start = FeedStart::After(Position(1))});
  FeedBatch batch;
  ASSERT_OK((*feed)->Next(std::chrono::milliseconds(0), &batch));
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].stream, "$meta-a-1");
}

TEST_F(Metadata, SoftDeleteReadsNotFoundAndVersionsContinue) {
  AppendOne("a-1");
  AppendOne("a-1");
  ASSERT_OK(store_->DeleteStream("a-1"));
  EXPECT_TRUE(store_->ReadStream("a-1").status().IsNotFound());
  EXPECT_TRUE(OfStream(ReadAll(), "a-1").empty());
  StreamAppendResult again = AppendOne("a-1", "T", ExpectedVersion::Exact(Version(2)));
  EXPECT_EQ(again.first_version, Version(3));
  EXPECT_EQ(Versions(ReadStream("a-1")), (std::vector<uint64_t>{3}));
  EXPECT_TRUE(store_->DeleteStream("never-1").IsNotFound());
}

// The CLI's metadata walk through one long-lived store (the daemon): max
// count, snapshot, trim, soft delete, append. Compaction may run at any
// point between the steps; the appended event must stay readable.
TEST_F(Metadata, SoftDeletedStreamAppendedAfterTrimReadsWhereverCompactionRuns) {
  for (int compact_at = 0; compact_at <= 6; ++compact_at) {
    SCOPED_TRACE("compaction after step " + std::to_string(compact_at));
    const std::string s = "a-" + std::to_string(compact_at + 1);
    auto step = [&](int n) {
      if (n == compact_at) ASSERT_OK(store_->Compact());
    };
    for (int i = 0; i < 5; ++i) AppendOne(s);
    step(0);
    ASSERT_OK(store_->SetStreamMetadata(s, {.max_count = 3}));
    EXPECT_EQ(ReadStream(s).size(), 3u);
    step(1);
    ASSERT_OK(store_->SaveSnapshot(s, Version(4), "{}"));
    step(2);
    auto trimmed = store_->TrimStream(s, {.before = Version(5)});
    ASSERT_OK(trimmed.status());
    EXPECT_EQ(ReadStream(s).size(), 1u);
    step(3);
    ASSERT_OK(store_->DeleteStream(s));
    EXPECT_TRUE(store_->ReadStream(s).status().IsNotFound());
    step(4);
    StreamAppendResult again = AppendOne(s);
    EXPECT_EQ(again.first_version, Version(6));
    step(5);
    EXPECT_EQ(Versions(ReadStream(s)), (std::vector<uint64_t>{6}));
    step(6);
    EXPECT_EQ(Versions(ReadStream(s)), (std::vector<uint64_t>{6}));
  }
}

TEST_F(Metadata, HardDeleteForbidsReuseEvenAfterReopen) {
  AppendOne("a-1");
  ASSERT_OK(store_->DeleteStream("a-1", /*hard=*/true));
  EXPECT_TRUE(store_->ReadStream("a-1").status().IsNotFound());
  auto r = store_->Append("a-1", ExpectedVersion::Any(), {Ev("T")});
  EXPECT_TRUE(r.status().IsStreamDeleted()) << r.status().ToString();
  Reopen();
  EXPECT_TRUE(store_->Append("a-1", ExpectedVersion::Any(), {Ev("T")}).status().IsStreamDeleted());
  EXPECT_TRUE(store_->ReadStream("a-1").status().IsNotFound());
  EXPECT_TRUE(store_->SetStreamMetadata("a-1", {.hard_deleted = true}).IsInvalidArgument());
}

TEST_F(Metadata, TrimNeedsASnapshot) {
  for (int i = 0; i < 10; ++i) AppendOne("a-1");
  auto none = store_->TrimStream("a-1", {.before = Version(8)});
  ASSERT_OK(none.status());
  EXPECT_EQ(*none, Version(1));
  ASSERT_OK(store_->SaveSnapshot("a-1", Version(5), "state@5"));
  auto trimmed = store_->TrimStream("a-1", {.before = Version(8)});
  ASSERT_OK(trimmed.status());
  EXPECT_EQ(*trimmed, Version(6));
  EXPECT_EQ(ReadStream("a-1").front().version, Version(6));
  auto unforced = store_->TrimStream("a-1", {.before = Version(8), .require_snapshot = false});
  EXPECT_EQ(*unforced, Version(8));
}

TEST_F(Metadata, TrimNeverPassesADurableSubscriptionsCheckpoint) {
  for (int i = 0; i < 10; ++i) AppendOne("a-1");
  {
    // A consumer that stops at position 5: its checkpoint stays at 4.
    auto sub = store_->Subscribe(
        {.name = "behind",
         .feed = {.max_batch_events = 1},
         .max_attempts = 1,
         .on_failure = FailurePolicy::kStop},
        [](const std::vector<OwnedEvent>& events) {
          return events[0].position.value() <= 4 ? Status::OK() : Status::IOError("stop here");
        });
    ASSERT_OK(sub.status());
    Status s = (*sub)->WaitFor(Position(10), seconds(30));
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_EQ((*sub)->checkpoint(), Position(4));
  }
  auto trimmed = store_->TrimStream("a-1", {.require_snapshot = false});
  ASSERT_OK(trimmed.status());
  EXPECT_EQ(*trimmed, Version(5));  // positions 1..4 are processed by everyone
}

// A consumer reading the feed itself keeps its checkpoint in the store:
// it is listed with its lag and holds trims back like a subscription.
TEST_F(Metadata, AnExternalConsumersCheckpointIsListedAndHoldsTrimsBack) {
  for (int i = 0; i < 10; ++i) AppendOne("a-1");
  auto none = store_->GetCheckpoint("kafka-shop");
  ASSERT_OK(none.status());
  EXPECT_EQ(*none, Position());
  ASSERT_OK(store_->SetCheckpoint("kafka-shop", Position(6)));
  EXPECT_EQ(*store_->GetCheckpoint("kafka-shop"), Position(6));
  auto listed = store_->ListSubscriptions();
  ASSERT_OK(listed.status());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "kafka-shop");
  EXPECT_EQ((*listed)[0].lag, 4u);
  auto trimmed = store_->TrimStream("a-1", {.require_snapshot = false});
  ASSERT_OK(trimmed.status());
  EXPECT_EQ(*trimmed, Version(7));

  const Position past(store_->LastPosition().value() + 1);
  EXPECT_TRUE(store_->SetCheckpoint("kafka-shop", past).IsInvalidArgument());
  EXPECT_TRUE(store_->SetCheckpoint("bad/name", Position(1)).IsInvalidArgument());
  EXPECT_TRUE(store_->GetCheckpoint("").status().IsInvalidArgument());
  EXPECT_EQ(*store_->GetCheckpoint("kafka-shop"), Position(6));
  Reopen();
  EXPECT_EQ(*store_->GetCheckpoint("kafka-shop"), Position(6));
}

TEST_F(Metadata, AFeedStartingBeforeTrimmedEventsIsRefused) {
  for (int i = 0; i < 5; ++i) AppendOne("a-1");  // positions 1..5
  AppendOne("b-1");                              // 6
  ASSERT_OK(store_->TrimStream("a-1", {.before = Version(4), .require_snapshot = false})
                .status());  // removes positions 1..3
  EXPECT_TRUE(store_->OpenFeed({.start = FeedStart::At(Position(2))}).status().IsTrimmed());
  EXPECT_TRUE(store_->OpenFeed({.start = FeedStart::After(Position(2))}).status().IsTrimmed());
  EXPECT_OK(store_->OpenFeed({.start = FeedStart::After(Position(3))}).status());
  // Oldest starts at what is retained.
  auto oldest = store_->OpenFeed({.start = FeedStart::Oldest()});
  ASSERT_OK(oldest.status());
  FeedBatch batch;
  ASSERT_OK((*oldest)->Next(std::chrono::milliseconds(0), &batch));
  EXPECT_EQ(batch.events.front().position, Position(4));
  // The horizon survives a reopen.
  Reopen();
  EXPECT_TRUE(store_->OpenFeed({.start = FeedStart::At(Position(1))}).status().IsTrimmed());
}

TEST_F(Metadata, ASubscriptionResumesAcrossADeleteOfUnprocessedEvents) {
  Position first = AppendOne("a-1").last_position;
  {
    auto sub = store_->Subscribe({.name = "s"},
                                 [](const std::vector<OwnedEvent>&) { return Status::OK(); });
    ASSERT_OK((*sub)->WaitFor(first, seconds(30)));
  }
  AppendOne("a-1");
  ASSERT_OK(store_->DeleteStream("a-1"));
  std::vector<std::string> seen;
  auto sub = store_->Subscribe({.name = "s"}, [&](const std::vector<OwnedEvent>& events) {
    for (const auto& e : events) seen.push_back(e.stream);
    return Status::OK();
  });
  ASSERT_OK(sub.status());
  ASSERT_OK((*sub)->WaitFor(store_->LastPosition(), seconds(30)));
  // The deleted stream's event is gone; the delete itself is delivered.
  EXPECT_EQ(seen, (std::vector<std::string>{"$meta-a-1"}));
}

TEST(MetadataDecode, AFieldOfAnotherTypeIsIgnoredNotThrown) {
  StreamMetadata m;
  ASSERT_TRUE(DecodeMetadata(R"({"deleted":"yes","hard_deleted":1,"max_count":"3"})", &m).ok());
  EXPECT_FALSE(m.deleted);
  EXPECT_FALSE(m.hard_deleted);
  EXPECT_FALSE(m.max_count.has_value());
  ASSERT_TRUE(DecodeMetadata(R"({"deleted":true,"max_count":3})", &m).ok());
  EXPECT_TRUE(m.deleted);
  EXPECT_EQ(m.max_count, 3u);
}

}  // namespace
}  // namespace evlog
