// Reads: streams in both directions, the global log, categories, types,
// stream listing and stats.

#include <gtest/gtest.h>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using testutil::Positions;

class Read : public testutil::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // positions: 1 product-1 Created, 2 order-1 Placed, 3 product-1 Restocked,
    // 4 product-2 Created, 5 product-1 Reserved, 6 productx-1 Created
    AppendOne("product-1", "Created");
    AppendOne("order-1", "Placed");
    AppendOne("product-1", "Restocked");
    AppendOne("product-2", "Created");
    AppendOne("product-1", "Reserved");
    AppendOne("productx-1", "Created");
  }

  static std::vector<uint64_t> Versions(const std::vector<OwnedEvent>& events) {
    std::vector<uint64_t> out;
    for (const auto& e : events) out.push_back(e.version.value());
    return out;
  }
};

TEST_F(Read, StreamForwardReturnsEveryFieldInOrder) {
  std::vector<OwnedEvent> events = ReadStream("product-1");
  ASSERT_EQ(Versions(events), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(Positions(events), (std::vector<uint64_t>{1, 3, 5}));
  EXPECT_EQ(events[1].stream, "product-1");
  EXPECT_EQ(events[1].type, "Restocked");
  EXPECT_EQ(events[1].data, "d");
  EXPECT_GT(events[1].timestamp_us, 0);
}

TEST_F(Read, StreamForwardFromAVersionWithACount) {
  EXPECT_EQ(Versions(ReadStream("product-1", {.from = Version(2)})), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(Versions(ReadStream("product-1", {.from = Version(1), .max_count = 2})),
            (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(ReadStream("product-1", {.from = Version(4)}).empty());
}

TEST_F(Read, StreamBackward) {
  EXPECT_EQ(Versions(ReadStream("product-1", {.direction = Direction::kBackward})),
            (std::vector<uint64_t>{3, 2, 1}));
  EXPECT_EQ(
      Versions(ReadStream("product-1",
                          {.from = Version(2), .max_count = 5, .direction = Direction::kBackward})),
      (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(Versions(ReadStream("product-1", {.max_count = 1, .direction = Direction::kBackward})),
            (std::vector<uint64_t>{3}));
}

TEST_F(Read, StreamBackwardFromBeyondTheEndStartsAtTheLastVersion) {
  EXPECT_EQ(
      Versions(ReadStream("product-1", {.from = Version(10), .direction = Direction::kBackward})),
      (std::vector<uint64_t>{3, 2, 1}));
}

TEST_F(Read, StreamEventsHaveTheirPositionsInTheGlobalLog) {
  std::vector<OwnedEvent> all = ReadAll();
  for (const OwnedEvent& e : ReadStream("product-1", {.direction = Direction::kBackward})) {
    const OwnedEvent& same = all.at(e.position.value() - 1);
    EXPECT_EQ(same.stream, e.stream);
    EXPECT_EQ(same.version, e.version);
    EXPECT_EQ(same.id, e.id);
    EXPECT_EQ(same.type, e.type);
  }
}

TEST_F(Read, MissingStreamIsNotFound) {
  EXPECT_TRUE(store_->ReadStream("product-9").status().IsNotFound());
  EXPECT_TRUE(
      store_->ReadStream("product-9", {.direction = Direction::kBackward}).status().IsNotFound());
  EXPECT_EQ(*store_->StreamVersion("product-9"), Version(0));
}

TEST_F(Read, StreamVersionIsTheLastVersion) {
  EXPECT_EQ(*store_->StreamVersion("product-1"), Version(3));
  EXPECT_EQ(*store_->StreamVersion("order-1"), Version(1));
  AppendOne("order-1");
  EXPECT_EQ(*store_->StreamVersion("order-1"), Version(2));
}

TEST_F(Read, EventsKeepTheirDataMetadataContentTypeAndId) {
  std::string binary("\x00\x01\xff\x00 end", 8);
  EventData event{.type = "Priced",
                  .data = binary,
                  .metadata = R"({"correlation_id":"c-1"})",
                  // Not JSON: JSON data must be valid JSON (JsonAppend).
                  .content_type = ContentType::kFlatBuffers,
                  .id = Uuid::Random()};
  ASSERT_OK(store_->Append("price-1", ExpectedVersion::NoStream(), {event}).status());
  for (const std::vector<OwnedEvent>& events :
       {ReadStream("price-1"), ReadAll({.from = Position(7)}), ReadAll({.category = "price"}),
        ReadAll({.event_type = "Priced"})}) {
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].stream, "price-1");
    EXPECT_EQ(events[0].type, "Priced");
    EXPECT_EQ(events[0].data, binary);
    EXPECT_EQ(events[0].metadata, event.metadata);
    EXPECT_EQ(events[0].content_type, ContentType::kFlatBuffers);
    EXPECT_EQ(events[0].id, event.id);
    EXPECT_EQ(events[0].version, Version(1));
    EXPECT_EQ(events[0].position, Position(7));
  }
}

TEST_F(Read, AllFromBeyondTheEndIsEmpty) {
  EXPECT_TRUE(ReadAll({.from = Position(7)}).empty());
  EXPECT_EQ(Positions(ReadAll({.from = Position(6)})), (std::vector<uint64_t>{6}));
}

TEST_F(Read, AllFromAPositionWithACount) {
  EXPECT_EQ(Positions(ReadAll()), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Positions(ReadAll({.from = Position(4)})), (std::vector<uint64_t>{4, 5, 6}));
  EXPECT_EQ(Positions(ReadAll({.from = Position(2), .max_count = 2})),
            (std::vector<uint64_t>{2, 3}));
}

TEST_F(Read, CategoryInGlobalOrder) {
  EXPECT_EQ(Positions(ReadAll({.category = "product"})), (std::vector<uint64_t>{1, 3, 4, 5}));
  EXPECT_EQ(Positions(ReadAll({.from = Position(4), .category = "product"})),
            (std::vector<uint64_t>{4, 5}));
  EXPECT_TRUE(ReadAll({.category = "nothing"}).empty());
}

TEST_F(Read, CategoryWithACount) {
  EXPECT_EQ(Positions(ReadAll({.from = Position(2), .max_count = 2, .category = "product"})),
            (std::vector<uint64_t>{3, 4}));
}

TEST_F(Read, CategoryIsThePartBeforeTheFirstDash) {
  EXPECT_EQ(CategoryOf("product-42-blue"), "product");
  EXPECT_EQ(CategoryOf("solo"), "solo");
  AppendOne("product-42-blue", "Created");  // 7
  AppendOne("solo", "Created");             // 8
  EXPECT_EQ(Positions(ReadAll({.from = Position(6), .category = "product"})),
            (std::vector<uint64_t>{7}));
  EXPECT_EQ(Positions(ReadAll({.category = "solo"})), (std::vector<uint64_t>{8}));
  auto solo = store_->ListStreams({.category = "solo"});
  ASSERT_OK(solo.status());
  ASSERT_EQ(solo->size(), 1u);
  EXPECT_EQ((*solo)[0].name, "solo");
}

TEST_F(Read, EventTypeInGlobalOrder) {
  EXPECT_EQ(Positions(ReadAll({.event_type = "Created"})), (std::vector<uint64_t>{1, 4, 6}));
  EXPECT_EQ(Positions(ReadAll({.max_count = 1, .event_type = "Created"})),
            (std::vector<uint64_t>{1}));
  EXPECT_EQ(Positions(ReadAll({.from = Position(2), .event_type = "Created"})),
            (std::vector<uint64_t>{4, 6}));
  std::vector<OwnedEvent> placed = ReadAll({.event_type = "Placed"});
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].stream, "order-1");
  EXPECT_TRUE(ReadAll({.event_type = "Nothing"}).empty());
}

TEST_F(Read, CategoryAndTypeTogetherAreRejected) {
  auto it = store_->ReadAll({.category = "product", .event_type = "Created"});
  EXPECT_TRUE(it.status().IsInvalidArgument());
}

TEST_F(Read, ListStreamsAllAndByCategory) {
  auto all = store_->ListStreams();
  ASSERT_OK(all.status());
  std::vector<std::string> names;
  for (const auto& s : *all) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"order-1", "product-1", "product-2", "productx-1"}));
  auto products = store_->ListStreams({.category = "product"});
  ASSERT_EQ(products->size(), 2u);
  EXPECT_EQ((*products)[0].name, "product-1");
  EXPECT_EQ((*products)[0].version, Version(3));
  EXPECT_EQ((*products)[1].name, "product-2");
}

TEST_F(Read, ListStreamsPages) {
  auto page1 = store_->ListStreams({.max_count = 2});
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[1].name, "product-1");
  auto page2 = store_->ListStreams({.start_after = page1->back().name, .max_count = 10});
  ASSERT_EQ(page2->size(), 2u);
  EXPECT_EQ((*page2)[0].name, "product-2");
  EXPECT_EQ((*page2)[1].name, "productx-1");
  EXPECT_TRUE(store_->ListStreams({.start_after = "productx-1"})->empty());
}

TEST_F(Read, ListStreamsPagesWithinACategory) {
  AppendOne("product-3");
  auto page1 = store_->ListStreams({.category = "product", .max_count = 2});
  ASSERT_OK(page1.status());
  ASSERT_EQ(page1->size(), 2u);
  EXPECT_EQ((*page1)[1].name, "product-2");
  auto page2 = store_->ListStreams(
      {.category = "product", .start_after = page1->back().name, .max_count = 2});
  ASSERT_OK(page2.status());
  ASSERT_EQ(page2->size(), 1u);
  EXPECT_EQ((*page2)[0].name, "product-3");
  EXPECT_EQ((*page2)[0].version, Version(1));
}

TEST_F(Read, ACountOfZeroReturnsNothing) {
  EXPECT_TRUE(ReadStream("product-1", {.max_count = 0}).empty());
  EXPECT_TRUE(ReadStream("product-1", {.max_count = 0, .direction = Direction::kBackward}).empty());
  EXPECT_TRUE(ReadAll({.max_count = 0}).empty());
  EXPECT_TRUE(ReadAll({.max_count = 0, .category = "product"}).empty());
  EXPECT_TRUE(ReadAll({.max_count = 0, .event_type = "Created"}).empty());
  auto streams = store_->ListStreams({.max_count = 0});
  ASSERT_OK(streams.status());
  EXPECT_TRUE(streams->empty());
}

TEST_F(Read, StatsCountEventsAndStreams) {
  auto stats = store_->Stats();
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->appended, 6u);
  EXPECT_EQ(stats->streams, 4u);
  EXPECT_EQ(stats->last_position, Position(6));
  EXPECT_GT(stats->disk_bytes, 0u);
  AppendOne("product-1");
  AppendOne("product-7");
  stats = store_->Stats();
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->appended, 8u);
  EXPECT_EQ(stats->streams, 5u);
  EXPECT_EQ(stats->last_position, Position(8));
}

TEST_F(Read, CategoryAndTypeReadsStepOverManyReclaimedEvents) {
  // Index entries of trimmed events outlive the events (docs/format.md):
  // readers must step over any number of them.
  constexpr int kAppends = 30, kPerAppend = 10'000;
  for (int i = 0; i < kAppends; ++i) {
    ASSERT_OK(store_
                  ->Append("gone-1", ExpectedVersion::Any(),
                           std::vector<EventData>(kPerAppend, Ev("Lost")), Durability::kBuffered)
                  .status());
  }
  AppendOne("gone-1", "Kept");
  ASSERT_OK(store_
                ->TrimStream("gone-1", {.before = Version(kAppends * kPerAppend + 1),
                                        .require_snapshot = false})
                .status());
  ASSERT_OK(store_->Compact());
  std::vector<OwnedEvent> by_category = ReadAll({.category = "gone"});
  ASSERT_EQ(by_category.size(), 1u);
  EXPECT_EQ(by_category[0].type, "Kept");
  EXPECT_TRUE(ReadAll({.event_type = "Lost"}).empty());
}

TEST_F(Read, IteratorsReadASnapshot) {
  auto it = store_->ReadAll().value();
  AppendOne("product-3");
  EXPECT_EQ(testutil::Collect(*it).size(), 6u);
}

}  // namespace
}  // namespace evlog
