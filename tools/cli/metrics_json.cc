#include "cli/metrics_json.h"

namespace evlog::cli {

namespace {

Json HistogramToJson(const Histogram& h) {
  Json j;
  j["upper_bounds"] = h.upper_bounds;
  j["cumulative_counts"] = h.cumulative_counts;
  j["sum"] = h.sum;
  j["count"] = h.count;
  return j;
}

}  // namespace

Json MetricsToJson(const MetricsSnapshot& m) {
  Json j;
  j["appends"] = m.appends;
  j["events"] = m.events;
  j["append_bytes"] = m.append_bytes;
  j["group_commit_events"] = HistogramToJson(m.group_commit_events);
  j["fsyncs"] = m.fsyncs;
  j["fsync_seconds"] = HistogramToJson(m.fsync_seconds);
  j["append_latency_seconds"] = HistogramToJson(m.append_latency_seconds);
  Json subscriptions = Json::array();
  for (const SubscriptionInfo& s : m.subscriptions) {
    Json sj;
    sj["name"] = s.name;
    sj["checkpoint"] = s.checkpoint.value();
    sj["lag"] = s.lag;
    sj["parked"] = s.parked;
    subscriptions.push_back(std::move(sj));
  }
  j["subscriptions"] = std::move(subscriptions);
  j["tail_bytes"] = m.tail_bytes;
  j["tail_events"] = m.tail_events;
  j["feed_tail_events"] = m.feed_tail_events;
  j["feed_log_events"] = m.feed_log_events;
  j["id_window_bytes"] = m.id_window_bytes;
  const RocksDbMetrics& r = m.rocksdb;
  Json rj;
  rj["stalls_delayed"] = r.stalls_delayed;
  rj["stalls_stopped"] = r.stalls_stopped;
  rj["stall_micros"] = r.stall_micros;
  rj["write_stopped"] = r.write_stopped;
  rj["delayed_write_rate"] = r.delayed_write_rate;
  rj["flushes"] = r.flushes;
  rj["compactions"] = r.compactions;
  rj["compaction_read_bytes"] = r.compaction_read_bytes;
  rj["compaction_write_bytes"] = r.compaction_write_bytes;
  rj["compactions_running"] = r.compactions_running;
  rj["compactions_pending"] = r.compactions_pending;
  rj["pending_compaction_bytes"] = r.pending_compaction_bytes;
  rj["memtable_bytes"] = r.memtable_bytes;
  rj["block_cache_bytes"] = r.block_cache_bytes;
  rj["table_readers_bytes"] = r.table_readers_bytes;
  j["rocksdb"] = std::move(rj);
  return j;
}

}  // namespace evlog::cli
