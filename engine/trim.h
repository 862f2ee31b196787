// trim: reclaiming the bytes of trimmed and deleted events. Reads hide them
// at once (stream_metadata); here a RocksDB compaction filter drops them
// from `log` and `stream` when their files are next compacted.
//
// The TruncationTable holds, per stream, the first version that must be
// kept. It is filled at open from every "$meta-" stream and updated when
// metadata changes; compaction threads read it concurrently.

#pragma once

#include <rocksdb/compaction_filter.h>

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "evlog/status.h"
#include "evlog/types.h"
#include "keys.h"

namespace evlog {

struct Db;

class TruncationTable {
 public:
  // Events of `stream` (id `stream_id`) before `keep_from` may be dropped.
  void Set(std::string_view stream, uint64_t stream_id, Version keep_from);
  // Version(0) when nothing of the stream may be dropped.
  Version ForId(uint64_t stream_id) const;
  Version ForName(std::string_view stream) const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<uint64_t, Version> by_id_;
  std::unordered_map<std::string, Version, keys::StringHash, std::equal_to<>> by_name_;
};

// Drops trimmed events from the `log` (keyed by position, so the stream is
// read from the record) or `stream` (keyed by stream id and version) family.
class TrimFilter : public rocksdb::CompactionFilter {
 public:
  enum class Family { kLog, kStream };
  TrimFilter(Family family, std::shared_ptr<const TruncationTable> table)
      : family_(family), table_(std::move(table)) {}
  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override { return "evlog.TrimFilter"; }

 private:
  Family family_;
  std::shared_ptr<const TruncationTable> table_;
};

// The first version of `stream` that metadata keeps (hard delete: all gone).
Version KeepFrom(const StreamMetadata& metadata);

// Fills `table` from every "$meta-" stream of `db`.
Status LoadTruncations(const Db& db, TruncationTable* table);

}  // namespace evlog
