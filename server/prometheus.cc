#include "prometheus.h"

#include <charconv>
#include <cstdint>
#include <string>

namespace evlog::server {

namespace {

// Shortest text that reads back as the same double (Go's ParseFloat, which
// Prometheus uses, reads it too).
std::string Number(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, end);
}

std::string Number(uint64_t value) { return std::to_string(value); }

// Label values escape backslash, double quote and line feed.
std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Exposition {
 public:
  // The HELP and TYPE lines of a family; its samples must follow.
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }

  void Sample(std::string_view name, std::string_view labels, const std::string& value) {
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    out_.append(" ").append(value).append("\n");
  }

  void Counter(std::string_view name, std::string_view help, uint64_t value) {
    Family(name, "counter", help);
    Sample(name, "", Number(value));
  }

  void Gauge(std::string_view name, std::string_view help, uint64_t value) {
    Family(name, "gauge", help);
    Sample(name, "", Number(value));
  }

  void HistogramFamily(const std::string& name, std::string_view help, const Histogram& h) {
    Family(name, "histogram", help);
    const std::string bucket = name + "_bucket";
    for (size_t i = 0; i < h.upper_bounds.size() && i < h.cumulative_counts.size(); ++i) {
      Sample(bucket, "le=\"" + Number(h.upper_bounds[i]) + "\"", Number(h.cumulative_counts[i]));
    }
    Sample(bucket, "le=\"+Inf\"", Number(h.count));
    Sample(name + "_sum", "", Number(h.sum));
    Sample(name + "_count", "", Number(h.count));
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string SubscriptionLabel(const SubscriptionInfo& s) {
  return "subscription=\"" + EscapeLabel(s.name) + "\"";
}

}  // namespace

std::string RenderPrometheus(const MetricsSnapshot& m, const DaemonGauges* daemon) {
  Exposition x;
  x.Counter("evlog_appends_total", "Appends committed since the store was opened.", m.appends);
  x.Counter("evlog_events_total", "Events written by committed appends.", m.events);
  x.Counter("evlog_append_bytes_total",
            "Bytes of appended events (type, data and metadata) written.", m.append_bytes);
  x.HistogramFamily("evlog_group_commit_events", "Events per group commit (one RocksDB write).",
                    m.group_commit_events);
  x.Counter("evlog_fsyncs_total",
            "WAL syncs: durable group commits, background syncs and explicit syncs.", m.fsyncs);
  x.HistogramFamily("evlog_fsync_seconds", "Duration of each WAL sync.", m.fsync_seconds);
  x.HistogramFamily("evlog_append_latency_seconds",
                    "From queuing an append until its acknowledgement.", m.append_latency_seconds);

  x.Family("evlog_subscription_checkpoint_position", "gauge",
           "Position up to which a durable subscription has handled the log.");
  for (const SubscriptionInfo& s : m.subscriptions) {
    x.Sample("evlog_subscription_checkpoint_position", SubscriptionLabel(s),
             Number(s.checkpoint.value()));
  }
  x.Family("evlog_subscription_lag_events", "gauge",
           "Last committed position minus the subscription's checkpoint.");
  for (const SubscriptionInfo& s : m.subscriptions) {
    x.Sample("evlog_subscription_lag_events", SubscriptionLabel(s), Number(s.lag));
  }
  x.Family("evlog_subscription_parked_events", "gauge",
           "Events the subscription parked and has not replayed.");
  for (const SubscriptionInfo& s : m.subscriptions) {
    x.Sample("evlog_subscription_parked_events", SubscriptionLabel(s), Number(s.parked));
  }

  x.Gauge("evlog_tail_bytes", "Bytes the live tail of recent commits holds for change feeds now.",
          m.tail_bytes);
  x.Gauge("evlog_tail_events", "Events the live tail holds now.", m.tail_events);
  x.Family("evlog_feed_events_total", "counter",
           "Events change feeds delivered, by where they were read: the live tail or RocksDB.");
  x.Sample("evlog_feed_events_total", "source=\"tail\"", Number(m.feed_tail_events));
  x.Sample("evlog_feed_events_total", "source=\"log\"", Number(m.feed_log_events));
  x.Gauge("evlog_id_window_bytes",
          "Bytes the writer holds for the caller ids inside the idempotency window now.",
          m.id_window_bytes);

  const RocksDbMetrics& r = m.rocksdb;
  x.Family("evlog_rocksdb_write_stalls_total", "counter",
           "Times a column family's writes were delayed or stopped.");
  x.Sample("evlog_rocksdb_write_stalls_total", "condition=\"delayed\"", Number(r.stalls_delayed));
  x.Sample("evlog_rocksdb_write_stalls_total", "condition=\"stopped\"", Number(r.stalls_stopped));
  x.Family("evlog_rocksdb_write_stall_seconds_total", "counter",
           "Time column families spent delayed or stopped, for ended stalls.");
  x.Sample("evlog_rocksdb_write_stall_seconds_total", "",
           Number(static_cast<double>(r.stall_micros) * 1e-6));
  x.Gauge("evlog_rocksdb_write_stopped", "1 if RocksDB stops writes now, else 0.", r.write_stopped);
  x.Gauge("evlog_rocksdb_delayed_write_rate_bytes",
          "Rate writes are delayed to now, bytes per second; 0 when not delayed.",
          r.delayed_write_rate);
  x.Counter("evlog_rocksdb_flushes_total", "Memtable flushes completed.", r.flushes);
  x.Counter("evlog_rocksdb_compactions_total", "Compactions completed.", r.compactions);
  x.Counter("evlog_rocksdb_compaction_read_bytes_total", "Bytes compactions read.",
            r.compaction_read_bytes);
  x.Counter("evlog_rocksdb_compaction_write_bytes_total", "Bytes compactions wrote.",
            r.compaction_write_bytes);
  x.Gauge("evlog_rocksdb_compactions_running", "Compactions running now.", r.compactions_running);
  x.Gauge("evlog_rocksdb_compactions_pending", "Column families waiting for a compaction now.",
          r.compactions_pending);
  x.Gauge("evlog_rocksdb_pending_compaction_bytes",
          "Bytes RocksDB estimates compactions must rewrite now.", r.pending_compaction_bytes);
  x.Gauge("evlog_rocksdb_memtable_bytes", "Bytes of memtables now, all column families.",
          r.memtable_bytes);
  x.Gauge("evlog_rocksdb_block_cache_bytes", "Bytes of the block cache in use now.",
          r.block_cache_bytes);
  x.Gauge("evlog_rocksdb_table_readers_bytes",
          "Bytes of table readers' index and filter blocks outside the block cache now.",
          r.table_readers_bytes);
  if (daemon != nullptr) {
    x.Gauge("evlogd_sessions", "Binary-protocol sessions open now.", daemon->sessions);
    x.Gauge("evlogd_queued_bytes", "Response and push bytes queued for writing in all sessions.",
            daemon->queued_bytes);
    x.Counter("evlogd_slow_consumers_closed_total",
              "Sessions closed because their client took no bytes for the write timeout.",
              daemon->slow_consumers_closed);
    x.Gauge("evlogd_protocol_consumers",
            "Consumers of hosted subscriptions binary-protocol sessions hold open now.",
            daemon->protocol_consumers);
    x.Gauge("evlogd_http_consumers",
            "Consumers of hosted subscriptions HTTP clients hold open now (leases).",
            daemon->http_consumers);
  }
  return x.Take();
}

}  // namespace evlog::server
