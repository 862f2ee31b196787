// Producer: the Kafka side of evlog-kafka — an idempotent librdkafka
// producer that delivers one batch of events at a time and says whether
// Kafka acknowledged all of it.
//
// Every event becomes one message: key = stream name (librdkafka's default
// partitioner hashes the key, so a stream's events share a partition and
// keep their order), value = event data, timestamp = commit time, headers
// evlog-stream, evlog-type, evlog-version, evlog-position and
// evlog-event-id (decimal numbers, the canonical UUID). The producer runs
// with enable.idempotence=true and acks=all: librdkafka retries retriable
// broker errors itself without duplicating or reordering a partition.
//
// Thread-safety: one thread at a time (Deliver serves the delivery reports
// on the calling thread).

#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "evlog/status.h"
#include "evlog/types.h"

// librdkafka's handle (<librdkafka/rdkafka.h>), declared here so that only
// producer.cc includes librdkafka.
typedef struct rd_kafka_s rd_kafka_t;

namespace evlog::kafka {

// Receives one line of text for the operator (errors librdkafka reports,
// retries). May be empty: nothing is logged.
using Logger = std::function<void(const std::string& line)>;

struct ProducerOptions {
  // bootstrap.servers: "host:port[,host:port...]". Required.
  std::string brokers;
  // The topic every event goes to. Required.
  std::string topic;
  // Further librdkafka properties (security, message.timeout.ms, ...), set
  // after ours. enable.idempotence and acks cannot be changed: setting them
  // is an InvalidArgument. Default: none
  std::vector<std::pair<std::string, std::string>> config;
  // Default: none
  Logger log;
};

class Producer {
 public:
  // Creates the librdkafka producer. It connects lazily: an unreachable
  // broker shows up as delivery errors, not here. InvalidArgument for a
  // missing broker list or topic, or a property librdkafka rejects.
  static Result<std::unique_ptr<Producer>> Open(ProducerOptions options);

  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  // Gives messages still in flight up to a second, then drops them.
  ~Producer();

  // Produces every event of `events` in order and waits until librdkafka
  // has a delivery report for each. OK: Kafka acknowledged them all (acks=all).
  //
  // Errors: IOError when any message failed (after librdkafka's own retries,
  // or message.timeout.ms): the others may have been delivered, so delivering
  // the batch again may duplicate them; Aborted when `stop` was set before
  // every report came (the batch is abandoned, part of it may be delivered);
  // Busy after a fatal error (see fatal_error()): this producer can deliver
  // nothing more.
  Status Deliver(const std::vector<OwnedEvent>& events, const std::atomic<bool>& stop);

  // librdkafka's fatal error ("idempotence guarantee cannot be kept"), or
  // empty. Once set, every Deliver fails.
  std::string fatal_error() const;

  // The underlying handle, for tests (e.g. rd_kafka_test_fatal_error).
  rd_kafka_t* handle() const;

 private:
  struct Rep;
  explicit Producer(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace evlog::kafka
