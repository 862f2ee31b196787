#include "sequence.h"

#include <limits>

#include "codec.h"
#include "keys.h"

namespace evlog {

Status LoadStreamHead(const Db& db, const rocksdb::ReadOptions& read_options,
                      std::string_view stream, StreamHead* head) {
  *head = StreamHead();
  rocksdb::PinnableSlice row;
  rocksdb::Status s = db.db->Get(read_options, db.cf(Db::kStreams),
                                 rocksdb::Slice(stream.data(), stream.size()), &row);
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return FromRocks(s);
  codec::StreamRow decoded;
  if (Status st = codec::DecodeStreamRow(row.ToStringView(), &decoded); !st.ok()) return st;
  head->id = decoded.id;
  head->created_position = decoded.created_position;
  head->tombstoned = decoded.tombstoned;

  std::string lower = keys::StreamKey(decoded.id, Version(0));
  std::string upper = keys::StreamKey(decoded.id + 1, Version(0));
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions ro = read_options;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(ro, db.cf(Db::kStream)));
  it->SeekToLast();
  if (it->Valid()) {
    uint64_t id = 0;
    Version version;
    if (!keys::ParseStreamKey(it->key().ToStringView(), &id, &version) || id != decoded.id) {
      return Status::Corruption("malformed key in the stream index of '" + std::string(stream) +
                                "'");
    }
    head->version = version;
  }
  if (!it->status().ok()) return FromRocks(it->status());
  // Compaction drops trimmed and deleted events, the last ones too (a soft
  // delete truncates before last + 1): the truncation point then tells where
  // the stream stood, so its versions continue past what was removed rather
  // than restart below the truncation point, hidden from every read. An
  // in-memory lookup (the trim filter's rules), so reads pay nothing for it.
  if (!head->tombstoned && !db.truncations->empty()) {
    const uint64_t keep_from = db.truncations->KeepFrom(stream).value();
    if (keep_from != std::numeric_limits<uint64_t>::max() &&
        keep_from > head->version.value() + 1) {
      head->version = Version(keep_from - 1);
    }
  }
  return Status::OK();
}

Result<StreamHead*> StreamHeads::Find(std::string_view stream) {
  if (auto it = heads_.find(stream); it != heads_.end()) {
    it->second->referenced = true;
    return it->second.get();
  }
  auto head = std::make_unique<StreamHead>();
  if (Status s = LoadStreamHead(*db_, rocksdb::ReadOptions(), stream, head.get()); !s.ok()) {
    return s;
  }
  StreamHead* raw = head.get();
  heads_.emplace(std::string(stream), std::move(head));
  return raw;
}

void StreamHeads::Shrink(size_t capacity) {
  if (heads_.size() <= capacity) return;
  for (auto it = heads_.begin(); it != heads_.end();) {
    if (it->second->referenced) {
      it->second->referenced = false;
      ++it;
    } else {
      it = heads_.erase(it);
    }
  }
}

}  // namespace evlog
