// dedup: the idempotency window's bound and the compaction filters that
// keep its families about one window long. The window itself is
// CommittedIds (committed_ids.h): the `ids` chunks, and the `dedup` rows
// (id -> position, commit time) that stores written before the `ids`
// chunks still hold.

#pragma once

#include <rocksdb/compaction_filter.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commit_signal.h"
#include "db.h"
#include "evlog/options.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

// Where an already committed event landed.
struct CommittedEvent {
  std::string stream;
  Version version;
  Position position;
};

// Drops `dedup` rows that have left the window when RocksDB compacts them.
// Nothing writes such rows any more; those of an older store are read at
// open (CommittedIds::Load) until this has dropped them.
// Thread-safe: one instance serves all compactions.
class DedupWindowFilter : public rocksdb::CompactionFilter {
 public:
  // `commits` is the store's committed position, shared with the writer.
  DedupWindowFilter(std::shared_ptr<const CommitSignal> commits, const Options& options)
      : commits_(std::move(commits)),
        window_events_(options.dedup_window_events),
        window_us_(static_cast<int64_t>(options.dedup_window_seconds) * 1'000'000) {}

  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override { return "evlog.DedupWindowFilter"; }

 private:
  std::shared_ptr<const CommitSignal> commits_;
  uint64_t window_events_;
  int64_t window_us_;
};

// Drops an `ids` chunk once its key (the last position of its log chunk,
// at or above each of its ids) or its commit time is outside the window,
// so the family holds about one window of ids whatever the store's age.
// A chunk it cannot read is kept (verify reports it). Thread-safe.
class IdsWindowFilter : public rocksdb::CompactionFilter {
 public:
  IdsWindowFilter(std::shared_ptr<const CommitSignal> commits, const Options& options)
      : commits_(std::move(commits)),
        window_events_(options.dedup_window_events),
        window_us_(static_cast<int64_t>(options.dedup_window_seconds) * 1'000'000) {}

  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override { return "evlog.IdsWindowFilter"; }

 private:
  std::shared_ptr<const CommitSignal> commits_;
  uint64_t window_events_;
  int64_t window_us_;
};

// Whether a row committed at `position`, `committed_us` is inside the window
// as seen at `last_position`, `now_us`.
bool InDedupWindow(Position position, int64_t committed_us, Position last_position, int64_t now_us,
                   uint64_t window_events, int64_t window_us);

}  // namespace evlog
