// trim: reclaiming the bytes of trimmed and deleted events. Reads hide them
// at once (stream_metadata); here a RocksDB compaction filter drops them
// from `log`, `stream` and `by_tag` when their files are next compacted.
//
// The TruncationTable holds, per stream, the first version that must be
// kept. It is filled at open from every "$meta-" stream and updated when
// metadata changes; compaction threads read it concurrently.

#pragma once

#include <rocksdb/compaction_filter.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "evlog/options.h"
#include "evlog/status.h"
#include "evlog/store.h"
#include "evlog/types.h"
#include "keys.h"

namespace evlog {

struct Db;

// What compaction may drop of one stream.
struct TrimRule {
  // Versions below this (trims, deletes, max count).
  Version keep_from;
  // Events older than this many microseconds (max age); negative: no age rule.
  int64_t max_age_us = -1;
};

class TruncationTable {
 public:
  void Set(std::string_view stream, const TrimRule& rule);
  // Raises the stream's keep_from to `keep_from` if it has a rule (a max
  // count moves as the stream grows; readers report where it stands).
  void Raise(std::string_view stream, Version keep_from);
  // Whether compaction may drop version `version` of `stream`, committed at
  // `timestamp_us`, at `now_us`.
  bool Droppable(std::string_view stream, Version version, int64_t timestamp_us,
                 int64_t now_us) const;
  // The first version `stream` keeps by its version rules; 0 if it has no
  // rule.
  Version KeepFrom(std::string_view stream) const;
  bool empty() const { return size_.load(std::memory_order_relaxed) == 0; }

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, TrimRule, keys::StringHash, std::equal_to<>> rules_;
  std::atomic<size_t> size_{0};
};

// Drops trimmed, deleted and expired events from `by_tag`, one record per
// value (the record names its stream; an entry without one is kept).
class TrimFilter : public rocksdb::CompactionFilter {
 public:
  explicit TrimFilter(std::shared_ptr<const TruncationTable> table) : table_(std::move(table)) {}
  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override { return "evlog.TrimFilter"; }

 private:
  std::shared_ptr<const TruncationTable> table_;
};

// Drops trimmed, deleted and expired events from the events chunks of
// `log` and `stream` (format 2, §1.6; a key of 8 bytes names a log chunk,
// one of 16 a stream chunk): a chunk none of whose records stays is
// dropped, one some of whose records stay is rewritten to hold only them
// (same key, same range; chunk::RewriteChunk). A chunk or record that
// cannot be read is kept: verification must find it, not compaction hide
// it.
class ChunkTrimFilter : public rocksdb::CompactionFilter {
 public:
  explicit ChunkTrimFilter(std::shared_ptr<const TruncationTable> table)
      : table_(std::move(table)) {}
  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override { return "evlog.ChunkTrimFilter"; }

 private:
  std::shared_ptr<const TruncationTable> table_;
};

// The rule `metadata` sets for a stream whose last version is `last`.
TrimRule RuleFor(const StreamMetadata& metadata, Version last);

// Fills `table` from every "$meta-" stream of `db`.
Status LoadTruncations(const Db& db, TruncationTable* table);

class Writer;

// A prefix of a stream that a trim or a metadata rule would hide.
struct HiddenPrefix {
  // The first version of the scan that stays readable: the last hidden
  // one + 1 if the scan reached the stream's end, the largest version if it
  // found no event at all.
  Version end;
  // The first hidden event a durable consumer has not processed, if any.
  std::optional<Version> held;
  Position held_position;
};

// The one check that retention never hides what a durable subscription or
// view still has to process: walks the stream with id `stream_id` from
// version `from` while `hidden` says an event would be hidden, and stops at
// the first whose position is past `processed` (checkpoint::Oldest). Trims
// stop there; metadata rules that reach it are refused.
Result<HiddenPrefix> ScanHiddenPrefix(const Db& db, uint64_t stream_id, Version from,
                                      Position processed,
                                      const std::function<bool(const RecordedEvent&)>& hidden);

// The trim policy of Store::Trim: moves `stream`'s truncate point up to
// options.before, never past its newest snapshot (if required), the oldest
// durable checkpoint (checkpoint::Oldest) or the retention window, and
// raises the trim horizon. NotFound if the stream has no events.
Result<TrimResult> TrimStream(Db& db, Writer& writer, const Options& store_options,
                              std::string_view stream, const TrimOptions& options);

// Store::DeleteStream: soft (truncate past the end) or hard (tombstone),
// and raises the trim horizon. NotFound for a soft delete of a stream with
// no events; InvalidArgument for a bad name.
Status DeleteStream(Db& db, Writer& writer, const Options& store_options, std::string_view stream,
                    bool hard);

}  // namespace evlog
