// The metrics carried by StatsOk, to and from the wire. Invariant: a decoded
// histogram has as many counts as bounds, or the message is refused.

#include "evlog/schema/protocol_generated.h"
#include "protocol_wire.h"

namespace evlog::server::wire {

namespace {

Offset<fb::Histogram> HistogramToWire(FlatBufferBuilder& b, const Histogram& h) {
  const auto bounds = b.CreateVector(h.upper_bounds);
  const auto counts = b.CreateVector(h.cumulative_counts);
  return fb::CreateHistogram(b, bounds, counts, h.sum, h.count);
}

bool HistogramFromWire(const fb::Histogram* wire, Histogram* out) {
  *out = Histogram();
  if (wire == nullptr) return true;
  const size_t bounds = wire->upper_bounds() == nullptr ? 0 : wire->upper_bounds()->size();
  const size_t counts =
      wire->cumulative_counts() == nullptr ? 0 : wire->cumulative_counts()->size();
  if (bounds != counts) return false;
  if (bounds > 0) {
    out->upper_bounds.assign(wire->upper_bounds()->begin(), wire->upper_bounds()->end());
    out->cumulative_counts.assign(wire->cumulative_counts()->begin(),
                                  wire->cumulative_counts()->end());
  }
  out->sum = wire->sum();
  out->count = wire->count();
  return true;
}

}  // namespace

Offset<fb::Metrics> MetricsToWire(FlatBufferBuilder& b, const MetricsSnapshot& m) {
  const auto group = HistogramToWire(b, m.group_commit_events);
  const auto fsync = HistogramToWire(b, m.fsync_seconds);
  const auto latency = HistogramToWire(b, m.append_latency_seconds);
  std::vector<Offset<fb::SubscriptionInfo>> subs;
  for (const SubscriptionInfo& i : m.subscriptions) {
    subs.push_back(
        fb::CreateSubscriptionInfoDirect(b, i.name.c_str(), i.checkpoint.value(), i.lag, i.parked));
  }
  const auto subs_vec = b.CreateVector(subs);
  const RocksDbMetrics& r = m.rocksdb;
  const auto rocks = fb::CreateRocksDbMetrics(
      b, r.stalls_delayed, r.stalls_stopped, r.stall_micros, r.write_stopped, r.delayed_write_rate,
      r.flushes, r.compactions, r.compaction_read_bytes, r.compaction_write_bytes,
      r.compactions_running, r.compactions_pending, r.pending_compaction_bytes, r.memtable_bytes,
      r.block_cache_bytes, r.table_readers_bytes);
  return fb::CreateMetrics(b, m.appends, m.events, m.append_bytes, group, m.fsyncs, fsync, latency,
                           subs_vec, rocks, m.tail_bytes, m.tail_events, m.feed_tail_events,
                           m.feed_log_events, m.id_window_bytes);
}

bool MetricsFromWire(const fb::Metrics* w, MetricsSnapshot* out) {
  *out = MetricsSnapshot();
  out->appends = w->appends();
  out->events = w->events();
  out->append_bytes = w->append_bytes();
  out->fsyncs = w->fsyncs();
  out->tail_bytes = w->tail_bytes();
  out->tail_events = w->tail_events();
  out->feed_tail_events = w->feed_tail_events();
  out->feed_log_events = w->feed_log_events();
  out->id_window_bytes = w->id_window_bytes();
  if (!HistogramFromWire(w->group_commit_events(), &out->group_commit_events) ||
      !HistogramFromWire(w->fsync_seconds(), &out->fsync_seconds) ||
      !HistogramFromWire(w->append_latency_seconds(), &out->append_latency_seconds)) {
    return false;
  }
  if (w->subscriptions() != nullptr) {
    for (const fb::SubscriptionInfo* i : *w->subscriptions()) {
      out->subscriptions.push_back(
          SubscriptionInfo{Str(i->name()), Position(i->checkpoint()), i->lag(), i->parked()});
    }
  }
  if (const fb::RocksDbMetrics* r = w->rocksdb(); r != nullptr) {
    out->rocksdb = RocksDbMetrics{
        r->stalls_delayed(),      r->stalls_stopped(),        r->stall_micros(),
        r->write_stopped(),       r->delayed_write_rate(),    r->flushes(),
        r->compactions(),         r->compaction_read_bytes(), r->compaction_write_bytes(),
        r->compactions_running(), r->compactions_pending(),   r->pending_compaction_bytes(),
        r->memtable_bytes(),      r->block_cache_bytes(),     r->table_readers_bytes()};
  }
  return true;
}

}  // namespace evlog::server::wire
