// Invariant: the handler returns OK — the only thing that lets the source
// checkpoint — only after Producer::Deliver said Kafka acknowledged every
// message of the batch.

#include "kafka/connector.h"

#include <utility>

namespace evlog::kafka {

Result<std::unique_ptr<Connector>> Connector::Create(ConnectorOptions options, Source& source) {
  Result<std::unique_ptr<Producer>> producer = Producer::Open(options.producer);
  if (!producer.ok()) return producer.status();
  return std::unique_ptr<Connector>(
      new Connector(std::move(options), source, std::move(*producer)));
}

Connector::Connector(ConnectorOptions options, Source& source, std::unique_ptr<Producer> producer)
    : options_(std::move(options)), source_(source), producer_(std::move(producer)) {}

Connector::~Connector() {
  abandon_.store(true);
  source_.Stop();
}

Status Connector::Handle(const std::vector<OwnedEvent>& events) {
  if (abandon_.load()) return Status::Aborted("stopping");
  Status s = producer_->Deliver(events, abandon_);
  if (s.ok()) {
    delivered_batches_.fetch_add(1);
    delivered_events_.fetch_add(events.size());
    return s;
  }
  if (s.IsAborted()) return s;
  if (std::string fatal = producer_->fatal_error(); !fatal.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (fatal_.ok()) fatal_ = Status::Busy("kafka fatal error: " + fatal);
    abandon_.store(true);
    return s;
  }
  failed_attempts_.fetch_add(1);
  const ProducerOptions& p = options_.producer;
  if (p.log) {
    p.log("batch of " + std::to_string(events.size()) + " events from position " +
          std::to_string(events.front().position.value()) + " not acknowledged (" + s.ToString() +
          "); retrying it");
  }
  return s;
}

Status Connector::Start() {
  if (started_) return Status::OK();
  Status s =
      source_.Start([this](const std::vector<OwnedEvent>& events) { return Handle(events); });
  started_ = s.ok();
  return s;
}

Status Connector::Run(const std::atomic<bool>& stop) {
  if (Status s = Start(); !s.ok()) return s;
  Status result;
  for (;;) {
    if (stop.load()) break;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!fatal_.ok()) {
        result = fatal_;
        break;
      }
    }
    Status s = source_.Wait(options_.poll_interval);
    if (!s.IsTimedOut()) {
      result = s;
      break;
    }
  }
  abandon_.store(true);
  source_.Stop();
  std::lock_guard<std::mutex> lock(mu_);
  return fatal_.ok() ? result : fatal_;
}

}  // namespace evlog::kafka
