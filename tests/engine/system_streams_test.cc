// System streams ('$'-prefixed: "$meta-<stream>", "$parked-<name>"):
// include_system = false hides them from global reads, stream listings and
// the change feed, whose positions still move past them; a read by name
// still finds them; the default (true) keeps them for in-process consumers.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using std::chrono::milliseconds;
using SystemStreams = testutil::StoreTest;

using testutil::Positions;

std::vector<std::string> Names(const std::vector<StreamInfo>& streams) {
  std::vector<std::string> out;
  for (const auto& s : streams) out.push_back(s.name);
  return out;
}

// a-1 at 1, "$meta-a-1" at 2, a-1 at 3, "$meta-b-1" at 4 (the last event).
class SystemStreamsStore : public SystemStreams {
 protected:
  void SetUp() override {
    SystemStreams::SetUp();
    Add("a-1");
    ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_count = 7}));
    Add("a-1");
    ASSERT_OK(store_->SetStreamMetadata("b-1", {.max_count = 3}));
  }
};

TEST_F(SystemStreamsStore, ReadAllWithoutSystemSkipsThemAndTheDefaultKeepsThem) {
  EXPECT_EQ(Positions(ReadAll({.include_system = false})), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(Positions(ReadAll()), (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST_F(SystemStreamsStore, AHiddenEventDoesNotCountAgainstMaxCount) {
  EXPECT_EQ(Positions(ReadAll({.from = Position(2), .max_count = 1, .include_system = false})),
            (std::vector<uint64_t>{3}));
}

TEST_F(SystemStreamsStore, CategoryAndTypeReadsHideThemToo) {
  EXPECT_TRUE(ReadAll({.category = "$meta", .include_system = false}).empty());
  EXPECT_TRUE(ReadAll({.event_type = "$metadata", .include_system = false}).empty());
  EXPECT_EQ(Positions(ReadAll({.event_type = "$metadata"})), (std::vector<uint64_t>{2, 4}));
  EXPECT_EQ(Positions(ReadAll({.category = "a", .include_system = false})),
            (std::vector<uint64_t>{1, 3}));
}

TEST_F(SystemStreamsStore, ListStreamsWithoutSystemListsOnlyUserStreams) {
  auto all = store_->ListStreams();
  ASSERT_OK(all.status());
  EXPECT_EQ(Names(*all), (std::vector<std::string>{"$meta-a-1", "$meta-b-1", "a-1"}));
  auto user = store_->ListStreams({.include_system = false});
  ASSERT_OK(user.status());
  EXPECT_EQ(Names(*user), (std::vector<std::string>{"a-1"}));
  // A page of one is a user stream, not a hidden one.
  auto page = store_->ListStreams({.max_count = 1, .include_system = false});
  ASSERT_OK(page.status());
  EXPECT_EQ(Names(*page), (std::vector<std::string>{"a-1"}));
}

TEST_F(SystemStreamsStore, AFeedWithoutSystemFiltersThemAndMovesPastTheLastOne) {
  auto feed = store_->OpenFeed({.start = FeedStart::Oldest(), .include_system = false});
  ASSERT_OK(feed.status());
  FeedBatch batch;
  ASSERT_OK((*feed)->Next(milliseconds(0), &batch));
  EXPECT_EQ(Positions(batch.events), (std::vector<uint64_t>{1, 3}));
  // Past the trailing "$meta-b-1" event: a checkpoint never re-reads it.
  EXPECT_EQ(batch.position, Position(4));
  EXPECT_EQ((*feed)->position(), Position(4));
}

TEST_F(SystemStreamsStore, AFeedAfterTheLastUserEventReportsProgressPastHiddenOnes) {
  auto feed =
      store_->OpenFeed({.start = FeedStart::After(Position(3)), .include_system = false});
  ASSERT_OK(feed.status());
  FeedBatch batch;
  ASSERT_OK((*feed)->Next(milliseconds(0), &batch));
  EXPECT_TRUE(batch.events.empty());
  EXPECT_EQ(batch.position, Position(4));
}

TEST_F(SystemStreamsStore, AFeedByDefaultDeliversThem) {
  auto feed = store_->OpenFeed({.start = FeedStart::Oldest()});
  ASSERT_OK(feed.status());
  FeedBatch batch;
  ASSERT_OK((*feed)->Next(milliseconds(0), &batch));
  EXPECT_EQ(Positions(batch.events), (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST_F(SystemStreamsStore, ASystemStreamStillReadsByName) {
  std::vector<OwnedEvent> meta = ReadStream("$meta-a-1");
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0].type, "$metadata");
}

}  // namespace
}  // namespace evlog
