// Metrics: what a store has done since this process opened it, as a plain
// snapshot (Store::Metrics).
//
// Caveats, read these first:
//  - Counters and histograms start at zero when the store is opened and
//    count what this process did: a second process that opens the store
//    read-only (evlog stats without --connect) sees no appends of the
//    writer. Ask the writer process (evlogd: GET /metrics, or
//    evlog --connect ... stats) for its counts.
//  - A snapshot is not atomic across fields: each field is read on its own
//    while appends go on. Within one histogram, `count` always equals the
//    last cumulative bucket (it is their sum); `sum` may lag by the
//    observations in flight.
//  - Gauges (fields documented as "now") are read at snapshot time.
//  - docs/metrics.md lists every field with its Prometheus name.

#pragma once

#include <cstdint>
#include <vector>

#include "evlog/subscription.h"

namespace evlog {

// A histogram in Prometheus' cumulative-bucket form.
struct Histogram {
  // Inclusive upper bounds of the buckets, ascending, in the histogram's
  // unit. An implicit last bucket (+Inf) holds everything.
  std::vector<double> upper_bounds;
  // cumulative_counts[i]: observations <= upper_bounds[i]. Same size as
  // upper_bounds; never decreasing.
  std::vector<uint64_t> cumulative_counts;
  // Sum of every observation, in the histogram's unit.
  double sum = 0;
  // Observations in all; the count of the +Inf bucket.
  uint64_t count = 0;
};

// RocksDB underneath the store: write stalls and background work.
struct RocksDbMetrics {
  // Times a column family's writes were slowed down (delayed) or stopped
  // because flushes or compactions fell behind.
  uint64_t stalls_delayed = 0;
  uint64_t stalls_stopped = 0;
  // Microseconds column families spent delayed or stopped, summed over
  // column families, for stalls that have ended.
  uint64_t stall_micros = 0;
  // Now: 1 if writes are stopped, else 0.
  uint64_t write_stopped = 0;
  // Now: the rate writes are delayed to, bytes per second; 0 when not
  // delayed.
  uint64_t delayed_write_rate = 0;
  // Flushes and compactions completed (manual ones included), and the
  // bytes compactions read and wrote.
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  uint64_t compaction_read_bytes = 0;
  uint64_t compaction_write_bytes = 0;
  // Now: compactions running, column families waiting for one, and the
  // bytes RocksDB estimates compactions must rewrite.
  uint64_t compactions_running = 0;
  uint64_t compactions_pending = 0;
  uint64_t pending_compaction_bytes = 0;
  // Now: the memory RocksDB holds for the store, in bytes: memtables (all
  // column families, flushed ones not yet freed included), the block cache
  // in use (bounded by Options::block_cache_bytes), and table readers'
  // index and filter blocks held outside the cache.
  uint64_t memtable_bytes = 0;
  uint64_t block_cache_bytes = 0;
  uint64_t table_readers_bytes = 0;
};

struct MetricsSnapshot {
  // Appends committed (not counting rejected ones and deduplicated
  // retries, which write nothing), including the store's own system
  // appends (stream metadata, parked events).
  uint64_t appends = 0;
  // Events those appends wrote.
  uint64_t events = 0;
  // Bytes of those events as the append limits count them: type, data and
  // metadata.
  uint64_t append_bytes = 0;
  // Events per group commit (one RocksDB write). Unit: events.
  Histogram group_commit_events;
  // WAL syncs: durable group commits, the background sync of buffered
  // appends, and Store::Sync.
  uint64_t fsyncs = 0;
  // Duration of each of them (for a durable group commit, its whole
  // write, which the sync dominates). Unit: seconds.
  Histogram fsync_seconds;
  // From queuing an append to the writer until its acknowledgement, for
  // each committed append. Unit: seconds.
  Histogram append_latency_seconds;
  // Now: every durable subscription (see Store::ListSubscriptions): name,
  // checkpoint, lag (last position minus checkpoint) and parked events.
  std::vector<SubscriptionInfo> subscriptions;
  // Now: the memory the live tail holds (Options::live_tail_bytes bounds
  // it), in bytes, and the events in it. 0 on a read-only store.
  uint64_t tail_bytes = 0;
  uint64_t tail_events = 0;
  // Events change feeds delivered (subscriptions, views, snapshot policies
  // and evlogd's pushed subscriptions included), by where they were read:
  // the live tail in memory, or RocksDB (a feed behind the tail, or any
  // feed of a read-only store).
  uint64_t feed_tail_events = 0;
  uint64_t feed_log_events = 0;
  // Now: the memory the writer holds for the caller-given ids inside the
  // idempotency window (about 32 bytes per id; Options::dedup_window_events
  // bounds it), in bytes. 0 on a read-only store.
  uint64_t id_window_bytes = 0;
  RocksDbMetrics rocksdb;
};

}  // namespace evlog
