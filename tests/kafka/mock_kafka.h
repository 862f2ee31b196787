// MockKafka: librdkafka's built-in mock cluster (brokers in this process,
// listening on 127.0.0.1 with ephemeral ports) holding one topic, and a
// consumer that reads the topic back from the beginning.

#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace evlog::testutil {

// How long a connector test waits for the connector to get somewhere: a
// safety net against a hang, not a timing assertion.
inline constexpr auto kWait = std::chrono::seconds(30);

// Kafka protocol API keys for rd_kafka_mock_push_request_errors.
inline constexpr int16_t kApiProduce = 0;

// One message read back.
struct KafkaMessage {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  int64_t timestamp_ms = 0;
  std::map<std::string, std::string> headers;

  uint64_t position() const { return std::stoull(headers.at("evlog-position")); }
};

class MockKafka {
 public:
  MockKafka(const std::string& topic, int partitions, int brokers = 3);
  ~MockKafka();
  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;

  // The cluster's bootstrap.servers.
  std::string bootstraps() const;
  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }
  int brokers() const { return brokers_; }

  // Every message of the topic, partition by partition in offset order,
  // read by a fresh consumer from the beginning: waits (up to `timeout`)
  // until messages of at least `at_least` distinct evlog positions are in
  // (duplicates of a retried batch do not count), then returns what is there.
  std::vector<KafkaMessage> ReadAll(size_t at_least,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::string topic_;
  int partitions_;
  int brokers_;
  rd_kafka_t* owner_ = nullptr;  // the handle the mock cluster lives in
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace evlog::testutil
