#include "mock_kafka.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace evlog::testutil {

namespace {

rd_kafka_conf_t* Conf(const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      throw std::runtime_error(k + ": " + errstr);
    }
  }
  return conf;
}

}  // namespace

MockKafka::MockKafka(const std::string& topic, int partitions, int brokers)
    : topic_(topic), partitions_(partitions), brokers_(brokers) {
  char errstr[512];
  owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, Conf({{"log_level", "0"}}), errstr, sizeof errstr);
  if (owner_ == nullptr) throw std::runtime_error(errstr);
  cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
  if (cluster_ == nullptr) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  if (rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, std::min(brokers, 3)) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("rd_kafka_mock_topic_create failed");
  }
}

MockKafka::~MockKafka() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(owner_);
}

std::string MockKafka::bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

std::vector<KafkaMessage> MockKafka::ReadAll(size_t at_least, std::chrono::milliseconds timeout) {
  char errstr[512];
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER,
                               Conf({{"bootstrap.servers", bootstraps()},
                                     {"group.id", "evlog-kafka-test"},
                                     {"enable.auto.commit", "false"},
                                     {"log_level", "0"}}),
                               errstr, sizeof errstr);
  if (c == nullptr) throw std::runtime_error(errstr);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions_);
  for (int p = 0; p < partitions_; ++p) {
    rd_kafka_topic_partition_list_add(parts, topic_.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(c, parts);
  rd_kafka_topic_partition_list_destroy(parts);

  std::vector<KafkaMessage> out;
  // `at_least` counts distinct evlog positions, not messages: a retried
  // batch's duplicates must not end the wait before the last partition's
  // messages are fetched.
  std::set<std::string> positions;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Past `at_least`, keep reading until a poll comes back empty, so that
  // duplicates beyond the count are seen too.
  while (std::chrono::steady_clock::now() < deadline) {
    const bool enough = positions.size() >= at_least;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c, enough ? 500 : 100);
    if (m == nullptr) {
      if (enough) break;
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      KafkaMessage k;
      k.partition = m->partition;
      k.offset = m->offset;
      k.key.assign(static_cast<const char*>(m->key), m->key_len);
      k.value.assign(static_cast<const char*>(m->payload), m->len);
      k.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0;
             rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          k.headers[name] = std::string(static_cast<const char*>(value), size);
        }
      }
      auto position = k.headers.find("evlog-position");
      positions.insert(position != k.headers.end() ? position->second
                                                   : std::to_string(k.partition) + "@" +
                                                         std::to_string(k.offset));
      out.push_back(std::move(k));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  std::stable_sort(out.begin(), out.end(), [](const KafkaMessage& a, const KafkaMessage& b) {
    return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
  });
  return out;
}

}  // namespace evlog::testutil
