// metrics: the counters behind Store::Metrics, kept where the work is done.
//
// Invariant: the append path never locks or allocates to count. The
// writer's counters have one writer at a time (the holder of Writer::busy_)
// and are bumped with relaxed loads and stores, no read-modify-write;
// counters bumped from several threads (WAL syncs, RocksDB's background
// threads) use relaxed fetch_add. Readers load each value relaxed: a
// snapshot is per field, not atomic across fields.

#pragma once

#include <rocksdb/listener.h>

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "evlog/metrics.h"

namespace evlog {

// Adds `by` to a counter that one thread at a time writes: a relaxed load
// and store, no read-modify-write.
inline void AddExclusive(std::atomic<uint64_t>& counter, uint64_t by) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// Buckets by powers of two: bucket i holds values in (2^(i-1), 2^i] (bucket
// 0: values <= 1); the last holds everything above 2^(kBuckets-2).
template <size_t kBuckets>
class Log2Histogram {
 public:
  static size_t BucketOf(uint64_t value) {
    const size_t b = value <= 1 ? 0 : static_cast<size_t>(std::bit_width(value - 1));
    return b < kBuckets - 1 ? b : kBuckets - 1;
  }

  // REQUIRES: one recording thread at a time (no read-modify-write).
  void RecordExclusive(uint64_t value) {
    AddExclusive(buckets_[BucketOf(value)], 1);
    AddExclusive(sum_, value);
  }

  // Safe from any thread.
  void Record(uint64_t value) {
    buckets_[BucketOf(value)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  // Bounds are 2^i * scale; the sum is scaled too (scale converts the
  // recorded unit into the reported one).
  Histogram Snapshot(double scale) const {
    Histogram h;
    uint64_t total = 0;
    for (size_t i = 0; i + 1 < kBuckets; ++i) {
      total += buckets_[i].load(std::memory_order_relaxed);
      h.upper_bounds.push_back(static_cast<double>(uint64_t{1} << i) * scale);
      h.cumulative_counts.push_back(total);
    }
    h.count = total + buckets_[kBuckets - 1].load(std::memory_order_relaxed);
    h.sum = static_cast<double>(sum_.load(std::memory_order_relaxed)) * scale;
    return h;
  }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> sum_{0};
};

// Microseconds since an arbitrary epoch, monotonic.
inline uint64_t MonotonicMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Latencies: 1 us .. 2^25 us (about 34 s), then +Inf.
using LatencyHistogram = Log2Histogram<27>;

struct WriteMetrics {
  // Written by the committing thread only (AddExclusive, RecordExclusive).
  std::atomic<uint64_t> appends{0};
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> bytes{0};
  // 1 .. 65536 events, then +Inf.
  Log2Histogram<18> group_events;
  LatencyHistogram append_latency_us;
  // Any thread.
  std::atomic<uint64_t> fsyncs{0};
  LatencyHistogram fsync_us;

  void RecordFsync(uint64_t micros) {
    fsyncs.fetch_add(1, std::memory_order_relaxed);
    fsync_us.Record(micros);
  }

  // Fills the append, sync and latency fields of `out`.
  void Fill(MetricsSnapshot* out) const;
};

// What the change feeds delivered, by source: the live tail or RocksDB.
// Bumped by every feed's thread once per batch.
struct FeedMetrics {
  std::atomic<uint64_t> tail_events{0};
  std::atomic<uint64_t> log_events{0};
};

// Counts RocksDB's write stalls, flushes and compactions as RocksDB reports
// them, on its background threads.
class RocksDbEvents : public rocksdb::EventListener {
 public:
  void OnStallConditionsChanged(const rocksdb::WriteStallInfo& info) override;
  void OnFlushCompleted(rocksdb::DB* db, const rocksdb::FlushJobInfo& info) override;
  void OnCompactionCompleted(rocksdb::DB* db, const rocksdb::CompactionJobInfo& info) override;

  // Fills the counters of `out` (the gauges are DB properties: see
  // ReadRocksDbMetrics).
  void Fill(RocksDbMetrics* out) const;
  // Flushes plus successful compactions.
  uint64_t JobsCompleted() const;

 private:
  std::atomic<uint64_t> stalls_delayed_{0};
  std::atomic<uint64_t> stalls_stopped_{0};
  std::atomic<uint64_t> stall_micros_{0};
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<uint64_t> compaction_read_bytes_{0};
  std::atomic<uint64_t> compaction_write_bytes_{0};
  // Column families stalled now, by name: when their stall began.
  std::mutex mu_;
  std::map<std::string, uint64_t> stalled_since_;
};

struct Db;

// RocksDB's counters (from `events`, may be null) and gauges (DB
// properties) of `db`.
RocksDbMetrics ReadRocksDbMetrics(const Db& db, const RocksDbEvents* events);

}  // namespace evlog
