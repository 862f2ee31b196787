#include "sequence.h"

#include <algorithm>
#include <limits>
#include <utility>

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
  const size_t hash = keys::StringHash()(stream);
  if (!slots_.empty()) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask; slots_[i].entry != nullptr; i = (i + 1) & mask) {
      Entry& e = *slots_[i].entry;
      if (slots_[i].hash == hash && e.name == stream) {
        e.head.referenced = true;
        return &e.head;
      }
    }
  }
  auto entry = std::make_unique<Entry>();
  if (Status s = LoadStreamHead(*db_, rocksdb::ReadOptions(), stream, &entry->head); !s.ok()) {
    return s;
  }
  entry->name = stream;
  if ((size_ + 1) * 2 > slots_.size()) Rehash(std::max<size_t>(16, slots_.size() * 2));
  StreamHead* head = &entry->head;
  Insert(hash, std::move(entry));
  ++size_;
  return head;
}

void StreamHeads::Insert(size_t hash, std::unique_ptr<Entry> entry) {
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].entry != nullptr) i = (i + 1) & mask;
  slots_[i] = Slot{hash, std::move(entry)};
}

void StreamHeads::Rehash(size_t slots) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(slots));
  for (Slot& s : old) {
    if (s.entry != nullptr) Insert(s.hash, std::move(s.entry));
  }
}

void StreamHeads::Shrink(size_t capacity) {
  if (size_ <= capacity) return;
  size_t kept = 0;
  for (Slot& s : slots_) {
    if (s.entry == nullptr) continue;
    if (s.entry->head.referenced) {
      s.entry->head.referenced = false;
      ++kept;
    } else {
      s.entry.reset();
    }
  }
  // Rebuilt without the dropped heads (linear probing cannot leave holes
  // in a run), at the same size: the cache fills up to `capacity` again,
  // and growing back from a small table would move every head once more.
  size_ = kept;
  Rehash(slots_.size());
}

}  // namespace evlog
