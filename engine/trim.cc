#include "trim.h"

#include <limits>
#include <mutex>

#include "checkpoint.h"
#include "chunk.h"
#include "clock.h"
#include "codec.h"
#include "db.h"
#include "log_chunks.h"
#include "reader.h"
#include "request.h"
#include "sequence.h"
#include "snapshot.h"
#include "stream_chunks.h"
#include "stream_metadata.h"

namespace evlog {

namespace {

// Raises the trim horizon to the position of version `last_removed` of the
// stream with id `stream_id`, the newest event a trim or delete removed.
Status RaiseTrimHorizon(Db& db, uint64_t stream_id, Version last_removed) {
  if (last_removed.value() == 0) return Status::OK();
  std::string record;
  if (Status s = ReadStreamEvent(db, rocksdb::ReadOptions(), stream_id, last_removed, &record);
      !s.ok()) {
    return s;
  }
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  if (Status st = codec::DecodeEvent(record, &scratch, &event); !st.ok()) return st;
  std::lock_guard<std::mutex> lock(db.trim_mu);
  if (event.position.value() <= db.trim_horizon.load()) return Status::OK();
  db.trim_horizon.store(event.position.value());
  return FromRocks(db.db->Put(rocksdb::WriteOptions(), db.cf(Db::kDefault),
                              rocksdb::Slice(keys::kTrimHorizon.data(), keys::kTrimHorizon.size()),
                              keys::EncodeCounter(event.position.value())));
}

}  // namespace

void TruncationTable::Set(std::string_view stream, const TrimRule& rule) {
  std::unique_lock lock(mu_);
  rules_[std::string(stream)] = rule;
  size_.store(rules_.size(), std::memory_order_relaxed);
}

void TruncationTable::Raise(std::string_view stream, Version keep_from) {
  {
    std::shared_lock lock(mu_);
    auto it = rules_.find(stream);
    if (it == rules_.end() || it->second.keep_from >= keep_from) return;
  }
  std::unique_lock lock(mu_);
  auto it = rules_.find(stream);
  if (it != rules_.end() && it->second.keep_from < keep_from) it->second.keep_from = keep_from;
}

Version TruncationTable::KeepFrom(std::string_view stream) const {
  std::shared_lock lock(mu_);
  auto it = rules_.find(stream);
  return it == rules_.end() ? Version(0) : it->second.keep_from;
}

bool TruncationTable::Droppable(std::string_view stream, Version version, int64_t timestamp_us,
                                int64_t now_us) const {
  std::shared_lock lock(mu_);
  auto it = rules_.find(stream);
  if (it == rules_.end()) return false;
  const TrimRule& rule = it->second;
  return version < rule.keep_from ||
         (rule.max_age_us >= 0 && timestamp_us < now_us - rule.max_age_us);
}

bool TrimFilter::Filter(int /*level*/, const rocksdb::Slice& /*key*/, const rocksdb::Slice& value,
                        std::string* /*new_value*/, bool* /*value_changed*/) const {
  if (table_->empty()) return false;
  // Keep what cannot be read: verification must find it, not compaction hide it.
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  if (!codec::DecodeEvent(value.ToStringView(), &scratch, &event).ok()) return false;
  return table_->Droppable(event.stream, event.version, event.timestamp_us, WallMicros());
}

bool ChunkTrimFilter::Filter(int /*level*/, const rocksdb::Slice& key,
                             const rocksdb::Slice& value, std::string* new_value,
                             bool* value_changed) const {
  if (table_->empty()) return false;
  chunk::ChunkView view;
  uint64_t stream_id = 0;
  const Status parsed =
      key.size() == 8
          ? ParseLogChunk(key.ToStringView(), value.ToStringView(), &view)
          : ParseStreamChunk(key.ToStringView(), value.ToStringView(), &stream_id, &view);
  if (!parsed.ok()) return false;
  const int64_t now_us = WallMicros();
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  std::vector<bool> keep(view.n, true);
  size_t kept = 0;
  for (size_t i = 0; i < view.n; ++i) {
    std::string_view record;
    if (chunk::ChunkRecord(view, i, &record).ok() &&
        codec::DecodeEvent(record, &scratch, &event).ok() &&
        table_->Droppable(event.stream, event.version, event.timestamp_us, now_us)) {
      keep[i] = false;
    } else {
      ++kept;
    }
  }
  if (kept == view.n) return false;
  if (kept == 0) return true;
  *new_value = chunk::RewriteChunk(view, keep);
  *value_changed = true;
  return false;
}

TrimRule RuleFor(const StreamMetadata& metadata, Version last) {
  if (metadata.hard_deleted) return TrimRule{Version(std::numeric_limits<uint64_t>::max())};
  TrimRule rule{metadata.truncate_before.value_or(Version(0))};
  if (metadata.max_count && last.value() >= *metadata.max_count) {
    rule.keep_from = std::max(rule.keep_from, Version(last.value() - *metadata.max_count + 1));
  }
  if (metadata.max_age_seconds) {
    rule.max_age_us = static_cast<int64_t>(*metadata.max_age_seconds) * 1'000'000;
  }
  return rule;
}

Status LoadTruncations(const Db& db, TruncationTable* table) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kStreams)));
  const rocksdb::Slice prefix(kMetaPrefix.data(), kMetaPrefix.size());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string stream = it->key().ToString().substr(kMetaPrefix.size());
    StreamMetadata metadata;
    if (Status s = LoadMetadata(db, stream, &metadata); !s.ok()) return s;
    StreamHead head;
    if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
    table->Set(stream, RuleFor(metadata, head.version));
  }
  return FromRocks(it->status());
}

std::string_view TrimLimitName(TrimLimit limit) {
  // Indexed by TrimLimit, in its declared order (as Status::CodeName).
  static constexpr std::string_view kNames[] = {"none", "nothing_to_trim", "no_snapshot",
                                                "subscription", "retention"};
  static_assert(std::size(kNames) == static_cast<size_t>(TrimLimit::kRetention) + 1);
  const auto index = static_cast<size_t>(limit);
  return index < std::size(kNames) ? kNames[index] : "none";
}

Result<HiddenPrefix> ScanHiddenPrefix(const Db& db, uint64_t stream_id, Version from,
                                      Position processed,
                                      const std::function<bool(const RecordedEvent&)>& hidden) {
  HiddenPrefix out{.end = Version(std::numeric_limits<uint64_t>::max())};
  auto it = NewStreamIterator(db, stream_id, {.from = from});
  for (; it->Valid(); it->Next()) {
    const RecordedEvent& e = it->event();
    if (!hidden(e)) {
      out.end = e.version;
      return out;
    }
    if (e.position > processed) {
      out.end = e.version;
      out.held = e.version;
      out.held_position = e.position;
      return out;
    }
    out.end = Version(e.version.value() + 1);
  }
  if (!it->status().ok()) return it->status();
  return out;
}

Result<TrimResult> TrimStream(Db& db, Writer& writer, const Options& store_options,
                              std::string_view stream, const TrimOptions& options) {
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  if (head.version.value() == 0) {
    return Status::NotFound("stream '" + std::string(stream) + "' not found");
  }
  StreamMetadata metadata;
  if (Status s = LoadMetadata(db, stream, &metadata); !s.ok()) return s;
  // The first version the stream's rules let anyone read.
  const Version current = std::max(Version(1), RuleFor(metadata, head.version).keep_from);
  const Version end(head.version.value() + 1);
  Version target = std::min(options.before.value_or(end), end);
  TrimResult result{.first_kept = current};
  if (target <= current) {
    result.limit = TrimLimit::kNothingToTrim;
    return result;
  }
  auto stop = [&](Version at, TrimLimit why) {
    if (at >= target) return;
    target = at;
    result.limit = why;
  };
  if (options.require_snapshot) {
    auto snapshot = LoadSnapshot(db, stream);
    if (!snapshot.ok()) return snapshot.status();
    stop(snapshot->has_value() ? Version((*snapshot)->version.value() + 1) : Version(1),
         TrimLimit::kNoSnapshot);
  }
  // Never past what a durable consumer still has to process, nor younger
  // than the retention window.
  auto oldest = checkpoint::Oldest(db);
  if (!oldest.ok()) return oldest.status();
  const int64_t keep_after_us =
      options.retention_seconds == 0
          ? std::numeric_limits<int64_t>::max()
          : WallMicros() - static_cast<int64_t>(options.retention_seconds) * 1'000'000;
  auto prefix = ScanHiddenPrefix(
      db, head.id, current, oldest->position,
      [&](const RecordedEvent& e) { return e.version < target && e.timestamp_us < keep_after_us; });
  if (!prefix.ok()) return prefix.status();
  if (prefix->held) {
    stop(*prefix->held, TrimLimit::kSubscription);
    if (result.limit == TrimLimit::kSubscription) result.held_by = oldest->name;
  } else {
    stop(prefix->end, TrimLimit::kRetention);
  }
  if (target <= current) return result;
  metadata.truncate_before = target;
  if (Status s = WriteMetadata(db, writer, store_options, stream, metadata, /*tombstone=*/false);
      !s.ok()) {
    return s;
  }
  if (Status s = RaiseTrimHorizon(db, head.id, Version(target.value() - 1)); !s.ok()) return s;
  result.first_kept = target;
  result.removed = target.value() - current.value();
  return result;
}

Status DeleteStream(Db& db, Writer& writer, const Options& store_options, std::string_view stream,
                    bool hard) {
  if (Status s = ValidateStreamName(stream, store_options.max_stream_name_bytes); !s.ok()) {
    return s;
  }
  StreamMetadata metadata;
  if (Status s = LoadMetadata(db, stream, &metadata); !s.ok()) return s;
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  if (hard) {
    metadata.hard_deleted = true;
  } else {
    if (head.version.value() == 0) {
      return Status::NotFound("stream '" + std::string(stream) + "' not found");
    }
    metadata.deleted = true;
    metadata.truncate_before = Version(head.version.value() + 1);
  }
  if (Status s = WriteMetadata(db, writer, store_options, stream, metadata, /*tombstone=*/hard);
      !s.ok()) {
    return s;
  }
  if (head.version.value() == 0) return Status::OK();
  return RaiseTrimHorizon(db, head.id, head.version);
}

}  // namespace evlog
