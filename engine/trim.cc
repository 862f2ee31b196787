#include "trim.h"

#include <limits>
#include <mutex>

#include "clock.h"
#include "codec.h"
#include "db.h"
#include "sequence.h"
#include "stream_metadata.h"

namespace evlog {

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

}  // namespace evlog
