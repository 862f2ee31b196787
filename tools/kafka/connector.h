// Connector: evlog-kafka's loop — a durable Source feeding a Kafka Producer,
// one batch at a time, checkpointing a batch only after Kafka acknowledged
// every message of it.
//
//   evlog::kafka::EmbeddedSource source(*store, {.subscription = "kafka-orders"});
//   auto c = evlog::kafka::Connector::Create(
//       {.producer = {.brokers = "localhost:9092", .topic = "orders"}}, source);
//   if (c.ok()) status = (*c)->Run(stop_flag);
//
// The guarantee is at least once: a batch that failed in Kafka is delivered
// again after a bounded backoff, and a restart resumes after the last
// checkpoint, so only the last unacknowledged batch can reach Kafka twice.
// Every message carries its evlog-event-id header for deduplication
// downstream.
//
// Thread-safety: Run on one thread; the counters from any.

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "kafka/producer.h"
#include "kafka/source.h"

namespace evlog::kafka {

struct ConnectorOptions {
  ProducerOptions producer;
  // How often Run looks at its stop flag and the source. Default: 100 ms
  std::chrono::milliseconds poll_interval{100};
};

class Connector {
 public:
  // Opens the producer. `source` is borrowed, not yet started, and must
  // outlive the connector. Errors: those of Producer::Open.
  static Result<std::unique_ptr<Connector>> Create(ConnectorOptions options, Source& source);

  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;
  ~Connector();

  // Starts the source: batches are delivered from now on, on the source's
  // thread. Errors: the source's (see Source::Start). Optional: Run starts
  // the source if this was not called.
  Status Start();

  // Starts the source (unless Start did) and delivers its batches until `stop` is set (then OK:
  // the batch in flight is abandoned without a checkpoint), the producer
  // has a fatal error (Busy, nothing of the failing batch checkpointed), or
  // the source stops with an error (that error).
  Status Run(const std::atomic<bool>& stop);

  // Batches Kafka acknowledged (each then checkpointed), and delivery
  // attempts that failed and were retried.
  uint64_t delivered_batches() const { return delivered_batches_.load(); }
  uint64_t delivered_events() const { return delivered_events_.load(); }
  uint64_t failed_attempts() const { return failed_attempts_.load(); }

  // For tests: the producer's librdkafka handle.
  Producer& producer() { return *producer_; }

 private:
  Connector(ConnectorOptions options, Source& source, std::unique_ptr<Producer> producer);
  Status Handle(const std::vector<OwnedEvent>& events);

  ConnectorOptions options_;
  Source& source_;
  std::unique_ptr<Producer> producer_;
  bool started_ = false;
  // Set to abandon the batch in flight (stop asked, or a fatal error).
  std::atomic<bool> abandon_{false};
  std::mutex mu_;
  Status fatal_;  // guarded by mu_
  std::atomic<uint64_t> delivered_batches_{0};
  std::atomic<uint64_t> delivered_events_{0};
  std::atomic<uint64_t> failed_attempts_{0};
};

}  // namespace evlog::kafka
