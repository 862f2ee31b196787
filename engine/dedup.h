// dedup: the idempotency window. Each committed event whose id the caller
// gave has a row in `dedup` (id -> position, commit time). A retry of an
// append whose ids all have rows inside the window returns the original
// result. Rows outside the window are ignored (and later reclaimed).

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

// What DedupIndex::FindAll found for a set of ids.
class DedupLookups {
 public:
  // The answer for `id` (as DedupIndex::Find would give it), or nullptr if
  // `id` was not looked up.
  const Result<std::optional<CommittedEvent>>* Find(const Uuid& id) const;
  bool empty() const { return ids_.empty(); }

 private:
  friend class DedupIndex;
  std::vector<Uuid> ids_;                                     // sorted, distinct
  std::vector<Result<std::optional<CommittedEvent>>> found_;  // one per id
};

class DedupIndex {
 public:
  DedupIndex(const Db* db, const Options& options) : db_(db), options_(options) {}

  // The committed event with id `id`, if one was committed within the window
  // as seen at `last_position` and `now_us`; nullopt otherwise.
  Result<std::optional<CommittedEvent>> Find(const Uuid& id, Position last_position,
                                             int64_t now_us) const;

  // Find for each of `ids` (sorted, distinct), batched: one MultiGet over
  // their `dedup` rows (sorted keys, so RocksDB walks each table once and
  // its bloom filters answer the misses), then one over the `log` records
  // of the rows inside the window. An error (a malformed row, a failed
  // read) is that id's answer only.
  DedupLookups FindAll(std::vector<Uuid> ids, Position last_position, int64_t now_us) const;

 private:
  // Whether the dedup row `value` of `id` is inside the window (then
  // *position is the log position to read); Corruption if it is malformed.
  Result<bool> InWindow(const Uuid& id, std::string_view value, Position last_position,
                        int64_t now_us, Position* position) const;
  // The answer for the log record at the position a dedup row of `id` gave.
  static Result<std::optional<CommittedEvent>> FromRecord(const Uuid& id, Position position,
                                                          const Status& s,
                                                          std::string_view record);

  const Db* db_;
  const Options& options_;
};

// Drops `dedup` rows that have left the window when RocksDB compacts them,
// so the family holds about one window of ids whatever the store's age.
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

// Whether a row committed at `position`, `committed_us` is inside the window
// as seen at `last_position`, `now_us`.
bool InDedupWindow(Position position, int64_t committed_us, Position last_position, int64_t now_us,
                   uint64_t window_events, int64_t window_us);

}  // namespace evlog
