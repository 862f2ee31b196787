#include "trim.h"

#include <limits>
#include <mutex>

#include "checkpoint.h"
#include "clock.h"
#include "codec.h"
#include "db.h"
#include "reader.h"
#include "request.h"
#include "sequence.h"
#include "snapshot.h"
#include "stream_metadata.h"

namespace evlog {

namespace {

// Raises the trim horizon to the position of version `last_removed` of the
// stream with id `stream_id`, the newest event a trim or delete removed.
Status RaiseTrimHorizon(Db& db, uint64_t stream_id, Version last_removed) {
  if (last_removed.value() == 0) return Status::OK();
  std::string record;
  rocksdb::Status s = db.db->Get(rocksdb::ReadOptions(), db.cf(Db::kStream),
                                 keys::StreamKey(stream_id, last_removed), &record);
  if (!s.ok()) return FromRocks(s);
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
    if (head.id != 0) table->Set(stream, RuleFor(metadata, head.version));
  }
  return FromRocks(it->status());
}

Result<Version> TrimStream(Db& db, Writer& writer, const Options& store_options,
                           std::string_view stream, const TrimOptions& options) {
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  if (head.version.value() == 0) {
    return Status::NotFound("stream '" + std::string(stream) + "' not found");
  }
  StreamMetadata metadata;
  if (Status s = LoadMetadata(db, stream, &metadata); !s.ok()) return s;
  const Version current = metadata.truncate_before.value_or(Version(1));
  Version target = options.before.value_or(Version(head.version.value() + 1));
  if (options.require_snapshot) {
    auto snapshot = LoadSnapshot(db, stream);
    if (!snapshot.ok()) return snapshot.status();
    Version covered =
        snapshot->has_value() ? Version((*snapshot)->version.value() + 1) : Version(1);
    target = std::min(target, covered);
  }
  // Never past what a durable consumer still has to process, nor younger
  // than the retention window.
  auto oldest = checkpoint::Oldest(db);
  if (!oldest.ok()) return oldest.status();
  const int64_t keep_after_us =
      options.retention_seconds == 0
          ? std::numeric_limits<int64_t>::max()
          : WallMicros() - static_cast<int64_t>(options.retention_seconds) * 1'000'000;
  auto it = NewStreamIterator(db, head.id, {.from = current});
  for (; it->Valid() && it->event().version < target; it->Next()) {
    if (it->event().position > *oldest || it->event().timestamp_us >= keep_after_us) {
      target = it->event().version;
      break;
    }
  }
  if (!it->status().ok()) return it->status();
  if (target <= current) return current;
  metadata.truncate_before = target;
  if (Status s = WriteMetadata(db, writer, store_options, stream, metadata, /*tombstone=*/false);
      !s.ok()) {
    return s;
  }
  if (Status s = RaiseTrimHorizon(db, head.id, Version(target.value() - 1)); !s.ok()) return s;
  return target;
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
