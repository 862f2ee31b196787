// evlog-kafka's --connect form: RemoteSource through evlogd (a child
// process on 127.0.0.1), its checkpoint file, and a daemon restart.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "integration/daemon_fixture.h"
#include "kafka/connector.h"
#include "kafka/source_remote.h"
#include "mock_kafka.h"
#include "testutil/child_process.h"
#include "testutil/eventually.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog::kafka {
namespace {

using testutil::ChildProcess;
using testutil::KafkaMessage;
using testutil::kWait;
using testutil::MockKafka;
using testutil::StartEvlogd;

class RemoteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    evlogd_ = StartEvlogd(dir_.Sub("store"), "127.0.0.1:0", port_);
    ASSERT_NE(evlogd_, nullptr);
  }

  // Stops evlogd with SIGTERM and starts it again on the same port.
  void RestartEvlogd() {
    const int status = evlogd_->KillAndWait(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status)) << status;
    uint16_t port = 0;
    evlogd_ = StartEvlogd(dir_.Sub("store"), "127.0.0.1:" + std::to_string(port_), port);
    ASSERT_NE(evlogd_, nullptr);
  }

  ClientOptions Client() const { return {.host = "127.0.0.1", .port = port_}; }

  // Appends `n` events to order-0..2 through the daemon.
  void AppendEvents(int n) {
    auto client = evlog::Client::Connect(Client());
    ASSERT_OK(client.status());
    for (int i = 0; i < n; ++i) {
      ASSERT_OK((*client)
                    ->Append({.streams = {{"order-" + std::to_string(i % 3),
                                           ExpectedVersion::Any(),
                                           {testutil::Ev("T", "data")}}}})
                    .status());
    }
  }

  ConnectorOptions Options() {
    return {.producer = {
                .brokers = kafka_.bootstraps(),
                .topic = "events",
                .config = {{"reconnect.backoff.max.ms", "200"}}}};
  }
  SourceOptions Source() {
    return {.batch_events = 10,
            .initial_backoff = std::chrono::milliseconds(10),
            .max_backoff = std::chrono::milliseconds(200)};
  }

  // Runs a connector over a RemoteSource until its checkpoint reaches
  // `until`; returns the events it delivered. The checkpoint is in
  // `file`, or with an empty one in the daemon's store as "kafka-events".
  uint64_t RunUntil(Position until, const std::string& file) {
    SourceOptions options = Source();
    if (file.empty()) options.subscription = "kafka-events";
    RemoteSource source(Client(), file, options);
    auto c = Connector::Create(Options(), source);
    EXPECT_OK(c.status());
    if (!c.ok()) return 0;
    std::atomic<bool> stop{false};
    Status result;
    std::thread t([&] { result = (*c)->Run(stop); });
    EXPECT_OK(source.WaitFor(until, kWait));
    stop.store(true);
    t.join();
    EXPECT_OK(result);
    return (*c)->delivered_events();
  }

  std::string checkpoint_file() const { return dir_.Sub("kafka.checkpoint"); }

  testutil::TempDir dir_;
  std::unique_ptr<ChildProcess> evlogd_;
  uint16_t port_ = 0;
  MockKafka kafka_{"events", 2};
};

std::set<uint64_t> Positions(const std::vector<KafkaMessage>& msgs) {
  std::set<uint64_t> out;
  for (const KafkaMessage& m : msgs) out.insert(m.position());
  return out;
}

TEST_F(RemoteSourceTest, DeliversAndResumesFromTheCheckpointFile) {
  AppendEvents(30);
  EXPECT_EQ(RunUntil(Position(30), checkpoint_file()), 30u);
  Result<Position> stored = RemoteSource::ReadCheckpoint(checkpoint_file());
  ASSERT_OK(stored.status());
  EXPECT_EQ(*stored, Position(30));

  AppendEvents(20);
  EXPECT_EQ(RunUntil(Position(50), checkpoint_file()), 20u);
  std::vector<KafkaMessage> msgs = kafka_.ReadAll(50);
  EXPECT_EQ(msgs.size(), 50u);
  EXPECT_EQ(Positions(msgs).size(), 50u);
}

// Without a checkpoint file the daemon's store keeps the checkpoint: a
// durable consumer listed with its lag, surviving a daemon restart.
TEST_F(RemoteSourceTest, DeliversAndResumesFromTheCheckpointTheDaemonKeeps) {
  AppendEvents(30);
  EXPECT_EQ(RunUntil(Position(30), ""), 30u);
  {
    auto client = evlog::Client::Connect(Client());
    ASSERT_OK(client.status());
    EXPECT_EQ(*(*client)->GetCheckpoint("kafka-events"), Position(30));
    auto listed = (*client)->ListSubscriptions();
    ASSERT_OK(listed.status());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].name, "kafka-events");
    EXPECT_EQ((*listed)[0].lag, 0u);
  }
  ASSERT_NO_FATAL_FAILURE(RestartEvlogd());
  AppendEvents(20);
  EXPECT_EQ(RunUntil(Position(50), ""), 20u);
  std::vector<KafkaMessage> msgs = kafka_.ReadAll(50);
  EXPECT_EQ(msgs.size(), 50u);
  EXPECT_EQ(Positions(msgs).size(), 50u);
}

TEST_F(RemoteSourceTest, ReconnectsWhenTheDaemonRestarts) {
  AppendEvents(10);
  RemoteSource source(Client(), checkpoint_file(), Source());
  auto c = Connector::Create(Options(), source);
  ASSERT_OK(c.status());
  std::atomic<bool> stop{false};
  Status result;
  std::thread t([&] { result = (*c)->Run(stop); });
  EXPECT_OK(source.WaitFor(Position(10), kWait));

  // The daemon goes away and comes back on the same port.
  ASSERT_NO_FATAL_FAILURE(RestartEvlogd());
  AppendEvents(10);
  EXPECT_OK(source.WaitFor(Position(20), kWait));
  stop.store(true);
  t.join();
  EXPECT_OK(result);
  std::vector<KafkaMessage> msgs = kafka_.ReadAll(20);
  EXPECT_EQ(Positions(msgs).size(), 20u);
  EXPECT_EQ(msgs.size(), 20u);
}

TEST_F(RemoteSourceTest, RejectsACheckpointFileWithoutAPosition) {
  std::ofstream(checkpoint_file()) << "twelve\n";
  RemoteSource source(Client(), checkpoint_file(), Source());
  auto c = Connector::Create(Options(), source);
  ASSERT_OK(c.status());
  std::atomic<bool> stop{false};
  Status s = (*c)->Run(stop);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  // Nothing was overwritten.
  std::ifstream in(checkpoint_file());
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "twelve");
}

TEST_F(RemoteSourceTest, ToolTakesASubscriptionOrACheckpointFileNotBoth) {
  std::unique_ptr<ChildProcess> child = ChildProcess::Start(
      {EVLOG_KAFKA_PATH, "--connect", "127.0.0.1:" + std::to_string(port_), "--brokers",
       kafka_.bootstraps(), "--topic", "events", "--subscription", "s", "--checkpoint-file",
       checkpoint_file()});
  ASSERT_NE(child, nullptr);
  const int status = child->Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

TEST_F(RemoteSourceTest, ToolStreamsThroughTheDaemonUntilSigterm) {
  AppendEvents(5);
  std::unique_ptr<ChildProcess> child = ChildProcess::Start(
      {EVLOG_KAFKA_PATH, "--connect", "127.0.0.1:" + std::to_string(port_), "--checkpoint-file",
       checkpoint_file(), "--brokers", kafka_.bootstraps(), "--topic", "events"});
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(Positions(kafka_.ReadAll(5)).size(), 5u);
  const int status = child->KillAndWait(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  Result<Position> stored = RemoteSource::ReadCheckpoint(checkpoint_file());
  ASSERT_OK(stored.status());
  EXPECT_EQ(*stored, Position(5));
}

TEST_F(RemoteSourceTest, ToolKeepsItsCheckpointInTheDaemonsStoreByDefault) {
  AppendEvents(5);
  std::unique_ptr<ChildProcess> child =
      ChildProcess::Start({EVLOG_KAFKA_PATH, "--connect", "127.0.0.1:" + std::to_string(port_),
                           "--brokers", kafka_.bootstraps(), "--topic", "events"});
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(Positions(kafka_.ReadAll(5)).size(), 5u);
  auto client = evlog::Client::Connect(Client());
  ASSERT_OK(client.status());
  // The checkpoint follows Kafka's acknowledgements: wait for it (bounded).
  Position stored;
  EXPECT_TRUE(testutil::Eventually([&] {
    stored = (*client)->GetCheckpoint("kafka-events").value();
    return stored >= Position(5);
  }));
  EXPECT_EQ(stored, Position(5));
  const int status = child->KillAndWait(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(std::ifstream(checkpoint_file()).good()) << "no checkpoint file was asked for";
}

}  // namespace
}  // namespace evlog::kafka
