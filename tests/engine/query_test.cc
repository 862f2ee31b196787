// Store::Read(Query) and the DCB append condition (fail_if_events_match,
// after): what a query matches, in which order, with which head; when a
// condition fails, with which position, and that it sees events of earlier
// appends in the same group commit.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <vector>

#include "evlog/owned_event_iterator.h"
#include "testutil/same_event.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using testutil::StoreTest;
using QueryCondition = StoreTest;
using testutil::Tagged;
using testutil::Positions;

using P = std::vector<uint64_t>;

class QueryFixture : public StoreTest {
 protected:
  // 1 A [x]      2 B [x y]    3 A [y]      4 C []      5 B [y z]    6 A [x y z]
  void SetUp() override {
    StoreTest::SetUp();
    Put("s-1", "A", {"x"});
    Put("s-2", "B", {"x", "y"});
    Put("s-1", "A", {"y"});
    Put("s-3", "C", {});
    Put("s-2", "B", {"y", "z"});
    Put("s-4", "A", {"x", "y", "z"});
  }
  void Put(const std::string& stream, const std::string& type, std::vector<std::string> tags) {
    ASSERT_OK(
        store_->Append(stream, ExpectedVersion::Any(), {Tagged(type, std::move(tags))}).status());
  }
  Result<QueryResult> Read(std::vector<QueryItem> items, QueryOptions options = {}) {
    return store_->Read(Query{.items = std::move(items)}, options);
  }
};

using QuerySemantics = QueryFixture;

TEST_F(QuerySemantics, AnItemMatchesAnyOfItsTypesAndAllOfItsTags) {
  EXPECT_EQ(Positions(Read({{.tags = {"x"}}})), (P{1, 2, 6}));
  EXPECT_EQ(Positions(Read({{.tags = {"x", "y"}}})), (P{2, 6}));
  EXPECT_EQ(Positions(Read({{.tags = {"y", "z", "x"}}})), (P{6}));
  EXPECT_EQ(Positions(Read({{.types = {"A"}}})), (P{1, 3, 6}));
  EXPECT_EQ(Positions(Read({{.types = {"A", "C"}}})), (P{1, 3, 4, 6}));
  EXPECT_EQ(Positions(Read({{.types = {"A", "B"}, .tags = {"y"}}})), (P{2, 3, 5, 6}));
  EXPECT_EQ(Positions(Read({{.types = {"B"}, .tags = {"x", "y"}}})), (P{2}));
  EXPECT_EQ(Positions(Read({{.types = {"nope"}, .tags = {"x"}}})), P{});
  EXPECT_EQ(Positions(Read({{.tags = {"x", "nope"}}})), P{});
}

TEST_F(QuerySemantics, ItemsAreOredAndEachEventComesOnce) {
  EXPECT_EQ(Positions(Read({{.tags = {"x"}}, {.tags = {"z"}}})), (P{1, 2, 5, 6}));
  EXPECT_EQ(Positions(Read({{.types = {"C"}}, {.tags = {"x", "z"}}, {.types = {"A"}}})),
            (P{1, 3, 4, 6}));
  EXPECT_EQ(Positions(Read({{.tags = {"x"}}, {.tags = {"x"}}})), (P{1, 2, 6}));
}

TEST_F(QuerySemantics, AnEmptyQueryOrAnEmptyItemMatchesEveryEvent) {
  EXPECT_EQ(Positions(store_->Read(Query::All())), (P{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Positions(Read({{.tags = {"z"}}, {}})), (P{1, 2, 3, 4, 5, 6}));
}

TEST_F(QuerySemantics, ReadsFromAPositionBothWaysWithACount) {
  EXPECT_EQ(Positions(Read({{.tags = {"y"}}}, {.from = Position(3)})), (P{3, 5, 6}));
  EXPECT_EQ(Positions(Read({{.tags = {"y"}}}, {.from = Position(3), .max_count = 2})), (P{3, 5}));
  EXPECT_EQ(Positions(Read({{.tags = {"y"}}}, {.direction = Direction::kBackward})),
            (P{6, 5, 3, 2}));
  EXPECT_EQ(Positions(Read({{.tags = {"y"}}, {.types = {"C"}}},
                           {.from = Position(4), .direction = Direction::kBackward})),
            (P{4, 3, 2}));
  EXPECT_EQ(Positions(Read({{.types = {"A"}}},
                           {.max_count = 1, .direction = Direction::kBackward})),
            (P{6}));
  EXPECT_EQ(Positions(Read({{.tags = {"x"}}}, {.from = Position(7)})), P{});
  EXPECT_EQ(Positions(Read({{.tags = {"x"}}}, {.max_count = 0})), P{});
}

TEST_F(QuerySemantics, TheHeadComesBackEvenWhenNothingMatches) {
  auto none = Read({{.tags = {"nope"}}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->events.empty());
  EXPECT_EQ(none->head, Position(6));
  EXPECT_EQ(Read({{.tags = {"x"}}}, {.max_count = 1})->head, Position(6));
}

TEST_F(QuerySemantics, MatchesCarryTheirWholeEvent) {
  auto r = Read({{.tags = {"z"}}}, {.max_count = 1});
  ASSERT_EQ(r->events.size(), 1u);
  const OwnedEvent& e = r->events[0];
  EXPECT_EQ(e.stream, "s-2");
  EXPECT_EQ(e.type, "B");
  EXPECT_EQ(e.version, Version(2));
  EXPECT_EQ(e.tags, (std::vector<std::string>{"y", "z"}));
}

TEST_F(QuerySemantics, ItsEventsWalkAsAReadsIteratorInOrderAndEndOk) {
  auto r = Read({{.tags = {"y"}}}, {.direction = Direction::kBackward});
  ASSERT_TRUE(r.ok());
  std::unique_ptr<EventIterator> it = NewOwnedEventIterator(r->events);
  P positions;
  for (size_t i = 0; it->Valid(); it->Next(), ++i) {
    positions.push_back(it->event().position.value());
    EXPECT_EQ(it->event().tags, r->events[i].view().tags);
  }
  EXPECT_EQ(positions, (P{6, 5, 3, 2}));
  EXPECT_OK(it->status());
  EXPECT_EQ(Collect(NewOwnedEventIterator(r->events))->size(), 4u);

  const std::vector<OwnedEvent> none;
  EXPECT_FALSE(NewOwnedEventIterator(none)->Valid());
}

// ReadEach's events, copied as they are visited, and its head.
struct Visited {
  std::vector<OwnedEvent> events;
  Result<Position> head;
};
Visited VisitAll(EventStore& store, const Query& query, const QueryOptions& options) {
  std::vector<OwnedEvent> events;
  Result<Position> head = store.ReadEach(query, options, [&](const RecordedEvent& e) {
    events.push_back(OwnedEvent::From(e));
    return true;
  });
  return Visited{std::move(events), std::move(head)};
}

TEST_F(QuerySemantics, ReadEachVisitsWhatReadReturnsWithTheSameHead) {
  // Position 1 hidden by its stream's rule: ReadEach hides it too.
  ASSERT_OK(store_->SetStreamMetadata("s-1", {.truncate_before = Version(2)}));
  const std::vector<std::pair<Query, QueryOptions>> reads = {
      {Query{.items = {{.tags = {"x"}}}}, {}},
      {Query{.items = {{.tags = {"y"}}}}, {.from = Position(3), .max_count = 2}},
      {Query{.items = {{.tags = {"y"}}, {.types = {"C"}}}},
       {.from = Position(4), .direction = Direction::kBackward}},
      {Query{.items = {{.types = {"A", "B"}}}}, {.direction = Direction::kBackward}},
      {Query::All(), {}},
      {Query{.items = {{.tags = {"nope"}}}}, {}},
      {Query{.items = {{.tags = {"x"}}}}, {.max_count = 0}},
  };
  for (const auto& [query, options] : reads) {
    Result<QueryResult> want = store_->Read(query, options);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    Visited got = VisitAll(*store_, query, options);
    ASSERT_TRUE(got.head.ok()) << got.head.status().ToString();
    EXPECT_EQ(*got.head, want->head);
    ASSERT_EQ(got.events.size(), want->events.size());
    for (size_t i = 0; i < got.events.size(); ++i) {
      testutil::ExpectSameEvent(got.events[i], want->events[i]);
    }
  }
  EXPECT_EQ(Positions(Read({{.tags = {"x"}}})), (P{2, 6}));
}

TEST_F(QuerySemantics, ReadEachStopsWhenTheVisitorSaysSoAndStillGivesTheHead) {
  P seen;
  Result<Position> head =
      store_->ReadEach(Query{.items = {{.tags = {"y"}}}}, {}, [&](const RecordedEvent& e) {
        seen.push_back(e.position.value());
        return seen.size() < 2;
      });
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(seen, (P{2, 3}));
  EXPECT_EQ(*head, Position(6));
}

TEST_F(QuerySemantics, ReadEachRefusesWhatReadRefusesAndVisitsNothing) {
  int visits = 0;
  Result<Position> head =
      store_->ReadEach(Query{.items = {{.tags = {""}}}}, {}, [&](const RecordedEvent&) {
        ++visits;
        return true;
      });
  EXPECT_TRUE(head.status().IsInvalidArgument()) << head.status().ToString();
  EXPECT_EQ(visits, 0);
}

TEST_F(QuerySemantics, AQueryBeyondTheLimitsIsAnInvalidArgument) {
  EXPECT_TRUE(Read({{.tags = {""}}}).status().IsInvalidArgument());
  EXPECT_TRUE(Read({{.types = {std::string("a\0b", 3)}}}).status().IsInvalidArgument());
  std::vector<QueryItem> many(65, QueryItem{.tags = {"x"}});
  EXPECT_TRUE(Read(many).status().IsInvalidArgument());
}

// The rejection names the item by its number, counting from 1.
TEST_F(QuerySemantics, ARejectedQueryItemIsNamedByItsNumber) {
  const Status tag = Read({{.tags = {"x"}}, {.tags = {"y", ""}}}).status();
  ASSERT_TRUE(tag.IsInvalidArgument());
  EXPECT_EQ(tag.message(), "query item 2: tag 2 is 0 bytes; a tag is 1..255 bytes");
  const Status type = Read({{.types = {"A"}}, {.types = {""}}}).status();
  ASSERT_TRUE(type.IsInvalidArgument());
  EXPECT_EQ(type.message(), "query item 2 event type is empty");
}

TEST(QueryEmptyStore, HeadIsZero) {
  testutil::TempDir dir;
  auto store = Store::Open(Options{}, dir.Sub("s")).value();
  auto r = store->Read(Query{.items = {QueryItem{.tags = {"x"}}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->head, Position(0));
  EXPECT_TRUE(store->Read(Query::All())->events.empty());
}

AppendCondition FailIf(Query query, Position after = Position()) {
  return AppendCondition{.after = after, .fail_if_events_match = std::move(query)};
}

Query TagQuery(std::string tag) { return Query{.items = {QueryItem{.tags = {std::move(tag)}}}}; }

Result<AppendResult> AppendIf(Store& store, const std::string& stream, EventData e,
                              AppendCondition condition) {
  AppendRequest request;
  request.streams.push_back({.stream = stream, .events = {std::move(e)}});
  request.condition = std::move(condition);
  return store.Append(std::move(request));
}

using ConditionQuery = QueryFixture;

TEST_F(ConditionQuery, FailsOnAMatchAfterItsPositionAndNamesTheFirst) {
  auto r = AppendIf(*store_, "n-1", Ev("N"), FailIf(TagQuery("z"), Position(2)));
  ASSERT_TRUE(r.status().IsConditionFailed()) << r.status().ToString();
  EXPECT_EQ(r.status().conflicting_position(), 5u);
  EXPECT_NE(r.status().message().find("at position 5"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(store_->LastPosition(), Position(6));
}

TEST_F(ConditionQuery, PassesWhenNothingMatchedAfterItsPosition) {
  EXPECT_OK(AppendIf(*store_, "n-1", Ev("N"), FailIf(TagQuery("z"), Position(6))).status());
  EXPECT_OK(AppendIf(*store_, "n-1", Ev("N"), FailIf(TagQuery("nope"))).status());
  EXPECT_OK(AppendIf(*store_, "n-1", Ev("N"),
                     FailIf(Query{.items = {{.types = {"C"}, .tags = {"x"}}}}))
                .status());
}

TEST_F(ConditionQuery, WithoutAPositionItIsAUniquenessGuard) {
  auto r = AppendIf(*store_, "n-1", Ev("N"), FailIf(TagQuery("x")));
  ASSERT_TRUE(r.status().IsConditionFailed()) << r.status().ToString();
  EXPECT_EQ(r.status().conflicting_position(), 1u);
}

TEST_F(ConditionQuery, TheAllQueryFailsOnAnyLaterEvent) {
  EXPECT_TRUE(AppendIf(*store_, "n-1", Ev("N"), FailIf(Query::All(), Position(5)))
                  .status()
                  .IsConditionFailed());
  EXPECT_OK(AppendIf(*store_, "n-1", Ev("N"), FailIf(Query::All(), Position(6))).status());
}

TEST_F(ConditionQuery, TheTypeConditionStillWorksAndReportsItsPosition) {
  AppendRequest request;
  request.streams.push_back({.stream = "n-1", .events = {Ev("N")}});
  request.condition = AppendCondition{.event_types = {"B"}, .after = Position(1)};
  auto r = store_->Append(std::move(request));
  ASSERT_TRUE(r.status().IsConditionFailed()) << r.status().ToString();
  EXPECT_EQ(r.status().conflicting_position(), 2u);
}

TEST_F(ConditionQuery, WorksOnMultiStreamAppendsBesideExpectedVersions) {
  auto make = [&](Position after, ExpectedVersion expected) {
    AppendRequest request;
    request.streams.push_back({.stream = "m-1", .expected = expected, .events = {Ev("M")}});
    request.streams.push_back({.stream = "m-2", .events = {Tagged("M", {"x"})}});
    request.condition = FailIf(TagQuery("x"), after);
    return request;
  };
  auto failed = store_->Append(make(Position(3), ExpectedVersion::NoStream()));
  EXPECT_TRUE(failed.status().IsConditionFailed()) << failed.status().ToString();
  auto wrong = store_->Append(make(Position(6), ExpectedVersion::StreamExists()));
  EXPECT_TRUE(wrong.status().IsWrongExpectedVersion()) << wrong.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(6));
  auto ok = store_->Append(make(Position(6), ExpectedVersion::NoStream()));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->streams[1].last_position, Position(8));
}

TEST_F(ConditionQuery, HiddenEventsDoNotMatch) {
  ASSERT_OK(store_->DeleteStream("s-4"));  // the only event with x and z
  EXPECT_OK(AppendIf(*store_, "n-1", Ev("N"),
                     FailIf(Query{.items = {{.tags = {"x", "z"}}}}))
                .status());
}

TEST_F(ConditionQuery, AnInvalidQueryIsRefusedBeforeAnythingIsWritten) {
  auto r = AppendIf(*store_, "n-1", Ev("N"), FailIf(TagQuery(std::string(256, 't'))));
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(6));
}

// Appends queued together are committed as one group: the condition of a
// later one must see the events of an earlier one, which are not in the
// store yet. Of many claims on one unique tag exactly one may succeed.
TEST_F(QueryCondition, SeesEarlierAppendsOfTheSameGroupCommit) {
  constexpr int kClaims = 64;
  std::vector<std::future<Result<AppendResult>>> results;
  for (int i = 0; i < kClaims; ++i) {
    auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
    results.push_back(promise->get_future());
    AppendRequest request;
    request.streams.push_back(
        {.stream = "claim-" + std::to_string(i), .events = {Tagged("Claimed", {"unique"})}});
    request.condition = FailIf(TagQuery("unique"));
    request.durability = Durability::kSync;
    store_->AppendAsync(std::move(request),
                        [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
  }
  int won = 0;
  for (auto& f : results) {
    Result<AppendResult> r = f.get();
    if (r.ok()) {
      ++won;
    } else {
      EXPECT_TRUE(r.status().IsConditionFailed()) << r.status().ToString();
    }
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(store_->Read(TagQuery("unique"))->events.size(), 1u);
}

}  // namespace
}  // namespace evlog
