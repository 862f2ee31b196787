// Hosted subscriptions through evlogd (issue #17): competing remote
// consumers share the events, each stream in order; a consumer whose
// session ends gives its unacknowledged events back; nack, retry, park; the
// per-session consumer limit; a waiting fetch holds up nothing else on its
// session; a client refuses the requests to an evlogd older than them.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "frame.h"
#include "integration/daemon_fixture.h"
#include "integration/older_daemon.h"
#include "testutil/eventually.h"

namespace evlog {
namespace {

using testutil::DaemonTest;
using RemoteHostedSubscriptions = DaemonTest;

// A bound against a hang, never a timing assertion.
constexpr auto kConsumerPatience = std::chrono::seconds(10);

void AppendRoundRobin(Client& c, int streams, int events) {
  for (int i = 0; i < events; ++i) {
    auto r = c.Append("order-" + std::to_string(i % streams), ExpectedVersion::Any(),
                      {EventData{.type = "Placed", .data = std::to_string(i)}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
}

TEST_F(RemoteHostedSubscriptions, TwoCompetingConsumersGetEveryEventOnceEachStreamInOrder) {
  auto setup = Connect();
  ASSERT_TRUE(setup.ok());
  ASSERT_TRUE((*setup)->CreateSubscription({.name = "billing", .category = "order"}).ok());
  constexpr int kEvents = 200;
  AppendRoundRobin(**setup, 7, kEvents);

  std::mutex mu;
  std::map<uint64_t, int> deliveries;  // position -> times delivered
  std::atomic<int> acked{0};
  auto consume = [&](std::vector<HostedEvent>* got) {
    auto client = Connect();
    ASSERT_TRUE(client.ok());
    auto consumer = (*client)->Consume("billing");
    ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
    const auto deadline = std::chrono::steady_clock::now() + kConsumerPatience;
    while (acked.load() < kEvents && std::chrono::steady_clock::now() < deadline) {
      auto batch = (*consumer)->Next(16, std::chrono::milliseconds(50));
      ASSERT_TRUE(batch.ok()) << batch.status().ToString();
      {
        std::lock_guard<std::mutex> lock(mu);
        for (const HostedEvent& e : *batch) ++deliveries[e.event.position.value()];
      }
      got->insert(got->end(), batch->begin(), batch->end());
      ASSERT_TRUE((*consumer)->Ack(*batch).ok());
      acked += static_cast<int>(batch->size());
    }
  };
  std::array<std::vector<HostedEvent>, 2> got;
  std::thread a(consume, &got[0]);
  std::thread b(consume, &got[1]);
  a.join();
  b.join();

  ASSERT_EQ(deliveries.size(), static_cast<size_t>(kEvents));
  for (const auto& [position, times] : deliveries) EXPECT_EQ(times, 1) << position;
  // Each consumer saw each stream's events in version order.
  for (const auto& mine : got) {
    std::map<std::string, uint64_t> last;
    for (const HostedEvent& e : mine) {
      EXPECT_GT(e.event.version.value(), last[e.event.stream]) << e.event.stream;
      last[e.event.stream] = e.event.version.value();
      EXPECT_EQ(e.attempt, 1u);
    }
  }
  auto listed = (*setup)->ListSubscriptions();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].checkpoint, Position(kEvents));
  EXPECT_EQ((*listed)[0].lag, 0u);
}

// A session that ends with events unacknowledged (the client vanished)
// gives them back: another consumer gets them, as a second attempt.
TEST_F(RemoteHostedSubscriptions, AConsumerWhoseSessionDropsHasItsEventsRedelivered) {
  auto c = Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->CreateSubscription({.name = "billing"}).ok());
  AppendRoundRobin(**c, 3, 6);

  auto raw = testutil::RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Hello());
  ASSERT_TRUE(raw->Send(server::EncodeRequest({5, server::OpenConsumerRequest{"billing"}})));
  auto opened = raw->ReadResponse();
  ASSERT_TRUE(opened.has_value());
  ASSERT_EQ(std::get<server::ConsumerOpenedResponse>(opened->body).consumer, 5u);
  // The subscription reads the log on a thread of its own: fetch until
  // the consumer holds all six.
  size_t held = 0;
  for (uint64_t id = 6; held < 6 && id < 100; ++id) {
    ASSERT_TRUE(raw->Send(server::EncodeRequest(
        {id, server::ConsumerFetchRequest{5, 100, std::chrono::milliseconds(5000)}})));
    auto fetched = raw->ReadResponse();
    ASSERT_TRUE(fetched.has_value());
    held += std::get<server::ConsumerEventsResponse>(fetched->body).events.size();
  }
  ASSERT_EQ(held, 6u);
  // Another consumer, attached before the drop (it keeps the subscription's
  // state: with none left, the next would start afresh from the checkpoint).
  auto consumer = (*c)->Consume("billing");
  ASSERT_TRUE(consumer.ok());
  raw.reset();  // The session drops; nothing was acknowledged.

  std::set<uint64_t> again;
  const auto deadline = std::chrono::steady_clock::now() + kConsumerPatience;
  while (again.size() < 6 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->Next(100, std::chrono::milliseconds(100));
    ASSERT_TRUE(batch.ok());
    for (const HostedEvent& e : *batch) {
      EXPECT_EQ(e.attempt, 2u);
      again.insert(e.event.position.value());
    }
    ASSERT_TRUE((*consumer)->Ack(*batch).ok());
  }
  EXPECT_EQ(again, (std::set<uint64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(RemoteHostedSubscriptions, ANackedEventIsRetriedThenParked) {
  auto c = Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->CreateSubscription({.name = "billing",
                                        .max_attempts = 2,
                                        .initial_backoff = std::chrono::milliseconds(1),
                                        .max_backoff = std::chrono::milliseconds(1)})
                  .ok());
  AppendRoundRobin(**c, 1, 1);
  auto consumer = (*c)->Consume("billing");
  ASSERT_TRUE(consumer.ok());
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    auto batch = (*consumer)->Next(10, kConsumerPatience);
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ(batch->size(), 1u);
    EXPECT_EQ((*batch)[0].attempt, attempt);
    ASSERT_TRUE((*consumer)->Nack((*batch)[0].event.position, "no card").ok());
  }
  auto parked = (*c)->ListParked("billing");
  ASSERT_TRUE(parked.ok());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].event.position, Position(1));
  EXPECT_NE((*parked)[0].error.find("no card"), std::string::npos) << (*parked)[0].error;
  // Once the subscription has read past the parked copy (a system stream,
  // never delivered), nothing is left for the consumer.
  EXPECT_TRUE(testutil::Eventually([&] { return (*consumer)->CaughtUp(); }, kConsumerPatience));
}

TEST_F(RemoteHostedSubscriptions, ThePerSessionConsumerLimitIsAClearBusyError) {
  StopServer();
  server::ServerOptions options;
  options.session.max_consumers = 2;
  StartServer(options);
  auto c = Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->CreateSubscription({.name = "billing"}).ok());
  auto first = (*c)->Consume("billing");
  auto second = (*c)->Consume("billing");
  ASSERT_TRUE(first.ok() && second.ok());
  auto third = (*c)->Consume("billing");
  EXPECT_TRUE(third.status().IsBusy()) << third.status().ToString();
  EXPECT_NE(third.status().message().find("--max-consumers-per-session"), std::string::npos);
  // The session goes on, and a closed consumer frees its slot.
  first->reset();
  EXPECT_TRUE((*c)->Consume("billing").ok());
  // Another session has its own.
  auto other = Connect();
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*other)->Consume("billing").ok());
}

TEST_F(RemoteHostedSubscriptions, CreateAndDeleteBehaveAsTheEmbeddedStore) {
  auto c = Connect();
  ASSERT_TRUE(c.ok());
  Result<bool> first = (*c)->CreateSubscription({.name = "billing", .event_type = "Paid"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  Result<bool> again = (*c)->CreateSubscription({.name = "billing", .event_type = "Paid"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(*again);
  EXPECT_TRUE((*c)->CreateSubscription({.name = "billing", .event_type = "Other"})
                  .status()
                  .IsInvalidArgument());
  EXPECT_TRUE((*c)->CreateSubscription({.name = "a/b"}).status().IsInvalidArgument());
  {
    auto consumer = (*c)->Consume("billing");
    ASSERT_TRUE(consumer.ok());
    EXPECT_TRUE((*c)->DeleteSubscription("billing").IsBusy());
  }
  EXPECT_TRUE((*c)->DeleteSubscription("billing").ok());
  EXPECT_TRUE((*c)->DeleteSubscription("billing").IsNotFound());
  EXPECT_TRUE((*c)->Consume("billing").status().IsNotFound());
}

// Closing a consumer is answered once the subscription has let it go, so
// the delete that follows never finds it busy (the daemon detaches consumers
// on its read pool, beside the delete).
TEST_F(RemoteHostedSubscriptions, ADeleteRightAfterClosingTheLastConsumerSucceeds) {
  auto c = Connect();
  ASSERT_TRUE(c.ok());
  for (int round = 0; round < 50; ++round) {
    SCOPED_TRACE(round);
    ASSERT_TRUE((*c)->CreateSubscription({.name = "billing"}).ok());
    {
      auto consumer = (*c)->Consume("billing");
      ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
    }
    Status deleted = (*c)->DeleteSubscription("billing");
    ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  }
}

// A subscription the daemon hosts holds trims back until its consumers
// acknowledge, through the daemon as in the embedded store.
TEST_F(RemoteHostedSubscriptions, TheCheckpointItsConsumersMoveHoldsATrimBack) {
  auto c = Connect();
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE((*c)->Append("a-1", ExpectedVersion::Any(), {EventData{.type = "T"}}).ok());
  }
  ASSERT_TRUE(
      (*c)->CreateSubscription({.name = "billing", .start = FeedStart::At(Position(3))}).ok());
  auto held = (*c)->Trim("a-1", {.before = Version(8), .require_snapshot = false});
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(held->first_kept, Version(3));
  EXPECT_EQ(held->limit, TrimLimit::kSubscription);
  EXPECT_EQ(held->held_by, "subscription 'billing'");

  auto consumer = (*c)->Consume("billing");
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  std::vector<HostedEvent> batch;
  for (int tries = 0; tries < 50 && batch.size() < 3; ++tries) {
    auto more = (*consumer)->Next(3 - batch.size(), kConsumerPatience);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    batch.insert(batch.end(), more->begin(), more->end());
  }
  ASSERT_EQ(batch.size(), 3u);  // positions 3, 4 and 5
  ASSERT_TRUE((*consumer)->Ack(batch).ok());
  auto moved = (*c)->Trim("a-1", {.before = Version(8), .require_snapshot = false});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->first_kept, Version(6));
  EXPECT_EQ(moved->limit, TrimLimit::kSubscription);
}

// A fetch that waits holds up neither the session's other requests nor
// its network thread: a Stats on the same session is answered meanwhile,
// and the event appended after it ends the wait.
TEST_F(RemoteHostedSubscriptions, AWaitingFetchLetsTheSessionsOtherRequestsThrough) {
  auto c = Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->CreateSubscription({.name = "billing"}).ok());
  auto consumer = (*c)->Consume("billing");
  ASSERT_TRUE(consumer.ok());
  auto next = std::async(std::launch::async,
                         [&] { return (*consumer)->Next(10, std::chrono::seconds(5)); });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*c)->Stats().ok());
  AppendRoundRobin(**c, 1, 1);
  auto batch = next.get();
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].event.position, Position(1));
}

// evlogd's --max-consumers-per-session sets the cap; 0 is a usage error.
TEST(EvlogdHostedFlags, MaxConsumersPerSessionSetsTheCap) {
  testutil::TempDir dir;
  auto refused = testutil::ChildProcess::Start({EVLOGD_PATH, "--db", dir.Sub("s"), "--listen",
                                                "127.0.0.1:0", "--max-consumers-per-session", "0"});
  ASSERT_NE(refused, nullptr);
  const int refused_status = refused->Wait();
  EXPECT_TRUE(WIFEXITED(refused_status) && WEXITSTATUS(refused_status) == 2);

  uint16_t port = 0;
  auto daemon = testutil::StartEvlogd(
      {"--db", dir.Sub("s"), "--listen", "127.0.0.1:0", "--max-consumers-per-session", "1"}, port);
  ASSERT_NE(daemon, nullptr);
  {
    auto c = Client::Connect(ClientOptions{.port = port});
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->CreateSubscription({.name = "billing"}).ok());
    auto first = (*c)->Consume("billing");
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_TRUE((*c)->Consume("billing").status().IsBusy());
  }
  const int status = daemon->KillAndWait(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// An evlogd older than hosted subscriptions: a HelloOk without the flag,
// then it counts the frames it is sent until the client closes.
TEST(RemoteHostedOlderDaemon, HostedSubscriptionsAreRefusedWithNothingSent) {
  testutil::OlderDaemon old_daemon(
      server::HelloOkResponse{.max_frame_bytes = 1 << 20, .max_in_flight = 16});
  const uint16_t port = old_daemon.port();
  {
    Result<std::unique_ptr<Client>> c = Client::Connect(ClientOptions{.port = port});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    const Status created = (*c)->CreateSubscription({.name = "billing"}).status();
    EXPECT_TRUE(created.IsNotSupported()) << created.ToString();
    EXPECT_NE(created.message().find("older"), std::string::npos);
    EXPECT_TRUE((*c)->DeleteSubscription("billing").IsNotSupported());
    EXPECT_TRUE((*c)->Consume("billing").status().IsNotSupported());
  }
  EXPECT_EQ(old_daemon.FramesAfterHello(), 0);
}

}  // namespace
}  // namespace evlog
