// Invariant: Deliver returns OK only when every message of the batch has a
// successful delivery report from librdkafka, i.e. Kafka acknowledged it with
// acks=all. Reports of an earlier, abandoned batch are told apart by their
// batch number and never count for the current one.

#include "kafka/producer.h"

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace evlog::kafka {

namespace {

constexpr int kPollMs = 100;

}  // namespace

struct Producer::Rep {
  ProducerOptions options;
  rd_kafka_t* rk = nullptr;
  // The batch being delivered, its reports still missing, and its first
  // failure. Touched only on the thread that calls Deliver (delivery reports
  // are served by rd_kafka_poll on that thread).
  uint64_t batch = 0;
  size_t outstanding = 0;
  std::string first_error;

  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* rep = static_cast<Rep*>(opaque);
    if (reinterpret_cast<uintptr_t>(m->_private) != rep->batch) return;
    if (rep->outstanding > 0) --rep->outstanding;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && rep->first_error.empty()) {
      rep->first_error = rd_kafka_err2str(m->err);
    }
  }

  static void OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<Rep*>(opaque)->Log(std::string("kafka: ") +
                                   rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) + ": " +
                                   reason);
  }

  // Warnings and worse, except the connection failures OnError reports too.
  static void OnLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
    if (level > 4 || std::string_view(fac) == "FAIL") return;
    static_cast<Rep*>(rd_kafka_opaque(rk))->Log(std::string("kafka ") + fac + ": " + buf);
  }
};

Result<std::unique_ptr<Producer>> Producer::Open(ProducerOptions options) {
  if (options.brokers.empty()) return Status::InvalidArgument("a broker list is required");
  if (options.topic.empty()) return Status::InvalidArgument("a topic is required");
  for (const auto& [key, value] : options.config) {
    if (key == "enable.idempotence" || key == "acks" || key == "request.required.acks") {
      return Status::InvalidArgument("'" + key + "' is fixed by evlog-kafka and cannot be set");
    }
  }
  auto rep = std::make_unique<Rep>();
  rep->options = std::move(options);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  std::vector<std::pair<std::string, std::string>> settings = {
      {"bootstrap.servers", rep->options.brokers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"client.id", "evlog-kafka"},
  };
  settings.insert(settings.end(), rep->options.config.begin(), rep->options.config.end());
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument(std::string("kafka property ") + key + ": " + errstr);
    }
  }
  rd_kafka_conf_set_opaque(conf, rep.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &Rep::OnDelivery);
  rd_kafka_conf_set_error_cb(conf, &Rep::OnError);
  rd_kafka_conf_set_log_cb(conf, &Rep::OnLog);
  rep->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rep->rk == nullptr) {  // conf is still ours on failure
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("kafka producer: ") + errstr);
  }
  return std::unique_ptr<Producer>(new Producer(std::move(rep)));
}

Producer::Producer(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Producer::~Producer() {
  rd_kafka_flush(rep_->rk, 1000);
  rd_kafka_purge(rep_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_destroy(rep_->rk);
}

rd_kafka_t* Producer::handle() const { return rep_->rk; }

std::string Producer::fatal_error() const {
  char errstr[512];
  if (rd_kafka_fatal_error(rep_->rk, errstr, sizeof errstr) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    return "";
  }
  return errstr;
}

Status Producer::Deliver(const std::vector<OwnedEvent>& events, const std::atomic<bool>& stop) {
  Rep& r = *rep_;
  if (std::string fatal = fatal_error(); !fatal.empty()) {
    return Status::Busy("kafka fatal error: " + fatal);
  }
  ++r.batch;
  r.outstanding = 0;
  r.first_error.clear();
  void* const batch_tag = reinterpret_cast<void*>(static_cast<uintptr_t>(r.batch));
  for (const OwnedEvent& e : events) {
    const std::string version = std::to_string(e.version.value());
    const std::string position = std::to_string(e.position.value());
    const std::string id = e.id.ToString();
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          r.rk, RD_KAFKA_V_TOPIC(r.options.topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(e.stream.data(), e.stream.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(e.data.data()), e.data.size()),
          RD_KAFKA_V_TIMESTAMP(e.timestamp_us / 1000),
          RD_KAFKA_V_HEADER("evlog-stream", e.stream.data(), static_cast<ssize_t>(e.stream.size())),
          RD_KAFKA_V_HEADER("evlog-type", e.type.data(), static_cast<ssize_t>(e.type.size())),
          RD_KAFKA_V_HEADER("evlog-version", version.data(), static_cast<ssize_t>(version.size())),
          RD_KAFKA_V_HEADER("evlog-position", position.data(),
                            static_cast<ssize_t>(position.size())),
          RD_KAFKA_V_HEADER("evlog-event-id", id.data(), static_cast<ssize_t>(id.size())),
          RD_KAFKA_V_OPAQUE(batch_tag), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++r.outstanding;
        break;
      }
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !stop.load()) {
        rd_kafka_poll(r.rk, kPollMs);  // make room: serve delivery reports
        continue;
      }
      // Refused locally (too large, fatal state, stopping): the batch fails
      // once the messages already queued have their reports.
      if (r.first_error.empty()) {
        r.first_error =
            std::string("producing position ") + position + ": " + rd_kafka_err2str(err);
      }
      break;
    }
    if (!r.first_error.empty()) break;
  }
  while (r.outstanding > 0) {
    if (stop.load()) return Status::Aborted("stopped before Kafka acknowledged the batch");
    if (std::string fatal = fatal_error(); !fatal.empty()) {
      return Status::Busy("kafka fatal error: " + fatal);
    }
    rd_kafka_poll(r.rk, kPollMs);
  }
  if (!r.first_error.empty()) return Status::IOError("kafka delivery failed: " + r.first_error);
  return Status::OK();
}

}  // namespace evlog::kafka
