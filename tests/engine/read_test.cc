// Reads: streams in both directions, the global log, categories, types,
// stream listing and stats.

#include <gtest/gtest.h>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;

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
  static std::vector<uint64_t> Positions(const std::vector<OwnedEvent>& events) {
    std::vector<uint64_t> out;
    for (const auto& e : events) out.push_back(e.position.value());
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

TEST_F(Read, MissingStreamIsNotFound) {
  EXPECT_TRUE(store_->ReadStream("product-9").status().IsNotFound());
  EXPECT_EQ(*store_->StreamVersion("product-9"), Version(0));
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

TEST_F(Read, EventTypeInGlobalOrder) {
  EXPECT_EQ(Positions(ReadAll({.event_type = "Created"})), (std::vector<uint64_t>{1, 4, 6}));
  EXPECT_EQ(Positions(ReadAll({.max_count = 1, .event_type = "Created"})),
            (std::vector<uint64_t>{1}));
}

TEST_F(Read, CategoryAndTypeTogetherAreRejected) {
  auto it = store_->ReadAll({.category = "product", .event_type = "Created"});
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsInvalidArgument());
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
  auto page2 = store_->ListStreams({.start_after = page1->back().name, .max_count = 10});
  ASSERT_EQ(page2->size(), 2u);
  EXPECT_EQ((*page2)[0].name, "product-2");
}

TEST_F(Read, StatsCountEventsAndStreams) {
  auto stats = store_->Stats();
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->events, 6u);
  EXPECT_EQ(stats->streams, 4u);
  EXPECT_EQ(stats->last_position, Position(6));
  EXPECT_GT(stats->disk_bytes, 0u);
}

TEST_F(Read, IteratorsReadASnapshot) {
  auto it = store_->ReadAll();
  AppendOne("product-3");
  EXPECT_EQ(testutil::Collect(*it).size(), 6u);
}

}  // namespace
}  // namespace evlog
