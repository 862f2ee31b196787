// Hosted subscriptions: competing consumers, redelivery after a detach and
// after a reopen, nack then park then replay, delivery counts kept across
// brokers and reopens, trims held back, filtered lag, and the definition's
// create/delete rules.

#include "evlog/hosted_subscription.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

#include "evlog/store.h"
#include "testutil/eventually.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Generous: Next returns as soon as events are there; this bounds a hang.
constexpr milliseconds kWait = seconds(30);

std::set<uint64_t> Positions(const std::vector<HostedEvent>& batch) {
  std::set<uint64_t> out;
  for (const HostedEvent& e : batch) out.insert(e.event.position.value());
  return out;
}

class HostedSubscriptionTest : public testutil::StoreTest {
 protected:
  std::unique_ptr<SubscriptionConsumer> Consume(const std::string& name) {
    auto c = store_->Consume(name);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  // The next batch, which must not be empty.
  std::vector<HostedEvent> Take(SubscriptionConsumer& c, size_t max) {
    auto batch = c.Next(max, kWait);
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    EXPECT_FALSE(batch.ok() && batch->empty());
    return batch.ok() ? std::move(batch).value() : std::vector<HostedEvent>{};
  }
  // A consumer of `name` takes one event, which must be `event` on its
  // `attempt`-th delivery, and is destroyed holding it: it never acks or
  // nacks, so the delivery ends in a detach.
  void TakeAndDetach(const std::string& name, Position event, uint32_t attempt) {
    auto c = Consume(name);
    ASSERT_NE(c, nullptr);
    std::vector<HostedEvent> batch = Take(*c, 1);
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].event.position, event);
    EXPECT_EQ(batch[0].attempt, attempt);
  }
  SubscriptionInfo Info(const std::string& name) {
    auto list = store_->ListSubscriptions();
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    for (const SubscriptionInfo& info : *list) {
      if (info.name == name) return info;
    }
    ADD_FAILURE() << "no subscription " << name;
    return {};
  }

  // Three events: a-1 at 1, b-1 at 2 and 3. A first consumer holds 1 while a
  // second handles 2 (acknowledged or, with `park`, nacked twice into the
  // parked stream: max_attempts must be 2) and acknowledges 3: the
  // checkpoint stays at 0, below event 1.
  void HandleAboveTheCheckpoint(bool park) {
    auto first = Consume("billing");
    auto second = Consume("billing");
    ASSERT_EQ(Positions(Take(*first, 1)), (std::set<uint64_t>{1}));
    std::vector<HostedEvent> batch = Take(*second, 10);
    ASSERT_EQ(Positions(batch), (std::set<uint64_t>{2, 3}));
    if (park) {
      ASSERT_OK(second->Nack(Position(2), "cannot bill"));
      ASSERT_EQ(Positions(Take(*second, 10)), (std::set<uint64_t>{2}));
      ASSERT_OK(second->Nack(Position(2), "cannot bill"));
      ASSERT_OK(second->Ack(std::vector<Position>{Position(3)}));
    } else {
      ASSERT_OK(second->Ack(batch));
    }
    EXPECT_EQ(store_->GetCheckpoint("billing")->value(), 0u);
  }

  // What consumer `c` is given, and acknowledges, until the subscription
  // has read everything.
  std::set<uint64_t> Remaining(SubscriptionConsumer& c) {
    std::vector<HostedEvent> batch = Take(c, 10);
    std::set<uint64_t> out = Positions(batch);
    EXPECT_OK(c.Ack(batch));
    EXPECT_TRUE(testutil::Eventually([&] { return c.CaughtUp(); }));
    auto more = c.Next(10, milliseconds(0));
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (more.ok()) out.merge(Positions(*more));
    return out;
  }
};

using HostedSubscriptions = HostedSubscriptionTest;

TEST_F(HostedSubscriptions, TwoConsumersReceiveEveryEventOnceBetweenThemEachStreamInOrder) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  Position last;
  for (int i = 0; i < 10; ++i) {
    for (const char* stream : {"a-1", "b-1", "c-1"}) last = Add(stream);
  }
  auto first = Consume("billing");
  auto second = Consume("billing");
  std::map<uint64_t, int> seen;  // position -> deliveries
  std::map<std::string, std::vector<uint64_t>> versions;
  std::map<SubscriptionConsumer*, size_t> share;
  for (int round = 0; round < 100 && seen.size() < 30; ++round) {
    SubscriptionConsumer* c = round % 2 == 0 ? first.get() : second.get();
    std::vector<HostedEvent> batch = Take(*c, 4);
    for (const HostedEvent& e : batch) {
      ++seen[e.event.position.value()];
      versions[e.event.stream].push_back(e.event.version.value());
      EXPECT_EQ(e.attempt, 1u);
    }
    share[c] += batch.size();
    ASSERT_OK(c->Ack(batch));
  }
  ASSERT_EQ(seen.size(), 30u);
  for (const auto& [position, deliveries] : seen) EXPECT_EQ(deliveries, 1) << position;
  for (const auto& [stream, got] : versions) {
    std::vector<uint64_t> expected;
    for (uint64_t v = 1; v <= 10; ++v) expected.push_back(v);
    EXPECT_EQ(got, expected) << stream;
  }
  EXPECT_GT(share[first.get()], 0u);
  EXPECT_GT(share[second.get()], 0u);
  EXPECT_EQ(*store_->GetCheckpoint("billing"), last);
  EXPECT_EQ(Info("billing").lag, 0u);
}

TEST_F(HostedSubscriptions, AStreamWithEventsInFlightStaysWithItsConsumer) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  for (int i = 0; i < 3; ++i) Add("a-1");
  auto first = Consume("billing");
  auto second = Consume("billing");
  std::vector<HostedEvent> held = Take(*first, 1);
  ASSERT_EQ(held.size(), 1u);
  // a-1's next events wait for `first`, however long `second` asks.
  auto none = second->Next(10, milliseconds(0));
  ASSERT_OK(none.status());
  EXPECT_TRUE(none->empty());
  std::vector<HostedEvent> rest = Take(*first, 10);
  EXPECT_EQ(Positions(rest), (std::set<uint64_t>{2, 3}));
}

TEST_F(HostedSubscriptions, ANackedEventStaysWithTheConsumerHoldingItsStream) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing", .initial_backoff = milliseconds(0)}));
  Add("a-1");
  Add("a-1");
  auto first = Consume("billing");
  auto second = Consume("billing");
  std::vector<HostedEvent> both = Take(*first, 2);
  ASSERT_EQ(Positions(both), (std::set<uint64_t>{1, 2}));
  ASSERT_OK(first->Nack(Position(1), "later"));
  // `first` still holds a-1's second event: the retry is not given away.
  auto none = second->Next(10, milliseconds(0));
  ASSERT_OK(none.status());
  EXPECT_TRUE(none->empty());
  std::vector<HostedEvent> retry = Take(*first, 10);
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].event.position, Position(1));
  EXPECT_EQ(retry[0].attempt, 2u);
}

TEST_F(HostedSubscriptions, ADetachedConsumersUnackedEventsGoToTheOtherOnly) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  for (int i = 0; i < 3; ++i) {
    Add("a-1");
    Add("b-1");
  }
  auto survivor = Consume("billing");
  std::set<uint64_t> unacked;
  {
    auto leaver = Consume("billing");
    std::vector<HostedEvent> acked = Take(*leaver, 2);
    ASSERT_OK(leaver->Ack(acked));
    unacked = Positions(Take(*leaver, 10));
    ASSERT_FALSE(unacked.empty());
  }
  std::set<uint64_t> redelivered;
  std::vector<HostedEvent> batch;
  while (redelivered.size() < unacked.size()) {
    batch = Take(*survivor, 10);
    if (batch.empty()) break;
    for (const HostedEvent& e : batch) {
      EXPECT_TRUE(unacked.contains(e.event.position.value())) << e.event.position.value();
      EXPECT_EQ(e.attempt, 2u);
      redelivered.insert(e.event.position.value());
    }
    ASSERT_OK(survivor->Ack(batch));
  }
  EXPECT_EQ(redelivered, unacked);
  auto nothing = survivor->Next(10, milliseconds(0));
  ASSERT_OK(nothing.status());
  EXPECT_TRUE(nothing->empty());
  EXPECT_EQ(*store_->GetCheckpoint("billing"), Position(6));
}

TEST_F(HostedSubscriptions, ANackedEventIsRetriedThenParkedAndReplayDeliversItAgain) {
  ASSERT_OK(store_->CreateSubscription(
      {.name = "billing", .max_attempts = 2, .initial_backoff = milliseconds(0)}));
  const Position bad = Add("a-1");
  auto c = Consume("billing");
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    std::vector<HostedEvent> batch = Take(*c, 10);
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].event.position, bad);
    EXPECT_EQ(batch[0].attempt, attempt);
    ASSERT_OK(c->Nack(bad, "cannot bill"));
  }
  auto parked = store_->ListParked("billing");
  ASSERT_OK(parked.status());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].event.position, bad);
  EXPECT_NE((*parked)[0].error.find("cannot bill"), std::string::npos) << (*parked)[0].error;
  // Parked counts as handled: the checkpoint passes it (and may pass the
  // parked copy, which the subscription never delivers).
  EXPECT_GE(store_->GetCheckpoint("billing")->value(), bad.value());
  EXPECT_EQ(Info("billing").parked, 1u);

  ASSERT_EQ(*store_->ReplayParked("billing"), 1u);
  std::vector<HostedEvent> replayed = Take(*c, 10);
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_TRUE(replayed[0].replayed);
  EXPECT_EQ(replayed[0].event.position, bad);
  EXPECT_EQ(replayed[0].event.stream, "a-1");
  ASSERT_OK(c->Ack(replayed));
  EXPECT_EQ(Info("billing").parked, 0u);
}

TEST_F(HostedSubscriptions, AnEventWhoseConsumersKeepDetachingIsParkedAfterMaxAttempts) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing", .max_attempts = 3}));
  const Position poison = Add("a-1");
  const Position next = Add("a-1");
  // Each consumer dies on it, the only one attached: its broker goes with it.
  for (uint32_t attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_NO_FATAL_FAILURE(TakeAndDetach("billing", poison, attempt));
  }
  auto c = Consume("billing");
  // a-1's next event comes only once the poison is parked.
  std::vector<HostedEvent> batch = Take(*c, 10);
  ASSERT_EQ(Positions(batch), (std::set<uint64_t>{next.value()}));
  EXPECT_EQ(batch[0].attempt, 1u);
  auto parked = store_->ListParked("billing");
  ASSERT_OK(parked.status());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].event.position, poison);
  EXPECT_NE((*parked)[0].error.find("detached"), std::string::npos) << (*parked)[0].error;
  ASSERT_OK(c->Ack(batch));
  // Past both (and the parked copy, which is never delivered).
  EXPECT_GE(store_->GetCheckpoint("billing")->value(), next.value());
}

TEST_F(HostedSubscriptions, AnEventWhoseLastAttemptEndsInADetachIsParkedWhileOthersStay) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing", .max_attempts = 2}));
  const Position poison = Add("a-1");
  const Position next = Add("a-1");
  auto survivor = Consume("billing");
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_NO_FATAL_FAILURE(TakeAndDetach("billing", poison, attempt));
  }
  std::vector<HostedEvent> batch = Take(*survivor, 10);
  ASSERT_EQ(Positions(batch), (std::set<uint64_t>{next.value()}));
  auto parked = store_->ListParked("billing");
  ASSERT_OK(parked.status());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].event.position, poison);
}

TEST_F(HostedSubscriptions, AttemptCountsSurviveAReopen) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  const Position acked = Add("a-1");
  const Position held = Add("b-1");
  {
    auto c = Consume("billing");
    std::vector<HostedEvent> batch = Take(*c, 10);
    ASSERT_EQ(Positions(batch), (std::set<uint64_t>{acked.value(), held.value()}));
    ASSERT_OK(c->Ack(std::vector<Position>{acked}));
  }
  Reopen();
  auto c = Consume("billing");
  std::vector<HostedEvent> again = Take(*c, 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].event.position, held);
  EXPECT_EQ(again[0].attempt, 2u);
  ASSERT_OK(c->Ack(again));
}

TEST_F(HostedSubscriptions, ASubscriptionCreatedAgainAfterADeleteCountsAttemptsAfresh) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  Add("a-1");
  {
    auto c = Consume("billing");
    ASSERT_EQ(Take(*c, 10).size(), 1u);
  }
  ASSERT_OK(store_->DeleteSubscription("billing"));
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  auto c = Consume("billing");
  std::vector<HostedEvent> batch = Take(*c, 10);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].attempt, 1u);
}

TEST_F(HostedSubscriptions, AReopenRedeliversOnlyTheUnacknowledged) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  for (int i = 0; i < 4; ++i) Add("a-1");
  {
    auto c = Consume("billing");
    std::vector<HostedEvent> batch = Take(*c, 2);
    ASSERT_EQ(Positions(batch), (std::set<uint64_t>{1, 2}));
    ASSERT_OK(c->Ack(batch));
    EXPECT_EQ(Positions(Take(*c, 2)), (std::set<uint64_t>{3, 4}));
  }
  Reopen();
  auto c = Consume("billing");
  std::vector<HostedEvent> again = Take(*c, 10);
  EXPECT_EQ(Positions(again), (std::set<uint64_t>{3, 4}));
}

TEST_F(HostedSubscriptions, EventsAcknowledgedAboveTheCheckpointAreNotRedeliveredAfterAReopen) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  for (const char* stream : {"a-1", "b-1", "b-1"}) Add(stream);
  HandleAboveTheCheckpoint(/*park=*/false);
  Reopen();
  auto c = Consume("billing");
  EXPECT_EQ(Remaining(*c), (std::set<uint64_t>{1}));
  EXPECT_EQ(store_->GetCheckpoint("billing")->value(), 3u);
}

TEST_F(HostedSubscriptions, EventsAcknowledgedAboveTheCheckpointAreNotRedeliveredToTheNextConsumer) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  for (const char* stream : {"a-1", "b-1", "b-1"}) Add(stream);
  HandleAboveTheCheckpoint(/*park=*/false);
  // Both consumers are gone: the next one starts the subscription afresh.
  auto c = Consume("billing");
  EXPECT_EQ(Remaining(*c), (std::set<uint64_t>{1}));
}

TEST_F(HostedSubscriptions, AnEventParkedAboveTheCheckpointIsNotParkedAgainAfterAReopen) {
  // Two: event 1's one delivery, ended by its consumer going, is not its
  // last.
  ASSERT_OK(store_->CreateSubscription({.name = "billing", .max_attempts = 2}));
  for (const char* stream : {"a-1", "b-1", "b-1"}) Add(stream);
  HandleAboveTheCheckpoint(/*park=*/true);
  Reopen();
  auto c = Consume("billing");
  EXPECT_EQ(Remaining(*c), (std::set<uint64_t>{1}));
  auto parked = store_->ListParked("billing");
  ASSERT_OK(parked.status());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].event.position, Position(2));
}

TEST_F(HostedSubscriptions, ASubscriptionHoldsATrimBack) {
  for (int i = 0; i < 10; ++i) Add("a-1");
  ASSERT_OK(store_->CreateSubscription({.name = "billing", .start = FeedStart::At(Position(3))}));
  auto trim = store_->Trim("a-1", {.before = Version(8), .require_snapshot = false});
  ASSERT_OK(trim.status());
  EXPECT_EQ(trim->first_kept, Version(3));
  EXPECT_EQ(trim->limit, TrimLimit::kSubscription);
  EXPECT_EQ(trim->held_by, "subscription 'billing'");
  Status s = store_->SetStreamMetadata("a-1", {.truncate_before = Version(6)});
  EXPECT_TRUE(s.IsConditionFailed()) << s.ToString();
  EXPECT_NE(s.message().find("subscription 'billing'"), std::string::npos) << s.message();
}

TEST_F(HostedSubscriptions, LagCountsOnlyTheEventsTheFilterMatches) {
  ASSERT_OK(store_->CreateSubscription({.name = "orders", .category = "order"}));
  ASSERT_OK(store_->CreateSubscription({.name = "paid", .event_type = "Paid"}));
  ASSERT_OK(store_->CreateSubscription({.name = "order-paid", .category = "order", .event_type = "Paid"}));
  ASSERT_OK(store_->CreateSubscription({.name = "all"}));
  Add("order-1", "Placed");
  Add("order-1", "Paid");
  Add("user-1", "Paid");
  Add("user-1", "Renamed");
  Add("order-2", "Placed");
  EXPECT_EQ(Info("orders").lag, 3u);
  EXPECT_EQ(Info("paid").lag, 2u);
  EXPECT_EQ(Info("order-paid").lag, 1u);
  EXPECT_EQ(Info("all").lag, 5u);
  auto c = Consume("orders");
  std::vector<HostedEvent> batch = Take(*c, 1);
  ASSERT_OK(c->Ack(batch));
  EXPECT_EQ(Info("orders").lag, 2u);
}

TEST_F(HostedSubscriptions, AFilteredSubscriptionDeliversOnlyWhatItMatches) {
  ASSERT_OK(store_->CreateSubscription({.name = "orders", .category = "order"}));
  Add("user-1");
  const Position order = Add("order-1");
  Add("user-1");
  auto c = Consume("orders");
  std::vector<HostedEvent> batch = Take(*c, 10);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].event.position, order);
  ASSERT_OK(c->Ack(batch));
}

TEST_F(HostedSubscriptions, StartingLatestSkipsWhatIsAlreadyThere) {
  Add("a-1");
  ASSERT_OK(store_->CreateSubscription({.name = "billing", .start = FeedStart::Latest()}));
  const Position fresh = Add("a-1");
  auto c = Consume("billing");
  std::vector<HostedEvent> batch = Take(*c, 10);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].event.position, fresh);
}

TEST_F(HostedSubscriptions, CreatingAgainIsANoOpUnlessTheDefinitionDiffers) {
  Result<bool> first = store_->CreateSubscription({.name = "billing", .category = "order"});
  ASSERT_OK(first);
  EXPECT_TRUE(*first) << "the first create creates it";
  Result<bool> again = store_->CreateSubscription({.name = "billing", .category = "order"});
  ASSERT_OK(again);
  EXPECT_FALSE(*again) << "the same definition again changes nothing";
  Status other = store_->CreateSubscription({.name = "billing", .category = "user"}).status();
  EXPECT_TRUE(other.IsInvalidArgument()) << other.ToString();
  EXPECT_NE(other.message().find("already exists"), std::string::npos) << other.message();
  ASSERT_OK(store_->SetCheckpoint("connector", Position(0)));
  EXPECT_TRUE(store_->CreateSubscription({.name = "connector"}).status().IsInvalidArgument());
  EXPECT_TRUE(store_->CreateSubscription({.name = "a/b"}).status().IsInvalidArgument());
  EXPECT_TRUE(store_->CreateSubscription({.name = "x", .max_attempts = 0}).status().IsInvalidArgument());
}

TEST_F(HostedSubscriptions, DeleteRemovesItUnlessConsumed) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing"}));
  {
    auto c = Consume("billing");
    EXPECT_TRUE(store_->DeleteSubscription("billing").IsBusy());
  }
  ASSERT_OK(store_->DeleteSubscription("billing"));
  EXPECT_TRUE(store_->DeleteSubscription("billing").IsNotFound());
  EXPECT_TRUE(store_->Consume("billing").status().IsNotFound());
  auto list = store_->ListSubscriptions();
  ASSERT_OK(list.status());
  for (const SubscriptionInfo& info : *list) EXPECT_NE(info.name, "billing");
}

TEST_F(HostedSubscriptions, AnUnacknowledgedEventIsRedeliveredAfterTheAckTimeout) {
  ASSERT_OK(store_->CreateSubscription({.name = "billing", .ack_timeout = milliseconds(1)}));
  const Position p = Add("a-1");
  auto c = Consume("billing");
  std::vector<HostedEvent> first = Take(*c, 10);
  ASSERT_EQ(first.size(), 1u);
  // Not acknowledged: it comes back (to any consumer, here the same).
  std::vector<HostedEvent> again = Take(*c, 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].event.position, p);
  EXPECT_EQ(again[0].attempt, 2u);
  ASSERT_OK(c->Ack(again));
}

}  // namespace
}  // namespace evlog
