// Change feed: start points, filters, batching, blocking and wake-up, and
// exactly-once in-order delivery while appends run.

#include "evlog/change_feed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "evlog/store.h"
#include "testutil/feed_fixture.h"
#include "testutil/same_event.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class FeedTest : public testutil::FeedStoreTest {
 protected:
  // Reads everything committed so far (without waiting) and returns the positions.
  static std::vector<uint64_t> Drain(ChangeFeed& feed) {
    std::vector<uint64_t> out;
    FeedBatch batch;
    for (;;) {
      const Position before = feed.position();
      Status s = feed.Next(milliseconds(0), &batch);
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok()) return out;
      for (const OwnedEvent& e : batch.events) out.push_back(e.position.value());
      // Caught up: nothing delivered and nothing skipped.
      if (batch.events.empty() && feed.position() == before) return out;
    }
  }
};

using Feed = FeedTest;

TEST_F(Feed, OldestStartsAtTheFirstEvent) {
  Add("a-1", "T");
  Add("a-2", "T");
  auto feed = Open({.start = FeedStart::Oldest()});
  EXPECT_EQ(Drain(*feed), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(feed->position(), Position(2));
}

TEST_F(Feed, LatestSkipsWhatWasCommittedBefore) {
  Add("a-1", "T");
  auto feed = Open({.start = FeedStart::Latest()});
  EXPECT_TRUE(Drain(*feed).empty());
  Add("a-1", "T");
  EXPECT_EQ(Drain(*feed), (std::vector<uint64_t>{2}));
}

TEST_F(Feed, AtIncludesThePositionAndAfterExcludesIt) {
  for (int i = 0; i < 5; ++i) Add("a-1", "T");
  EXPECT_EQ(Drain(*Open({.start = FeedStart::At(Position(3))})), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(Drain(*Open({.start = FeedStart::After(Position(3))})), (std::vector<uint64_t>{4, 5}));
}

TEST_F(Feed, FiltersByCategoryPrefixAndType) {
  Add("order-1", "Placed");     // 1
  Add("product-1", "Created");  // 2
  Add("order-2", "Shipped");    // 3
  Add("orders-9", "Placed");    // 4: another category
  Add("order-1", "Shipped");    // 5
  EXPECT_EQ(Drain(*Open({.category = "order"})), (std::vector<uint64_t>{1, 3, 5}));
  EXPECT_EQ(Drain(*Open({.stream_prefix = "order"})), (std::vector<uint64_t>{1, 3, 4, 5}));
  EXPECT_EQ(Drain(*Open({.event_type = "Placed"})), (std::vector<uint64_t>{1, 4}));
  EXPECT_EQ(Drain(*Open({.category = "order", .event_type = "Shipped"})),
            (std::vector<uint64_t>{3, 5}));
}

TEST_F(Feed, FilteredOutEventsStillAdvanceThePosition) {
  Add("order-1", "Placed");
  Add("product-1", "Created");
  auto feed = Open({.category = "order"});
  EXPECT_EQ(Drain(*feed), (std::vector<uint64_t>{1}));
  EXPECT_EQ(feed->position(), Position(2));
}

TEST_F(Feed, BatchesRespectEventAndByteLimits) {
  for (int i = 0; i < 10; ++i) Add("a-1", "T");
  auto feed = Open({.max_batch_events = 4});
  FeedBatch batch;
  ASSERT_TRUE(feed->Next(milliseconds(0), &batch).ok());
  EXPECT_EQ(batch.events.size(), 4u);
  EXPECT_EQ(batch.position, Position(4));

  // Each event carries one byte of data: two fit in two bytes.
  auto small = Open({.max_batch_bytes = 2});
  ASSERT_TRUE(small->Next(milliseconds(0), &batch).ok());
  EXPECT_EQ(batch.events.size(), 2u);
}

TEST_F(Feed, ABatchHoldsAtLeastOneEventHoweverLarge) {
  Add("a-1", "T");
  auto feed = Open({.max_batch_bytes = 0});
  FeedBatch batch;
  ASSERT_TRUE(feed->Next(milliseconds(0), &batch).ok());
  EXPECT_EQ(batch.events.size(), 1u);
}

// A FeedBatch passed to Next again keeps its events' memory for the next
// events (change_feed.cc, Emit): whatever sizes the strings had before,
// growing or shrinking, within their capacity or beyond it, each Next hands
// out exactly its own events, every field whole.
TEST_F(Feed, ReusedBatchStorageGivesEachNextExactlyItsOwnEvents) {
  auto feed = Open({.start = FeedStart::Oldest()});  // open first: the tail keeps them
  const size_t sizes[] = {300, 1, 15, 16, 0, 2000, 3, 17, 40, 0, 5, 700, 2};
  std::vector<EventData> written;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    const size_t n = sizes[i];
    EventData e = testutil::Ev(std::string(1 + n % 20, 'T'), std::string(n, static_cast<char>('a' + i % 26)));
    if (i % 3 != 0) e.metadata = "{\"m\":\"" + std::string(n % 50, 'm') + "\"}";
    for (size_t t = 0; t < i % 4; ++t) e.tags.push_back(std::string(1 + (n + t) % 30, 'g'));
    const std::string stream = i % 2 == 0 ? "s-1" : "a-stream-name-longer-than-sso-1";
    ASSERT_OK(store_->Append(stream, ExpectedVersion::Any(), {e}).status());
    written.push_back(std::move(e));
  }
  const std::vector<OwnedEvent> stored = ReadAll();
  ASSERT_EQ(stored.size(), written.size());
  FeedBatch batch;
  size_t next = 0;
  for (const size_t limit : {2, 1, 4, 1, 3, 2, 5}) {
    feed->set_max_batch_events(limit);
    ASSERT_OK(feed->Next(milliseconds(0), &batch));
    ASSERT_EQ(batch.events.size(), std::min(limit, stored.size() - next));
    for (const OwnedEvent& got : batch.events) testutil::ExpectSameEvent(got, stored[next++]);
    EXPECT_EQ(batch.position, Position(next));
  }
  EXPECT_EQ(next, stored.size());
  for (size_t i = 0; i < written.size(); ++i) {
    EXPECT_EQ(stored[i].data, written[i].data);
    EXPECT_EQ(stored[i].tags, written[i].tags);
  }
}

TEST_F(Feed, NextReturnsAnEmptyBatchWhenTheTimeoutExpires) {
  auto feed = Open({});
  FeedBatch batch;
  ASSERT_TRUE(feed->Next(milliseconds(1), &batch).ok());
  EXPECT_TRUE(batch.events.empty());
  EXPECT_EQ(batch.position, Position(0));
}

TEST_F(Feed, BlockedNextWakesOnCommit) {
  auto feed = Open({.start = FeedStart::Latest()});
  FeedBatch batch;
  std::thread appender([&] { Add("a-1", "T"); });
  // Generous timeout: Next returns as soon as the commit lands.
  ASSERT_TRUE(feed->Next(seconds(30), &batch).ok());
  appender.join();
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].stream, "a-1");
}

TEST_F(Feed, DeliversEveryEventOnceInOrderWhileFourThreadsAppend) {
  constexpr int kThreads = 4, kPerThread = 500;
  auto feed = Open({.max_batch_events = 64});
  std::vector<std::thread> appenders;
  for (int t = 0; t < kThreads; ++t) {
    appenders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) Add("s-" + std::to_string(t), "T");
    });
  }
  std::vector<uint64_t> seen;
  std::vector<uint64_t> last_version(kThreads, 0);
  FeedBatch batch;
  while (seen.size() < kThreads * kPerThread) {
    Status s = feed->Next(seconds(30), &batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_FALSE(batch.events.empty()) << "feed stalled at " << seen.size();
    for (const OwnedEvent& e : batch.events) {
      seen.push_back(e.position.value());
      int t = std::stoi(e.stream.substr(2));
      EXPECT_EQ(e.version.value(), last_version[t] + 1) << e.stream;
      last_version[t] = e.version.value();
    }
  }
  for (auto& t : appenders) t.join();
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], i + 1);
  EXPECT_TRUE(Drain(*feed).empty());
}

TEST_F(Feed, ReadOnlyFeedFollowsTheWriter) {
  Add("a-1", "T");
  auto follower = Store::Open(Options{.read_only = true}, dir_.Sub("store"));
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  auto feed = (*follower)->OpenFeed({.start = FeedStart::Latest()});
  ASSERT_TRUE(feed.ok());
  Add("a-1", "T");
  FeedBatch batch;
  Status s = (*feed)->Next(seconds(30), &batch);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].position, Position(2));
}

// A feed set to bulk reads (a view catching up) reads each log block
// without keeping it in the block cache; the same read without the setting
// fills the cache. Both deliver every event.
TEST_F(Feed, BulkReadsLeaveTheBlockCacheAsItWas) {
  constexpr uint64_t kEvents = 3000;
  for (uint64_t i = 0; i < kEvents; ++i) Add("a-" + std::to_string(i % 50), "T");
  ASSERT_TRUE(store_->Compact().ok());
  Reopen();  // an empty block cache; the feeds read the table files
  auto cached = [&] {
    auto m = store_->Metrics();
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? m->rocksdb.block_cache_bytes : 0;
  };
  const uint64_t before = cached();
  auto bulk = Open({.start = FeedStart::Oldest(), .max_batch_events = 500});
  bulk->set_bulk_reads(true);
  EXPECT_EQ(Drain(*bulk).size(), kEvents);
  const uint64_t after_bulk = cached();
  EXPECT_EQ(Drain(*Open({.start = FeedStart::Oldest(), .max_batch_events = 500})).size(),
            kEvents);
  const uint64_t after_cached = cached();
  ASSERT_GT(after_cached - after_bulk, 64u << 10) << "the plain read should fill the cache";
  EXPECT_LT(after_bulk - before, (after_cached - after_bulk) / 4);
}

TEST_F(Feed, RejectsAZeroBatchSize) {
  auto feed = store_->OpenFeed({.max_batch_events = 0});
  EXPECT_TRUE(feed.status().IsInvalidArgument());
}

}  // namespace
}  // namespace evlog
