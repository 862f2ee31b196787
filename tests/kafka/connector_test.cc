// evlog-kafka against librdkafka's mock cluster: what reaches Kafka, in
// which order and with which headers, and that the subscription's
// checkpoint never passes what Kafka acknowledged — across restarts, broker
// errors, a broker outage and a fatal producer error.

#include "kafka/connector.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "mock_kafka.h"
#include "testutil/child_process.h"
#include "testutil/eventually.h"
#include "testutil/store_fixture.h"

namespace evlog::kafka {
namespace {

using testutil::Ev;
using testutil::Eventually;
using testutil::KafkaMessage;
using testutil::kWait;
using testutil::MockKafka;

// A connector running on its own thread over an embedded source.
class Running {
 public:
  Running(Store& store, ConnectorOptions options, SourceOptions source)
      : source_(store, std::move(source)) {
    Result<std::unique_ptr<Connector>> c = Connector::Create(std::move(options), source_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return;
    connector_ = std::move(*c);
    EXPECT_OK(connector_->Start());
    thread_ = std::thread([this] { result_ = connector_->Run(stop_); });
  }
  ~Running() { (void)Stop(); }

  // Stops the connector and returns what Run returned.
  Status Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return result_;
  }

  EmbeddedSource& source() { return source_; }
  Connector& connector() { return *connector_; }

 private:
  EmbeddedSource source_;
  std::unique_ptr<Connector> connector_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Status result_;
};

class KafkaTest : public testutil::StoreTest {
 protected:
  // `message_timeout`: how long librdkafka tries a message before failing
  // its batch; short where a test takes the brokers down.
  ConnectorOptions Options(std::chrono::milliseconds message_timeout = std::chrono::seconds(10)) {
    return {.producer = {.brokers = kafka_.bootstraps(),
                         .topic = "events",
                         .config = {{"message.timeout.ms", std::to_string(message_timeout.count())},
                                    {"reconnect.backoff.max.ms", "200"}},
                         .log = [](const std::string& line) {
                           std::fprintf(stderr, "evlog-kafka: %s\n", line.c_str());
                         }}};
  }
  SourceOptions Source(size_t batch = 10, std::string category = "") {
    return {.subscription = "kafka-events",
            .category = std::move(category),
            .batch_events = batch,
            .initial_backoff = std::chrono::milliseconds(10),
            .max_backoff = std::chrono::milliseconds(200)};
  }

  // Appends `n` events, round robin over `streams` streams of `category`,
  // with data "data-<position>"-like unique payloads.
  void AppendEvents(int n, int streams = 3, const std::string& category = "order") {
    for (int i = 0; i < n; ++i) {
      const std::string stream = category + "-" + std::to_string(i % streams);
      ASSERT_TRUE(
          store_
              ->Append(stream, ExpectedVersion::Any(),
                       {Ev("Type" + std::to_string(i % 2), "data-" + std::to_string(next_++))})
              .ok());
    }
  }

  // Every position 1..last appears; per key, the first occurrences keep the
  // stream's order; returns how many messages were duplicates.
  size_t ExpectNoLossInOrder(const std::vector<KafkaMessage>& msgs, uint64_t last) {
    std::set<uint64_t> seen;
    std::map<std::string, uint64_t> last_version;
    size_t duplicates = 0;
    for (const KafkaMessage& m : msgs) {
      if (!seen.insert(m.position()).second) {
        ++duplicates;
        continue;
      }
      const uint64_t version = std::stoull(m.headers.at("evlog-version"));
      EXPECT_GT(version, last_version[m.key]) << m.key << " out of order";
      last_version[m.key] = version;
    }
    EXPECT_EQ(seen.size(), last);
    if (!seen.empty()) {
      EXPECT_EQ(*seen.rbegin(), last);
    }
    return duplicates;
  }

  MockKafka kafka_{"events", 4};
  int next_ = 0;
};

TEST_F(KafkaTest, DeliversEveryEventInOrderPerStreamWithHeaders) {
  AppendEvents(60);
  Running run(*store_, Options(), Source());
  ASSERT_OK(run.source().WaitFor(Position(60), kWait));
  ASSERT_OK(run.Stop());

  std::vector<KafkaMessage> msgs = kafka_.ReadAll(60);
  ASSERT_EQ(msgs.size(), 60u);
  std::map<uint64_t, OwnedEvent> by_position;
  for (OwnedEvent& e : ReadAll()) by_position[e.position.value()] = std::move(e);
  std::map<std::string, int32_t> partition_of;
  std::map<std::string, uint64_t> last_version;
  for (const KafkaMessage& m : msgs) {
    const OwnedEvent& e = by_position.at(m.position());
    EXPECT_EQ(m.key, e.stream);
    EXPECT_EQ(m.value, e.data);
    EXPECT_EQ(m.headers.at("evlog-stream"), e.stream);
    EXPECT_EQ(m.headers.at("evlog-type"), e.type);
    EXPECT_EQ(m.headers.at("evlog-version"), std::to_string(e.version.value()));
    EXPECT_EQ(m.headers.at("evlog-event-id"), e.id.ToString());
    EXPECT_EQ(m.timestamp_ms, e.timestamp_us / 1000);
    // One partition per stream, and the stream's order within it.
    auto [it, first] = partition_of.emplace(m.key, m.partition);
    EXPECT_EQ(it->second, m.partition) << m.key << " spread over partitions";
    EXPECT_EQ(e.version.value(), last_version[m.key] + 1) << m.key;
    last_version[m.key] = e.version.value();
  }
  EXPECT_EQ(last_version.size(), 3u);
  EXPECT_EQ(run.connector().delivered_events(), 60u);
}

// The source's checkpoint covers only events it handed to the handler (or
// its filter skipped). Appends racing with the hand-over make the follower
// queue events while a batch is taken: the source once read the follower's
// position after releasing its lock, so the checkpoint could pass events
// just queued, and their batch was then skipped unsent (a batch of 10
// missing from Kafka under ASan). Every position must reach the handler.
TEST_F(KafkaTest, EveryEventReachesTheHandlerWhileAppendsRaceTheHandOver) {
  constexpr int kEvents = 3000;
  EmbeddedSource source(*store_, Source(/*batch=*/7));
  std::mutex mu;
  std::vector<bool> seen(kEvents + 1, false);
  ASSERT_OK(source.Start([&](const std::vector<OwnedEvent>& events) {
    std::lock_guard<std::mutex> lock(mu);
    for (const OwnedEvent& e : events) seen.at(e.position.value()) = true;
    return Status::OK();
  }));
  // Four writers keep both cores busy, so the source's thread is often
  // preempted between taking a batch and reading the position.
  constexpr int kWriters = 4;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEvents / kWriters; ++i) {
        ASSERT_OK(store_
                      ->Append("order-" + std::to_string(w), ExpectedVersion::Any(),
                               {Ev("T", "x")}, Durability::kBuffered)
                      .status());
      }
    });
  }
  for (std::thread& w : writers) w.join();
  ASSERT_OK(source.WaitFor(Position(kEvents), kWait));
  source.Stop();
  std::lock_guard<std::mutex> lock(mu);
  std::vector<int> missing;
  for (int p = 1; p <= kEvents; ++p) {
    if (!seen[p]) missing.push_back(p);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " positions never handed over, first "
                               << missing.front();
}

TEST_F(KafkaTest, CategoryFilterSendsOnlyThatCategory) {
  for (int i = 0; i < 5; ++i) {
    AppendEvents(1, 1, "order");
    AppendEvents(1, 1, "user");
  }
  Running run(*store_, Options(), Source(10, "order"));
  ASSERT_OK(run.source().WaitFor(Position(10), kWait));
  ASSERT_OK(run.Stop());

  std::vector<KafkaMessage> msgs = kafka_.ReadAll(5);
  ASSERT_EQ(msgs.size(), 5u);
  for (const KafkaMessage& m : msgs) EXPECT_EQ(m.key, "order-0");
}

// order-0's metadata changes ("$meta-order-0" at 2 and, last, at 4) stay
// out of the topic unless --system; the checkpoint still moves past them.
TEST_F(KafkaTest, SystemStreamsStayOutOfTheTopicAndTheCheckpointPassesThem) {
  AppendEvents(1, 1);
  ASSERT_OK(store_->SetStreamMetadata("order-0", {.max_count = 10}));
  AppendEvents(1, 1);
  ASSERT_OK(store_->SetStreamMetadata("order-0", {.max_count = 20}));
  Running run(*store_, Options(), Source());
  ASSERT_OK(run.source().WaitFor(Position(4), kWait));
  ASSERT_OK(run.Stop());
  EXPECT_EQ(run.connector().delivered_events(), 2u);
  std::vector<KafkaMessage> msgs = kafka_.ReadAll(2);
  std::set<uint64_t> positions;
  for (const KafkaMessage& m : msgs) positions.insert(m.position());
  EXPECT_EQ(positions, (std::set<uint64_t>{1, 3}));
}

TEST_F(KafkaTest, SystemStreamsReachTheTopicWhenAsked) {
  AppendEvents(1, 1);
  ASSERT_OK(store_->SetStreamMetadata("order-0", {.max_count = 10}));
  SourceOptions source = Source();
  source.include_system = true;
  Running run(*store_, Options(), source);
  ASSERT_OK(run.source().WaitFor(Position(2), kWait));
  ASSERT_OK(run.Stop());
  std::set<std::string> keys;
  for (const KafkaMessage& m : kafka_.ReadAll(2)) keys.insert(m.key);
  EXPECT_EQ(keys, (std::set<std::string>{"order-0", "$meta-order-0"}));
}

TEST_F(KafkaTest, RestartResumesFromTheCheckpointWithoutLoss) {
  AppendEvents(30);
  {
    Running run(*store_, Options(), Source());
    ASSERT_OK(run.source().WaitFor(Position(30), kWait));
    ASSERT_OK(run.Stop());
  }
  AppendEvents(30);
  Running run(*store_, Options(), Source());
  ASSERT_OK(run.source().WaitFor(Position(60), kWait));
  ASSERT_OK(run.Stop());
  // The second run started after the first one's checkpoint: a clean stop
  // repeats nothing.
  EXPECT_EQ(run.connector().delivered_events(), 30u);
  EXPECT_EQ(ExpectNoLossInOrder(kafka_.ReadAll(60), 60), 0u);
}

TEST_F(KafkaTest, StopAbandonsAnUnacknowledgedBatchAndTheRestartDeliversIt) {
  for (int b = 1; b <= kafka_.brokers(); ++b) {
    ASSERT_EQ(rd_kafka_mock_broker_set_down(kafka_.cluster(), b), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  AppendEvents(10);
  {
    Running run(*store_, Options(std::chrono::seconds(1)), Source());
    // The batch timed out in Kafka at least once: nothing is checkpointed.
    ASSERT_TRUE(Eventually([&] { return run.connector().failed_attempts() >= 1; }));
    EXPECT_EQ(run.source().checkpoint(), Position());
    ASSERT_OK(run.Stop());
    EXPECT_EQ(run.source().checkpoint(), Position());
    EXPECT_EQ(run.connector().delivered_events(), 0u);
  }
  for (int b = 1; b <= kafka_.brokers(); ++b) {
    ASSERT_EQ(rd_kafka_mock_broker_set_up(kafka_.cluster(), b), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  Running run(*store_, Options(), Source());
  ASSERT_OK(run.source().WaitFor(Position(10), kWait));
  ASSERT_OK(run.Stop());
  // Timed-out messages may or may not have reached the log: at most the
  // abandoned batch is there twice.
  EXPECT_LE(ExpectNoLossInOrder(kafka_.ReadAll(10), 10), 10u);
}

TEST_F(KafkaTest, BrokerErrorsInTheMiddleLoseNothing) {
  AppendEvents(40);
  uint64_t failed = 0;
  {
    Running run(*store_, Options(), Source());
    ASSERT_OK(run.source().WaitFor(Position(40), kWait));
    // Retriable errors: librdkafka's idempotent producer retries them itself.
    rd_kafka_mock_push_request_errors(
        kafka_.cluster(), testutil::kApiProduce, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
    AppendEvents(40);
    ASSERT_OK(run.source().WaitFor(Position(80), kWait));
    ASSERT_OK(run.Stop());
    // Usually none; a retry that outlives message.timeout.ms fails a batch.
    failed = run.connector().failed_attempts();
  }
  // A non-retriable error fails one produce request of the next batch (ten
  // events over four partitions): the connector delivers the whole batch
  // again and only then checkpoints it.
  AppendEvents(40);
  rd_kafka_mock_push_request_errors(kafka_.cluster(), testutil::kApiProduce, 1,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  Running run(*store_, Options(), Source());
  // The checkpoint is never ahead of Kafka: once it passed the failed
  // batch, everything up to it is in the topic.
  ASSERT_OK(run.source().WaitFor(Position(90), kWait));
  const uint64_t checkpoint = run.source().checkpoint().value();
  std::set<uint64_t> present;
  for (const KafkaMessage& m : kafka_.ReadAll(checkpoint)) present.insert(m.position());
  for (uint64_t p = 1; p <= checkpoint; ++p) EXPECT_EQ(present.count(p), 1u) << p;
  ASSERT_OK(run.source().WaitFor(Position(120), kWait));
  ASSERT_OK(run.Stop());
  EXPECT_GE(run.connector().failed_attempts(), 1u);
  failed += run.connector().failed_attempts();
  // Each failed attempt may repeat at most its batch (10 events).
  EXPECT_LE(ExpectNoLossInOrder(kafka_.ReadAll(120), 120), 10u * failed);
}

TEST_F(KafkaTest, CheckpointStaysWhileBrokersAreDownThenCatchesUp) {
  AppendEvents(20);
  Running run(*store_, Options(std::chrono::seconds(1)), Source());
  ASSERT_OK(run.source().WaitFor(Position(20), kWait));
  for (int b = 1; b <= kafka_.brokers(); ++b) {
    ASSERT_EQ(rd_kafka_mock_broker_set_down(kafka_.cluster(), b), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  AppendEvents(20);
  ASSERT_TRUE(Eventually([&] { return run.connector().failed_attempts() >= 2; }));
  EXPECT_EQ(run.source().checkpoint(), Position(20));
  for (int b = 1; b <= kafka_.brokers(); ++b) {
    ASSERT_EQ(rd_kafka_mock_broker_set_up(kafka_.cluster(), b), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_OK(run.source().WaitFor(Position(40), kWait));
  ASSERT_OK(run.Stop());
  EXPECT_LE(ExpectNoLossInOrder(kafka_.ReadAll(40), 40), 10u);
}

TEST_F(KafkaTest, FatalProducerErrorStopsRunWithoutCheckpointing) {
  AppendEvents(5);
  EmbeddedSource source(*store_, Source());
  Result<std::unique_ptr<Connector>> c = Connector::Create(Options(), source);
  ASSERT_OK(c.status());
  ASSERT_EQ(rd_kafka_test_fatal_error((*c)->producer().handle(),
                                      RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "injected"),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  std::atomic<bool> stop{false};
  Status s = (*c)->Run(stop);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(s.message().find("fatal"), std::string::npos) << s.ToString();
  EXPECT_EQ(source.checkpoint(), Position());
}

TEST_F(KafkaTest, RejectsPropertiesThatWouldWeakenDelivery) {
  EmbeddedSource source(*store_, Source());
  ConnectorOptions options = Options();
  options.producer.config.emplace_back("acks", "1");
  Result<std::unique_ptr<Connector>> c = Connector::Create(options, source);
  EXPECT_TRUE(c.status().IsInvalidArgument()) << c.status().ToString();
  options = Options();
  options.producer.config.emplace_back("no.such.property", "1");
  c = Connector::Create(options, source);
  EXPECT_TRUE(c.status().IsInvalidArgument()) << c.status().ToString();
}

// The binary: flags, the store, SIGTERM.
int RunTool(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {EVLOG_KAFKA_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::unique_ptr<testutil::ChildProcess> child = testutil::ChildProcess::Start(argv);
  if (child == nullptr) return -1;
  const int status = child->Wait();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(KafkaTest, ToolRejectsBadFlagsWithUsageErrors) {
  const std::string b = kafka_.bootstraps();
  EXPECT_EQ(RunTool({"--db", path(), "--brokers", b}), 2);  // no --topic
  EXPECT_EQ(RunTool({"--brokers", b, "--topic", "t"}), 2);  // neither --db nor --connect
  EXPECT_EQ(RunTool({"--db", path(), "--connect", "127.0.0.1:1", "--brokers", b, "--topic", "t"}),
            2);
  EXPECT_EQ(RunTool({"--db", path(), "--brokers", b, "--topic", "t", "-X", "novalue"}), 2);
  EXPECT_EQ(RunTool({"--db", path(), "--brokers", b, "--topic", "t", "--batch", "0"}), 2);
  EXPECT_EQ(RunTool({"--db", dir_.Sub("missing"), "--brokers", b, "--topic", "t"}), 4);
}

TEST_F(KafkaTest, ToolExitsSevenWhenTheDaemonCannotBeReached) {
  // Port 1 on loopback: nothing listens there, the connection is refused.
  EXPECT_EQ(RunTool({"--connect", "127.0.0.1:1", "--brokers", kafka_.bootstraps(), "--topic", "t"}),
            7);
}

TEST_F(KafkaTest, ToolStreamsUntilSigtermAndExitsZero) {
  AppendEvents(5);
  store_.reset();  // the tool opens the store itself
  std::unique_ptr<testutil::ChildProcess> child = testutil::ChildProcess::Start(
      {EVLOG_KAFKA_PATH, "--db", path(), "--brokers", kafka_.bootstraps(), "--topic", "events"});
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(ExpectNoLossInOrder(kafka_.ReadAll(5), 5), 0u);
  const int status = child->KillAndWait(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  Reopen();
  Result<std::vector<SubscriptionInfo>> subs = store_->ListSubscriptions();
  ASSERT_OK(subs.status());
  ASSERT_EQ(subs->size(), 1u);
  EXPECT_EQ((*subs)[0].name, "kafka-events");
  EXPECT_EQ((*subs)[0].checkpoint, Position(5));
}

}  // namespace
}  // namespace evlog::kafka
