#include "trim.h"

#include <limits>
#include <mutex>

#include "codec.h"
#include "db.h"
#include "sequence.h"
#include "stream_metadata.h"

namespace evlog {

void TruncationTable::Set(std::string_view stream, uint64_t stream_id, Version keep_from) {
  std::unique_lock lock(mu_);
  by_id_[stream_id] = keep_from;
  by_name_[std::string(stream)] = keep_from;
}

Version TruncationTable::ForId(uint64_t stream_id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(stream_id);
  return it == by_id_.end() ? Version(0) : it->second;
}

Version TruncationTable::ForName(std::string_view stream) const {
  std::shared_lock lock(mu_);
  auto it = by_name_.find(stream);
  return it == by_name_.end() ? Version(0) : it->second;
}

bool TrimFilter::Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& value,
                        std::string* /*new_value*/, bool* /*value_changed*/) const {
  if (family_ == Family::kStream) {
    uint64_t id = 0;
    Version version;
    if (!keys::ParseStreamKey(key.ToStringView(), &id, &version)) return false;
    return version < table_->ForId(id);
  }
  // Keep what cannot be read: verification must find it, not compaction hide it.
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  if (!codec::DecodeEvent(value.ToStringView(), &scratch, &event).ok()) return false;
  return event.version < table_->ForName(event.stream);
}

Version KeepFrom(const StreamMetadata& metadata) {
  if (metadata.hard_deleted) return Version(std::numeric_limits<uint64_t>::max());
  return metadata.truncate_before.value_or(Version(0));
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
    if (head.id != 0) table->Set(stream, head.id, KeepFrom(metadata));
  }
  return FromRocks(it->status());
}

}  // namespace evlog
