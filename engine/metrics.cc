#include "metrics.h"

#include <rocksdb/db.h>

#include "db.h"

namespace evlog {

namespace {

void Add(std::atomic<uint64_t>& a, uint64_t by) { a.fetch_add(by, std::memory_order_relaxed); }

uint64_t Load(const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); }

// A property RocksDB does not know (or a read-only instance cannot answer)
// reads as 0: metrics never fail for it.
uint64_t IntProperty(const Db& db, const std::string& property) {
  uint64_t value = 0;
  return db.db->GetIntProperty(property, &value) ? value : 0;
}

uint64_t SumOverFamilies(const Db& db, const std::string& property) {
  uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* cf : db.handles) {
    uint64_t value = 0;
    if (cf != nullptr && db.db->GetIntProperty(cf, property, &value)) total += value;
  }
  return total;
}

}  // namespace

void WriteMetrics::Fill(MetricsSnapshot* out) const {
  out->appends = Load(appends);
  out->events = Load(events);
  out->append_bytes = Load(bytes);
  out->group_commit_events = group_events.Snapshot(1);
  out->fsyncs = Load(fsyncs);
  out->fsync_seconds = fsync_us.Snapshot(1e-6);
  out->append_latency_seconds = append_latency_us.Snapshot(1e-6);
}

void RocksDbEvents::OnStallConditionsChanged(const rocksdb::WriteStallInfo& info) {
  using rocksdb::WriteStallCondition;
  if (info.condition.cur == WriteStallCondition::kDelayed) Add(stalls_delayed_, 1);
  if (info.condition.cur == WriteStallCondition::kStopped) Add(stalls_stopped_, 1);
  const uint64_t now = MonotonicMicros();
  std::lock_guard<std::mutex> lock(mu_);
  if (info.condition.cur == WriteStallCondition::kNormal) {
    auto it = stalled_since_.find(info.cf_name);
    if (it != stalled_since_.end()) {
      Add(stall_micros_, now - it->second);
      stalled_since_.erase(it);
    }
  } else {
    stalled_since_.try_emplace(info.cf_name, now);  // delayed -> stopped goes on
  }
}

void RocksDbEvents::OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) {
  Add(flushes_, 1);
}

void RocksDbEvents::OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo& info) {
  if (!info.status.ok()) return;
  Add(compactions_, 1);
  Add(compaction_read_bytes_, info.stats.total_input_bytes);
  Add(compaction_write_bytes_, info.stats.total_output_bytes);
}

uint64_t RocksDbEvents::JobsCompleted() const { return Load(flushes_) + Load(compactions_); }

void RocksDbEvents::Fill(RocksDbMetrics* out) const {
  out->stalls_delayed = Load(stalls_delayed_);
  out->stalls_stopped = Load(stalls_stopped_);
  out->stall_micros = Load(stall_micros_);
  out->flushes = Load(flushes_);
  out->compactions = Load(compactions_);
  out->compaction_read_bytes = Load(compaction_read_bytes_);
  out->compaction_write_bytes = Load(compaction_write_bytes_);
}

RocksDbMetrics ReadRocksDbMetrics(const Db& db, const RocksDbEvents* events) {
  using P = rocksdb::DB::Properties;
  RocksDbMetrics m;
  if (events != nullptr) events->Fill(&m);
  m.write_stopped = IntProperty(db, P::kIsWriteStopped);
  m.delayed_write_rate = IntProperty(db, P::kActualDelayedWriteRate);
  m.compactions_running = IntProperty(db, P::kNumRunningCompactions);
  m.compactions_pending = SumOverFamilies(db, P::kCompactionPending);
  m.pending_compaction_bytes = SumOverFamilies(db, P::kEstimatePendingCompactionBytes);
  m.memtable_bytes = SumOverFamilies(db, P::kSizeAllMemTables);
  // One cache serves every column family: the default family's figure.
  m.block_cache_bytes = IntProperty(db, P::kBlockCacheUsage);
  m.table_readers_bytes = SumOverFamilies(db, P::kEstimateTableReadersMem);
  return m;
}

}  // namespace evlog
