// Aggregates: decide against loaded state, commit with the loaded version,
// retry on conflict — the inventory of seed 002 never oversells.

#include "evlog/aggregate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using Aggregates = testutil::StoreTest;

struct Stock {
  long available = 0;
};

void ApplyStock(Stock& s, const RecordedEvent& e) {
  long quantity = std::stol(std::string(e.data));
  if (e.type == "Restocked") s.available += quantity;
  if (e.type == "Reserved") s.available -= quantity;
}

Result<std::vector<EventData>> Reserve(const Stock& s, long quantity) {
  if (s.available < quantity) return Status::InvalidArgument("sold out");
  return std::vector<EventData>{Ev("Reserved", std::to_string(quantity))};
}

TEST_F(Aggregates, HandleCommitsWithTheLoadedVersion) {
  ASSERT_OK(
      store_->Append("product-1", ExpectedVersion::NoStream(), {Ev("Restocked", "5")}).status());
  Aggregate<Stock> product(*store_, "product-1", ApplyStock);
  auto r = product.Handle([](const Stock& s) { return Reserve(s, 2); },
                          {.correlation_id = "c-1", .causation_id = "cmd-9"});
  ASSERT_OK(r.status());
  EXPECT_EQ(r->streams[0].last_version, Version(2));
  std::vector<OwnedEvent> events = ReadStream("product-1");
  EXPECT_EQ(events[1].metadata, R"({"correlation_id":"c-1","causation_id":"cmd-9"})");
  ASSERT_OK(product.Load());
  EXPECT_EQ(product.state().available, 3);
}

TEST_F(Aggregates, NonPositiveMaxAttemptsIsInvalidArgumentAndDecidesNothing) {
  Aggregate<Stock> product(*store_, "product-1", ApplyStock);
  bool decided = false;
  for (int attempts : {0, -1}) {
    auto r = product.Handle(
        [&](const Stock&) -> Result<std::vector<EventData>> {
          decided = true;
          return std::vector<EventData>{Ev("Restocked", "1")};
        },
        {.max_attempts = attempts});
    EXPECT_TRUE(r.status().IsInvalidArgument()) << attempts << ": " << r.status().ToString();
  }
  EXPECT_FALSE(decided);
  EXPECT_EQ(store_->LastPosition(), Position(0));
}

TEST_F(Aggregates, CommandIdsAreWrittenByteForByte) {
  Aggregate<Stock> product(*store_, "product-1", ApplyStock);
  auto r = product.Handle(
      [](const Stock&) -> Result<std::vector<EventData>> {
        return std::vector<EventData>{Ev("Restocked", "1")};
      },
      {.correlation_id = "c\t\"1\"", .causation_id = "cmd\\9\x01"});
  ASSERT_OK(r.status());
  EXPECT_EQ(ReadStream("product-1")[0].metadata,
            R"({"correlation_id":"c\t\"1\"","causation_id":"cmd\\9\u0001"})");
  // An id that is not UTF-8 cannot be JSON: nothing is written.
  auto bad = product.Handle(
      [](const Stock&) -> Result<std::vector<EventData>> {
        return std::vector<EventData>{Ev("Restocked", "1")};
      },
      {.correlation_id = "\xff"});
  EXPECT_TRUE(bad.status().IsInvalidArgument()) << bad.status().ToString();
  EXPECT_EQ(store_->LastPosition(), Position(1));
}

TEST_F(Aggregates, DecisionErrorsWriteNothing) {
  Aggregate<Stock> product(*store_, "product-1", ApplyStock);
  auto r = product.Handle([](const Stock& s) { return Reserve(s, 1); });
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(store_->LastPosition(), Position(0));
}

TEST_F(Aggregates, ConflictReloadsAndDecidesAgain) {
  ASSERT_OK(store_->Append("product-1", ExpectedVersion::Any(), {Ev("Restocked", "2")}).status());
  Aggregate<Stock> product(*store_, "product-1", ApplyStock);
  bool interfered = false;
  auto r = product.Handle([&](const Stock& s) -> Result<std::vector<EventData>> {
    if (!interfered) {
      // Another writer restocks between this load and this append.
      interfered = true;
      EXPECT_TRUE(store_->Append("product-1", ExpectedVersion::Any(), {Ev("Restocked", "1")}).ok());
    }
    return Reserve(s, 1);
  });
  ASSERT_OK(r.status());
  EXPECT_EQ(product.conflicts(), 1u);
  EXPECT_EQ(r->streams[0].last_version, Version(3));
}

TEST_F(Aggregates, EightThreadsReservingConcurrentlyNeverOversell) {
  constexpr long kStock = 100;
  ASSERT_OK(store_
                ->Append("product-1", ExpectedVersion::NoStream(),
                         {Ev("Restocked", std::to_string(kStock))})
                .status());
  std::atomic<long> reserved{0}, refused{0};
  std::vector<std::thread> clerks;
  for (int t = 0; t < 8; ++t) {
    clerks.emplace_back([&] {
      Aggregate<Stock> product(*store_, "product-1", ApplyStock);
      for (int i = 0; i < 30; ++i) {
        auto r = product.Handle([](const Stock& s) { return Reserve(s, 1); },
                                {.max_attempts = 1000, .durability = Durability::kBuffered});
        if (r.ok()) {
          ++reserved;
        } else {
          ASSERT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
          ++refused;
        }
      }
    });
  }
  for (auto& t : clerks) t.join();
  EXPECT_EQ(reserved.load(), kStock);
  EXPECT_EQ(refused.load(), 8 * 30 - kStock);
  Aggregate<Stock> product(*store_, "product-1", ApplyStock);
  ASSERT_OK(product.Load());
  EXPECT_EQ(product.state().available, 0);
}

}  // namespace
}  // namespace evlog
