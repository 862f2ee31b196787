// evlog::Client reconnecting to a restarted evlogd and retrying what was
// unanswered, with the same event ids.

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "client.h"
#include "evlog/store.h"
#include "integration/daemon_fixture.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog::testutil {
namespace {

using Reconnect = EvlogdProcessTest;

// Sends evlogd SIGTERM: it must drain and exit with status 0.
void ExpectCleanExit(ChildProcess& daemon) {
  const int status = daemon.KillAndWait(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(Reconnect, AppendsRetriedAcrossADaemonCrashAreAppliedExactlyOnce) {
  const std::string db = store();
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  Result<std::unique_ptr<Client>> c = ConnectToDaemon({.reconnect_for = std::chrono::seconds(20)});
  ASSERT_TRUE(c.ok()) << c.status().ToString();

  constexpr int kAppends = 4000;
  std::mutex mu;
  std::condition_variable cv;
  int ok = 0, deduplicated = 0;
  std::vector<std::string> failures;
  std::set<uint64_t> positions;
  for (int i = 0; i < kAppends; ++i) {
    AppendRequest r;
    r.streams.push_back(
        StreamAppend{"retry-" + std::to_string(i % 8), ExpectedVersion::Any(), {Ev("T")}});
    r.durability = Durability::kBuffered;  // survives a process crash
    (*c)->AppendAsync(std::move(r), [&](Result<AppendResult> result) {
      std::lock_guard lock(mu);
      if (result.ok()) {
        ++ok;
        if (result->deduplicated) ++deduplicated;
        positions.insert(result->streams[0].first_position.value());
      } else {
        failures.push_back(result.status().ToString());
      }
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return ok >= 500; }));
  }
  ASSERT_NO_FATAL_FAILURE(RestartDaemonOnSamePort());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20),
                            [&] { return ok + static_cast<int>(failures.size()) == kAppends; }));
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  EXPECT_EQ(ok, kAppends);
  EXPECT_EQ(positions.size(), static_cast<size_t>(kAppends)) << "two appends got one position";
  c->reset();
  const int status = daemon_->KillAndWait(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  Result<std::unique_ptr<Store>> store = Store::Open(Options{.create_if_missing = false}, db);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::set<Uuid> ids;
  uint64_t stored = 0;
  for (auto it = (*store)->ReadAll().value(); it->Valid(); it->Next()) {
    ++stored;
    ids.insert(it->event().id);
    EXPECT_EQ(positions.count(it->event().position.value()), 1u);
  }
  EXPECT_EQ(stored, static_cast<uint64_t>(kAppends)) << "lost or doubled appends";
  EXPECT_EQ(ids.size(), static_cast<size_t>(kAppends));
  std::printf("%d appends, %d answered as deduplicated after the crash\n", kAppends, deduplicated);
}

TEST_F(Reconnect, ASubscriptionResumesAcrossADaemonRestartWithoutGapOrDuplicate) {
  const std::string db = store();
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  Result<std::unique_ptr<Client>> c = ConnectToDaemon({.reconnect_for = std::chrono::seconds(20)});
  ASSERT_TRUE(c.ok()) << c.status().ToString();

  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> seen;
  std::vector<std::string> errors;
  auto sub = (*c)->Subscribe({.feed = {.start = FeedStart::Oldest()}, .window = 32},
                             [&](Result<std::vector<OwnedEvent>> events) {
                               std::lock_guard lock(mu);
                               if (!events.ok()) {
                                 errors.push_back(events.status().ToString());
                               } else {
                                 for (const OwnedEvent& e : *events) {
                                   seen.push_back(e.position.value());
                                 }
                               }
                               cv.notify_all();
                             });
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  auto append = [&](int n) {
    for (int i = 0; i < n; ++i) {
      AppendRequest r;
      r.streams.push_back(StreamAppend{"sub-1", ExpectedVersion::Any(), {Ev("T")}});
      r.durability = Durability::kBuffered;
      ASSERT_TRUE((*c)->Append(std::move(r)).ok());
    }
  };
  auto wait_for = [&](size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20), [&] { return seen.size() >= n; });
  };
  append(150);
  ASSERT_TRUE(wait_for(150));
  ASSERT_NO_FATAL_FAILURE(RestartDaemonOnSamePort());
  append(150);  // reconnects; the subscription resumes on the new session
  ASSERT_TRUE(wait_for(300)) << seen.size() << " events seen";
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(errors.empty()) << errors.front();
    ASSERT_EQ(seen.size(), 300u);
    for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], i + 1) << "gap or duplicate";
  }
  EXPECT_EQ((*sub)->position(), Position(300));
  ASSERT_TRUE((*sub)->Cancel().ok());
  sub->reset();
  c->reset();
  ExpectCleanExit(*daemon_);
}

TEST_F(Reconnect, WithoutReconnectALostDaemonFailsPendingCallsWithIOError) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  Result<std::unique_ptr<Client>> c = ConnectToDaemon();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Stats().ok());
  daemon_->KillAndWait(SIGKILL);
  const Status s = (*c)->Stats().status();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE((*c)->connected());
}

// A consumer of a hosted subscription lives on its session: once the
// client has reconnected it attaches again. The batch it held unacknowledged
// comes again, and acknowledging the old batch changes nothing.
TEST_F(Reconnect, AHostedConsumerAttachesAgainAfterTheDaemonRestarts) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  Result<std::unique_ptr<Client>> c = ConnectToDaemon({.reconnect_for = std::chrono::seconds(20)});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE((*c)->CreateSubscription({.name = "billing"}).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*c)->Append("order-" + std::to_string(i), ExpectedVersion::Any(), {Ev("T")}).ok());
  }
  auto consumer = (*c)->Consume("billing");
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  // The subscription reads the log on a thread of its own: take until the
  // consumer holds all three.
  std::vector<HostedEvent> before;
  for (int i = 0; i < 50 && before.size() < 3; ++i) {
    auto batch = (*consumer)->Next(10, std::chrono::seconds(10));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    before.insert(before.end(), batch->begin(), batch->end());
  }
  ASSERT_EQ(before.size(), 3u);

  ASSERT_NO_FATAL_FAILURE(RestartDaemonOnSamePort());
  EXPECT_TRUE((*consumer)->Ack(before).ok());  // of the lost session: ignored
  std::set<uint64_t> again;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (again.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->Next(10, std::chrono::milliseconds(200));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    for (const HostedEvent& e : *batch) again.insert(e.event.position.value());
    ASSERT_TRUE((*consumer)->Ack(*batch).ok());
  }
  EXPECT_EQ(again, (std::set<uint64_t>{1, 2, 3}));
  auto listed = (*c)->ListSubscriptions();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].checkpoint, Position(3));
  consumer->reset();
  c->reset();
  ExpectCleanExit(*daemon_);
}

// Two consumers of one hosted subscription, each on a client of its own,
// compete across an evlogd kill -9: between them every event is handled
// once. What was acknowledged before the kill (acknowledgements above the
// checkpoint included) is never delivered again; what was delivered and not
// acknowledged is, and each stream's events come in order.
TEST_F(Reconnect, CompetingHostedConsumersHandleEveryEventOnceAcrossADaemonKill) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  const ClientOptions options{.reconnect_for = std::chrono::seconds(20)};
  std::array<std::unique_ptr<Client>, 2> clients;
  std::array<std::unique_ptr<SubscriptionConsumer>, 2> consumers;
  for (int i = 0; i < 2; ++i) {
    Result<std::unique_ptr<Client>> c = ConnectToDaemon(options);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    clients[i] = std::move(c).value();
  }
  ASSERT_TRUE(clients[0]->CreateSubscription({.name = "billing", .max_in_flight = 100}).ok());
  constexpr int kPerStream = 4;
  for (int v = 0; v < kPerStream; ++v) {
    for (const char* stream : {"a-1", "b-1", "c-1"}) {
      ASSERT_TRUE(clients[0]->Append(stream, ExpectedVersion::Any(), {Ev("T")}).ok());
    }
  }
  for (int i = 0; i < 2; ++i) {
    auto consumer = clients[i]->Consume("billing");
    ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
    consumers[i] = std::move(consumer).value();
  }
  // Per stream, the versions handled so far, in the order they were.
  std::map<std::string, std::vector<uint64_t>> handled;
  std::set<uint64_t> acked;
  auto take = [&](int i, size_t max) {
    auto batch = consumers[i]->Next(max, std::chrono::seconds(10));
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    return batch.ok() ? std::move(batch).value() : std::vector<HostedEvent>{};
  };
  auto ack = [&](int i, const std::vector<HostedEvent>& batch) {
    ASSERT_TRUE(consumers[i]->Ack(batch).ok());
    for (const HostedEvent& e : batch) {
      EXPECT_TRUE(acked.insert(e.event.position.value()).second)
          << "position " << e.event.position.value() << " handled twice";
      handled[e.event.stream].push_back(e.event.version.value());
    }
  };
  // Before the kill: the first consumer holds a batch it never
  // acknowledges; the second acknowledges what it gets.
  std::vector<HostedEvent> held;
  for (int tries = 0; tries < 50 && held.empty(); ++tries) held = take(0, 2);
  ASSERT_FALSE(held.empty());
  for (int tries = 0; tries < 50 && acked.size() < 4; ++tries) ack(1, take(1, 2));
  ASSERT_GE(acked.size(), 4u);

  ASSERT_NO_FATAL_FAILURE(RestartDaemonOnSamePort());
  const std::set<uint64_t> acked_before = acked;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int i = 0; acked.size() < 3 * kPerStream && std::chrono::steady_clock::now() < deadline;
       i = 1 - i) {
    std::vector<HostedEvent> batch = take(i, 3);
    for (const HostedEvent& e : batch) {
      EXPECT_FALSE(acked_before.contains(e.event.position.value()))
          << "position " << e.event.position.value() << " was acknowledged before the kill";
    }
    ack(i, batch);
  }
  EXPECT_EQ(acked.size(), 3u * kPerStream);
  for (const auto& [stream, versions] : handled) {
    EXPECT_TRUE(std::is_sorted(versions.begin(), versions.end())) << stream;
  }
  for (auto& consumer : consumers) consumer.reset();
  for (auto& client : clients) client.reset();
  ExpectCleanExit(*daemon_);
}

}  // namespace
}  // namespace evlog::testutil
