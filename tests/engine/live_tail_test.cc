// The live tail (engine/live_tail.h) and the change feeds that read it:
// crossing between the tail and RocksDB exactly once and in order, starting
// inside the tail, the stream-metadata rules for events still in the tail,
// the memory bound, and readers that go away while they wait.
//
// Which source served a batch is told by the store's metrics
// (feed_tail_events, feed_log_events): each test has one reader at a time.

#include "live_tail.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "clock.h"
#include "codec.h"
#include "evlog/change_feed.h"
#include "evlog/store.h"
#include "evlog/subscription.h"
#include "testutil/feed_fixture.h"
#include "testutil/same_event.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A group of `n` placeholder records of `size` bytes from `first`.
std::shared_ptr<const TailGroup> Group(uint64_t first, size_t n, size_t size = 100) {
  return std::make_shared<const TailGroup>(first,
                                           std::vector<std::string>(n, std::string(size, 'x')));
}

// The first position of the group Find returns for `p`; 0 for none.
uint64_t FoundAt(const LiveTail& tail, uint64_t p) {
  std::shared_ptr<const TailGroup> g = tail.Find(p);
  return g == nullptr ? 0 : g->first();
}

TEST(LiveTail, FindReturnsTheGroupHoldingAPosition) {
  LiveTail tail(1 << 20);
  EXPECT_EQ(tail.Find(1), nullptr);  // empty
  tail.Publish(Group(1, 3));         // 1..3
  tail.Publish(Group(4, 1));         // 4
  tail.Publish(Group(5, 5));         // 5..9
  EXPECT_EQ(FoundAt(tail, 1), 1u);
  EXPECT_EQ(FoundAt(tail, 3), 1u);
  EXPECT_EQ(FoundAt(tail, 4), 4u);
  EXPECT_EQ(FoundAt(tail, 5), 5u);
  EXPECT_EQ(FoundAt(tail, 9), 5u);
  EXPECT_EQ(tail.Find(10), nullptr);  // not published yet
  EXPECT_EQ(tail.events(), 9u);
}

TEST(LiveTail, AGroupKeepsItsOwnCopyOfTheRecordsEachAlignedForDecoding) {
  std::vector<std::string> records;
  for (uint64_t p = 3; p <= 5; ++p) {
    OwnedEvent e{.stream = "a-1",
                 .type = "T",
                 .data = std::string(static_cast<size_t>(p), 'd'),  // sizes that are not 8k
                 .version = Version(p),
                 .position = Position(p)};
    records.push_back(codec::EncodeRecorded(e));
  }
  std::vector<size_t> sizes;
  for (const std::string& r : records) sizes.push_back(r.size());
  auto group = std::make_shared<const TailGroup>(3, std::move(records));
  EXPECT_GE(group->charge(), sizes[0] + sizes[1] + sizes[2]);
  const std::vector<RecordedEvent>* events = nullptr;
  ASSERT_OK(group->Events(&events));
  ASSERT_EQ(events->size(), 3u);
  for (size_t i = 0; i < events->size(); ++i) {
    const RecordedEvent& e = (*events)[i];
    EXPECT_EQ(e.position, Position(3 + i));
    EXPECT_EQ(e.data, std::string(3 + i, 'd'));
    EXPECT_EQ(e.stream, "a-1");
  }
}

TEST(LiveTail, DropsTheOldestGroupsBeyondItsBound) {
  const size_t charge = Group(1, 1)->charge();
  LiveTail tail(3 * charge);
  for (uint64_t p = 1; p <= 100; ++p) {
    tail.Publish(Group(p, 1));
    EXPECT_LE(tail.bytes(), 3 * charge);
  }
  EXPECT_EQ(tail.events(), 3u);
  EXPECT_EQ(tail.Find(97), nullptr);  // evicted: read RocksDB
  EXPECT_EQ(FoundAt(tail, 98), 98u);
  EXPECT_EQ(FoundAt(tail, 100), 100u);
}

TEST(LiveTail, AGroupLargerThanTheBoundIsNotKeptAndTheTailRestartsAfterIt) {
  LiveTail tail(Group(1, 2)->charge());
  tail.Publish(Group(1, 2));
  tail.Publish(Group(3, 10));  // too large: dropped, and 1..2 with it
  EXPECT_EQ(tail.bytes(), 0u);
  EXPECT_EQ(tail.Find(2), nullptr);
  EXPECT_EQ(tail.Find(12), nullptr);
  tail.Publish(Group(13, 1));
  EXPECT_EQ(tail.Find(12), nullptr);
  EXPECT_EQ(FoundAt(tail, 13), 13u);
}

TEST(LiveTail, ARecordThatFailsVerificationIsCorruption) {
  auto group = Group(1, 2);
  const std::vector<RecordedEvent>* events = nullptr;
  EXPECT_TRUE(group->Events(&events).IsCorruption());
  EXPECT_EQ(events, nullptr);
}

TEST(LiveTail, DecodesARecordOnceAtItsPosition) {
  OwnedEvent e{.stream = "a-1",
               .type = "T",
               .data = "payload",
               .version = Version(1),
               .position = Position(7)};
  auto group =
      std::make_shared<const TailGroup>(7, std::vector<std::string>{codec::EncodeRecorded(e)});
  const std::vector<RecordedEvent>* first = nullptr;
  const std::vector<RecordedEvent>* again = nullptr;
  ASSERT_TRUE(group->Events(&first).ok());
  ASSERT_TRUE(group->Events(&again).ok());
  EXPECT_EQ(first, again);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].data, "payload");
  // The same record claimed for another position is refused.
  auto misplaced =
      std::make_shared<const TailGroup>(8, std::vector<std::string>{codec::EncodeRecorded(e)});
  EXPECT_TRUE(misplaced->Events(&first).IsCorruption());
}

TEST(LiveTail, LinksEachGroupToTheOnePublishedAfterIt) {
  LiveTail tail(1 << 20);
  auto a = Group(1, 3), b = Group(4, 1), c = Group(5, 5);
  tail.Publish(a);
  EXPECT_EQ(a->next(), nullptr);  // nothing after it yet
  tail.Publish(b);
  tail.Publish(c);
  EXPECT_EQ(a->next(), b);
  EXPECT_EQ(b->next(), c);
  EXPECT_EQ(c->next(), nullptr);
}

TEST(LiveTail, DoesNotLinkAcrossARestart) {
  const size_t charge = Group(1, 1)->charge();
  LiveTail tail(4 * charge);
  auto a = Group(1, 1);
  tail.Publish(a);
  tail.Publish(Group(2, 8));  // larger than the bound: the tail restarts
  EXPECT_EQ(a->next(), nullptr);
  auto b = Group(10, 1);
  tail.Publish(b);
  auto gap = Group(12, 1);  // not contiguous: restarts again
  tail.Publish(gap);
  EXPECT_EQ(b->next(), nullptr);
  tail.Clear();
  tail.Publish(Group(13, 1));
  EXPECT_EQ(gap->next(), nullptr);
}

TEST(LiveTail, ALinkDoesNotKeepAnEvictedGroupAlive) {
  const size_t charge = Group(1, 1)->charge();
  LiveTail tail(2 * charge);  // two single-event groups
  auto held = Group(1, 1);    // a reader holds the first group
  tail.Publish(held);
  std::weak_ptr<const TailGroup> second = [&] {
    auto g = Group(2, 1);
    tail.Publish(g);
    return std::weak_ptr<const TailGroup>(g);
  }();
  EXPECT_EQ(held->next(), second.lock());
  tail.Publish(Group(3, 1));
  tail.Publish(Group(4, 1));  // evicts 2
  EXPECT_TRUE(second.expired());
  EXPECT_EQ(held->next(), nullptr);
  EXPECT_EQ(tail.events(), 2u);
}

// Where the batches of a feed came from.
enum class Source { kNone, kTail, kLog };

class LiveFeedTest : public testutil::FeedStoreTest {
 protected:
  // Keeps a feed open that reads nothing: the tail is kept only while a feed
  // is open. Call after any Reopen.
  void Watch() { watcher_ = Open({.start = FeedStart::Latest()}); }

  MetricsSnapshot Metrics() {
    auto m = store_->Metrics();
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : MetricsSnapshot{};
  }

  // One Next without waiting: appends the positions delivered to `seen` and
  // returns where they came from (kNone when caught up).
  Source Step(ChangeFeed& feed, std::vector<uint64_t>* seen) {
    const MetricsSnapshot before = Metrics();
    const Position was = feed.position();
    FeedBatch batch;
    Status s = feed.Next(milliseconds(0), &batch);
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (const OwnedEvent& e : batch.events) seen->push_back(e.position.value());
    if (!s.ok() || (batch.events.empty() && feed.position() == was)) return Source::kNone;
    const MetricsSnapshot after = Metrics();
    const uint64_t tail = after.feed_tail_events - before.feed_tail_events;
    const uint64_t log = after.feed_log_events - before.feed_log_events;
    EXPECT_EQ(tail + log, batch.events.size());
    EXPECT_TRUE(tail == 0 || log == 0) << "one batch, one source";
    return log > 0 ? Source::kLog : Source::kTail;
  }

  // Steps until caught up; the sources of the batches in order, repeats
  // folded (tail, log, tail: the feed left the tail and came back).
  std::vector<Source> DrainSources(ChangeFeed& feed, std::vector<uint64_t>* seen) {
    std::vector<Source> sources;
    for (Source s; (s = Step(feed, seen)) != Source::kNone;) {
      if (sources.empty() || sources.back() != s) sources.push_back(s);
    }
    return sources;
  }

  // The positions a reader of the whole log (RocksDB) sees now.
  std::vector<uint64_t> LogPositions(bool include_system) {
    std::vector<uint64_t> out;
    for (const OwnedEvent& e : ReadAll({.include_system = include_system})) {
      out.push_back(e.position.value());
    }
    return out;
  }

  // Appends events `first` to `first + n - 1` of a sequence unlike one
  // another in every field a view carries: tags or none, metadata or none,
  // data of sizes on both sides of a short string's, with a NUL byte.
  void AddVaried(int first, int n) {
    for (int i = first; i < first + n; ++i) {
      EventData e = i % 2 == 0 ? testutil::Tagged("Tagged", {"t" + std::to_string(i), "u"})
                               : testutil::Ev("Plain");
      e.data = std::string(static_cast<size_t>(i * 37 % 300), static_cast<char>('a' + i % 26));
      e.data.push_back('\0');
      if (i % 3 == 0) e.metadata = "{\"i\":" + std::to_string(i) + "}";
      auto r = store_->Append("v-" + std::to_string(i % 4), ExpectedVersion::Any(), {e});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }

  // Every event of the store, read back, against the copies of what views
  // showed, in order.
  void ExpectSameAsTheLog(const std::vector<OwnedEvent>& got) {
    const std::vector<OwnedEvent> want = ReadAll();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) testutil::ExpectSameEvent(got[i], want[i]);
  }

  // The oldest position the tail holds.
  uint64_t FirstInTail() { return store_->LastPosition().value() - Metrics().tail_events + 1; }

  static std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
    std::vector<uint64_t> out;
    for (uint64_t p = first; p <= last; ++p) out.push_back(p);
    return out;
  }

  std::unique_ptr<ChangeFeed> watcher_;
};

using LiveFeed = LiveFeedTest;

TEST_F(LiveFeed, ACaughtUpFeedReadsTheTailNotRocksDb) {
  auto feed = Open({.start = FeedStart::Oldest()});
  for (int i = 0; i < 5; ++i) Add("a-1");
  std::vector<uint64_t> seen;
  EXPECT_EQ(DrainSources(*feed, &seen), std::vector<Source>{Source::kTail});
  EXPECT_EQ(seen, Range(1, 5));
  EXPECT_GT(Metrics().tail_bytes, 0u);
  EXPECT_EQ(Metrics().tail_events, 5u);
}

TEST_F(LiveFeed, CrossesFromTheTailToRocksDbAndBackExactlyOnceInOrder) {
  // About fifty single-event groups fit.
  Reopen(Options{.live_tail_bytes = 16 << 10});
  auto feed = Open({.start = FeedStart::Oldest(), .max_batch_events = 8});
  for (int i = 0; i < 20; ++i) Add("s-" + std::to_string(i % 3));
  std::vector<uint64_t> seen;
  EXPECT_EQ(DrainSources(*feed, &seen), std::vector<Source>{Source::kTail});

  // Hold the consumer back until its next position has left the tail.
  const uint64_t next = feed->position().value() + 1;
  for (int i = 0; i < 10'000; ++i) {
    const uint64_t last = store_->LastPosition().value();
    if (last - Metrics().tail_events + 1 > next + 16) break;  // several batches behind
    Add("s-" + std::to_string(i % 3));
  }
  const uint64_t last = store_->LastPosition().value();
  ASSERT_GT(last - Metrics().tail_events + 1, next) << "the writer never outran the tail";
  EXPECT_LE(Metrics().tail_bytes, 16u << 10);

  // Released: RocksDB until it reaches the tail, then the tail.
  EXPECT_EQ(DrainSources(*feed, &seen), (std::vector<Source>{Source::kLog, Source::kTail}));
  for (int i = 0; i < 3; ++i) Add("s-0");
  EXPECT_EQ(DrainSources(*feed, &seen), std::vector<Source>{Source::kTail});
  EXPECT_EQ(seen, Range(1, last + 3));
}

TEST_F(LiveFeed, NothingIsKeptWhileNoFeedIsOpen) {
  for (int i = 0; i < 3; ++i) Add("a-1");
  EXPECT_EQ(Metrics().tail_bytes, 0u);
  auto feed = Open({.max_batch_events = 3});
  Add("a-1");  // published: a feed is open
  std::vector<uint64_t> seen;
  EXPECT_EQ(DrainSources(*feed, &seen), (std::vector<Source>{Source::kLog, Source::kTail}));
  EXPECT_EQ(seen, Range(1, 4));
  EXPECT_EQ(Metrics().tail_events, 1u);
  feed.reset();
  Add("a-1");  // the last feed is gone: nothing is published
  EXPECT_EQ(Metrics().tail_bytes, 0u);
  EXPECT_EQ(Metrics().tail_events, 0u);
}

// A feed destroyed after its store (a caller's order of destruction) frees
// nothing of the store's twice and touches nothing it freed (ASan).
TEST_F(LiveFeed, AFeedDestroyedAfterItsStoreTouchesNothingItFreed) {
  auto feed = Open({.max_batch_events = 10});
  Add("a-1");
  store_.reset();
  feed.reset();  // under ASan (.ci/sanitize), a read of the freed store fails here
}

// An idle store (the daemon after its sessions closed) must not keep the
// tail until its next append.
TEST_F(LiveFeed, TheLastFeedToCloseDropsTheTailAtOnce) {
  auto feed = Open({.max_batch_events = 10});
  for (int i = 0; i < 5; ++i) Add("a-1");
  EXPECT_EQ(Metrics().tail_events, 5u);
  EXPECT_GT(Metrics().tail_bytes, 0u);
  feed.reset();
  EXPECT_EQ(Metrics().tail_bytes, 0u);
  EXPECT_EQ(Metrics().tail_events, 0u);
}

TEST_F(LiveFeed, StartsInTheMiddleOfTheTail) {
  Watch();
  for (int i = 0; i < 10; ++i) Add("a-1");
  std::vector<uint64_t> seen;
  auto at = Open({.start = FeedStart::At(Position(4))});
  EXPECT_EQ(DrainSources(*at, &seen), std::vector<Source>{Source::kTail});
  EXPECT_EQ(seen, Range(4, 10));
  seen.clear();
  auto after = Open({.start = FeedStart::After(Position(7)), .max_batch_events = 2});
  EXPECT_EQ(DrainSources(*after, &seen), std::vector<Source>{Source::kTail});
  EXPECT_EQ(seen, Range(8, 10));
}

TEST_F(LiveFeed, AppliesFiltersAndBatchLimitsToTheTail) {
  Watch();
  Add("order-1", "Placed");     // 1
  Add("product-1", "Created");  // 2
  Add("order-2", "Shipped");    // 3
  Add("orders-9", "Placed");    // 4
  std::vector<uint64_t> seen;
  auto by_category = Open({.category = "order"});
  EXPECT_EQ(DrainSources(*by_category, &seen), std::vector<Source>{Source::kTail});
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(by_category->position(), Position(4));
  seen.clear();
  auto by_type = Open({.event_type = "Placed", .max_batch_events = 1});
  FeedBatch batch;
  ASSERT_OK(by_type->Next(milliseconds(0), &batch));
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.position, Position(1));  // full: stops at what it delivered
  ASSERT_OK(by_type->Next(milliseconds(0), &batch));
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].position, Position(4));
}

TEST_F(LiveFeed, ABatchPassedAgainHoldsOnlyTheNewEventsWhole) {
  Watch();
  EventData rich = testutil::Tagged("Rich", {"t1", "t2"});
  rich.data = std::string(300, 'r');
  rich.metadata = "{\"m\":1}";
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {rich, rich, rich}).status());
  ASSERT_OK(store_->Append("b-1", ExpectedVersion::Any(), {testutil::Ev("Plain", "p")}).status());
  auto feed = Open({.max_batch_events = 3});
  FeedBatch batch;
  ASSERT_OK(feed->Next(milliseconds(0), &batch));
  ASSERT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.events[2].tags, (std::vector<std::string>{"t1", "t2"}));
  ASSERT_OK(feed->Next(milliseconds(0), &batch));  // the same batch again
  ASSERT_EQ(batch.events.size(), 1u);
  const OwnedEvent& e = batch.events[0];
  EXPECT_EQ(e.stream, "b-1");
  EXPECT_EQ(e.type, "Plain");
  EXPECT_EQ(e.data, "p");
  EXPECT_TRUE(e.metadata.empty());
  EXPECT_TRUE(e.tags.empty());
  EXPECT_EQ(e.position, Position(4));
  EXPECT_EQ(e.version, Version(1));
}

TEST_F(LiveFeed, ALargeEventsMemoryIsNotKeptForTheNextBatches) {
  Watch();
  const std::string large(512 << 10, 'L');
  ASSERT_OK(store_->Append("a-1", ExpectedVersion::Any(), {testutil::Ev("T", large)}).status());
  Add("a-1");
  auto feed = Open({.max_batch_events = 1});
  FeedBatch batch;
  ASSERT_OK(feed->Next(milliseconds(0), &batch));
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].data.size(), large.size());
  ASSERT_OK(feed->Next(milliseconds(0), &batch));
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].data, "d");
  EXPECT_LT(batch.events[0].data.capacity(), large.size());
}

TEST_F(LiveFeed, HidesWhatStreamMetadataHidesForEventsStillInTheTail) {
  Watch();
  for (int i = 0; i < 5; ++i) Add("a-1");                                        // 1..5
  for (int i = 0; i < 2; ++i) Add("b-1");                                        // 6..7
  for (int i = 0; i < 4; ++i) Add("c-1");                                        // 8..11
  for (int i = 0; i < 2; ++i) Add("d-1");                                        // 12..13
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.truncate_before = Version(3)}));  // 14
  ASSERT_OK(store_->DeleteStream("b-1"));                                        // 15
  ASSERT_OK(store_->SetStreamMetadata("c-1", {.max_count = 1}));                 // 16
  ASSERT_OK(store_->DeleteStream("d-1", /*hard=*/true));                         // 17
  const uint64_t last = store_->LastPosition().value();

  std::vector<uint64_t> seen;
  auto user = Open({.include_system = false});
  EXPECT_EQ(DrainSources(*user, &seen), std::vector<Source>{Source::kTail});
  EXPECT_EQ(seen, (std::vector<uint64_t>{3, 4, 5, 11}));
  EXPECT_EQ(seen, LogPositions(false));
  EXPECT_EQ(user->position(), Position(last));

  seen.clear();
  auto all = Open({});
  EXPECT_EQ(DrainSources(*all, &seen), std::vector<Source>{Source::kTail});
  EXPECT_EQ(seen, LogPositions(true));
  EXPECT_EQ(seen.size(), 4u + (last - 13));  // and every metadata event

  // A trim after the events were delivered hides them from a new feed too.
  ASSERT_TRUE(store_->Trim("a-1", {.before = Version(5), .require_snapshot = false}).ok());
  seen.clear();
  auto late = Open({.include_system = false});
  EXPECT_EQ(DrainSources(*late, &seen), std::vector<Source>{Source::kTail});
  EXPECT_EQ(seen, (std::vector<uint64_t>{5, 11}));
  EXPECT_EQ(seen, LogPositions(false));
}

// max-age is judged when the event is read, not when it was committed: an
// event that ages out while it is still in the tail is hidden from a feed
// that reaches it afterwards, as a read of RocksDB hides it.
TEST_F(LiveFeed, HidesEventsThatAgedOutWhileStillInTheTail) {
  Watch();
  ASSERT_OK(store_->SetStreamMetadata("a-1", {.max_age_seconds = 1}));
  Add("a-1");
  Add("a-1");
  Add("b-1");
  std::vector<OwnedEvent> events = ReadStream("a-1");
  ASSERT_EQ(events.size(), 2u);
  // The rule is in whole seconds: wait until the newest a-1 event is more
  // than one second old by the wall clock the engine uses.
  const int64_t aged = events.back().timestamp_us + 1'000'000;
  while (WallMicros() <= aged) std::this_thread::sleep_for(milliseconds(20));
  std::vector<uint64_t> seen;
  auto feed = Open({.include_system = false});
  EXPECT_EQ(DrainSources(*feed, &seen), std::vector<Source>{Source::kTail});
  const uint64_t b = store_->LastPosition().value();
  EXPECT_EQ(seen, (std::vector<uint64_t>{b}));
  EXPECT_EQ(seen, LogPositions(false));
}

TEST_F(LiveFeed, TheMemoryBoundHoldsWhileTheWriterOutrunsEveryReader) {
  constexpr size_t kBound = 32 << 10;
  constexpr int kEvents = 2'000;
  Reopen(Options{.live_tail_bytes = kBound});
  // Two feeds that read nothing while the writer runs.
  auto first = Open({.max_batch_events = 10});
  auto second = Open({.max_batch_events = 10});
  const std::string payload(200, 'p');
  for (int i = 0; i < kEvents; ++i) {
    auto r = store_->Append("s-" + std::to_string(i % 7), ExpectedVersion::Any(),
                            {testutil::Ev("T", payload)}, Durability::kBuffered);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (i % 10 == 0) {
      ASSERT_LE(Metrics().tail_bytes, kBound) << "after " << i << " appends";
    }
  }
  const MetricsSnapshot m = Metrics();
  EXPECT_LE(m.tail_bytes, kBound);
  EXPECT_GT(m.tail_events, 0u);
  EXPECT_LT(m.tail_events, static_cast<uint64_t>(kEvents));
  for (ChangeFeed* feed : {first.get(), second.get()}) {
    std::vector<uint64_t> seen;
    EXPECT_EQ(DrainSources(*feed, &seen), (std::vector<Source>{Source::kLog, Source::kTail}));
    EXPECT_EQ(seen, Range(1, kEvents));
  }
}

TEST_F(LiveFeed, ManyFeedsFollowingAWriterEachGetEveryEventOnceInOrder) {
  // A small tail: the feeds fall out of it and rejoin while the writer runs,
  // and walk it by links (TailGroup::next) while it evicts under them.
  constexpr int kFeeds = 8;
  constexpr uint64_t kEvents = 3'000;
  Reopen(Options{.live_tail_bytes = 32 << 10});
  std::vector<std::unique_ptr<ChangeFeed>> feeds;
  for (int i = 0; i < kFeeds; ++i) {
    feeds.push_back(Open({.start = FeedStart::Oldest(), .max_batch_events = static_cast<size_t>(1 + 7 * i)}));
  }
  std::vector<std::vector<uint64_t>> seen(kFeeds);
  std::vector<std::thread> readers;
  for (int i = 0; i < kFeeds; ++i) {
    readers.emplace_back([&, i] {
      FeedBatch batch;
      while (seen[i].size() < kEvents) {
        // Bounded against a hang; an error or a timeout ends the reader short.
        if (!feeds[i]->Next(seconds(30), &batch).ok() || batch.events.empty()) return;
        for (const OwnedEvent& e : batch.events) seen[i].push_back(e.position.value());
      }
    });
  }
  const std::string payload(100, 'p');
  for (uint64_t n = 0; n < kEvents; n += 3) {
    std::vector<EventData> events(3, testutil::Ev("T", payload));
    auto r = store_->Append("s-" + std::to_string(n % 5), ExpectedVersion::Any(), events,
                            Durability::kBuffered);
    if (!r.ok()) {
      ADD_FAILURE() << r.status().ToString();  // the readers end at their timeout
      break;
    }
  }
  for (auto& r : readers) r.join();
  for (int i = 0; i < kFeeds; ++i) EXPECT_EQ(seen[i], Range(1, kEvents)) << "feed " << i;
  EXPECT_LE(Metrics().tail_bytes, 32u << 10);
}

TEST_F(LiveFeed, ASubscriptionDestroyedWhileItWaitsLeavesTheOthersReceiving) {
  std::atomic<int> handled_a{0}, handled_b{0};
  auto subscribe = [&](const std::string& name, std::atomic<int>* handled) {
    auto sub = store_->Subscribe({.name = name}, [handled](const std::vector<OwnedEvent>& events) {
      handled->fetch_add(static_cast<int>(events.size()));
      return Status::OK();
    });
    EXPECT_TRUE(sub.ok()) << sub.status().ToString();
    return sub.ok() ? std::move(sub).value() : nullptr;
  };
  auto a = subscribe("a", &handled_a);
  auto b = subscribe("b", &handled_b);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  for (int i = 0; i < 3; ++i) Add("x-1");
  ASSERT_OK(a->WaitFor(Position(3), seconds(30)));
  ASSERT_OK(b->WaitFor(Position(3), seconds(30)));
  // Caught up, `a` waits for the next commit: destroying it must end the
  // wait, and must not disturb the tail or `b`.
  a.reset();
  for (int i = 0; i < 3; ++i) Add("x-1");
  ASSERT_OK(b->WaitFor(Position(6), seconds(30)));
  EXPECT_EQ(handled_a.load(), 3);
  EXPECT_EQ(handled_b.load(), 6);
  std::vector<uint64_t> seen;
  auto feed = Open({.include_system = false});
  EXPECT_EQ(DrainSources(*feed, &seen), std::vector<Source>{Source::kTail});
  EXPECT_EQ(seen, Range(1, 6));
}

TEST_F(LiveFeed, ASpinningFeedWakesOnCommit) {
  Reopen(Options{.live_feed_spin_us = 2'000});
  auto feed = Open({.start = FeedStart::Latest()});
  for (int round = 1; round <= 3; ++round) {
    FeedBatch batch;
    std::thread appender([&] { Add("a-1"); });
    Status s = feed->Next(seconds(30), &batch);
    appender.join();
    ASSERT_OK(s);
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(batch.events[0].position, Position(static_cast<uint64_t>(round)));
  }
}

TEST_F(LiveFeed, WithTheTailOffEveryFeedReadsRocksDb) {
  Reopen(Options{.live_tail_bytes = 0});
  auto feed = Open({});
  for (int i = 0; i < 4; ++i) Add("a-1");
  std::vector<uint64_t> seen;
  EXPECT_EQ(DrainSources(*feed, &seen), std::vector<Source>{Source::kLog});
  EXPECT_EQ(seen, Range(1, 4));
  EXPECT_EQ(Metrics().tail_bytes, 0u);
}

TEST_F(LiveFeed, AViewYieldsWhatABatchDoesFromRocksDbAndFromTheTail) {
  AddVaried(0, 20);  // before any feed: in RocksDB only
  auto feed = Open({.max_batch_events = 7});
  AddVaried(20, 20);  // in the tail too
  const MetricsSnapshot before = Metrics();
  std::vector<OwnedEvent> got;
  FeedView view;
  for (;;) {
    ASSERT_OK(feed->NextView(milliseconds(0), &view));
    if (view.events.empty()) break;
    EXPECT_LE(view.events.size(), 7u);
    EXPECT_EQ(view.position, view.events.back().position);
    for (const RecordedEvent& e : view.events) got.push_back(OwnedEvent::From(e));
  }
  const MetricsSnapshot after = Metrics();
  EXPECT_GT(after.feed_log_events - before.feed_log_events, 0u);
  EXPECT_GT(after.feed_tail_events - before.feed_tail_events, 0u);
  EXPECT_EQ(feed->position(), Position(40));
  ExpectSameAsTheLog(got);
}

TEST_F(LiveFeed, AViewKeepsTheGroupsItViewsAfterTheTailEvictsThem) {
  constexpr size_t kBound = 16 << 10;
  Reopen(Options{.live_tail_bytes = kBound});
  auto feed = Open({.max_batch_events = 100});
  AddVaried(0, 5);
  FeedView view;
  ASSERT_OK(feed->NextView(milliseconds(0), &view));
  ASSERT_EQ(view.events.size(), 5u);
  for (int i = 0; i < 10'000 && FirstInTail() <= 5; ++i) Add("s-1");
  ASSERT_GT(FirstInTail(), 5u) << "the tail never evicted the viewed groups";
  EXPECT_LE(Metrics().tail_bytes, kBound);  // what the view holds is not counted
  std::vector<OwnedEvent> got;
  for (const RecordedEvent& e : view.events) got.push_back(OwnedEvent::From(e));
  std::vector<OwnedEvent> want = ReadAll();
  want.resize(5);
  for (size_t i = 0; i < got.size(); ++i) testutil::ExpectSameEvent(got[i], want[i]);
}

TEST_F(LiveFeed, AViewOwnsWhatItReadFromRocksDbUntilTheNextViewAndWhenMoved) {
  AddVaried(0, 12);
  auto feed = Open({.max_batch_events = 4});
  std::vector<OwnedEvent> got;
  FeedView view;
  for (int batch = 0; batch < 3; ++batch) {
    const MetricsSnapshot before = Metrics();
    ASSERT_OK(feed->NextView(milliseconds(0), &view));
    ASSERT_EQ(view.events.size(), 4u);
    EXPECT_EQ(Metrics().feed_log_events - before.feed_log_events, 4u);
    ReadAll();  // other reads meanwhile
    FeedView moved = std::move(view);
    for (const RecordedEvent& e : moved.events) got.push_back(OwnedEvent::From(e));
    view = std::move(moved);  // and back: its copies are reused
  }
  ExpectSameAsTheLog(got);
}

TEST_F(LiveFeed, NextAndNextViewMayTakeTurnsOnOneFeed) {
  for (int i = 0; i < 9; ++i) Add("a-" + std::to_string(i % 2));
  auto feed = Open({.max_batch_events = 2});
  std::vector<uint64_t> seen;
  for (int turn = 0; seen.size() < 9 && turn < 20; ++turn) {
    if (turn % 2 == 0) {
      FeedBatch batch;
      ASSERT_OK(feed->Next(milliseconds(0), &batch));
      for (const OwnedEvent& e : batch.events) seen.push_back(e.position.value());
    } else {
      FeedView view;
      ASSERT_OK(feed->NextView(milliseconds(0), &view));
      for (const RecordedEvent& e : view.events) seen.push_back(e.position.value());
    }
  }
  EXPECT_EQ(seen, Range(1, 9));
}

TEST_F(LiveFeed, AReadOnlyStoreHoldsNoTailAndItsFeedsReadRocksDb) {
  Add("a-1");
  auto follower = Store::Open(Options{.read_only = true}, path());
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  auto feed = (*follower)->OpenFeed({.start = FeedStart::Oldest()});
  ASSERT_TRUE(feed.ok());
  Add("a-1");
  std::vector<uint64_t> seen;
  FeedBatch batch;
  while (seen.size() < 2) {
    ASSERT_OK((*feed)->Next(seconds(30), &batch));
    for (const OwnedEvent& e : batch.events) seen.push_back(e.position.value());
  }
  EXPECT_EQ(seen, Range(1, 2));
  auto m = (*follower)->Metrics();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->tail_bytes, 0u);
  EXPECT_EQ(m->feed_tail_events, 0u);
  EXPECT_EQ(m->feed_log_events, 2u);
}

}  // namespace
}  // namespace evlog
