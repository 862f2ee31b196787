// verify's passes over caller ids: `ids` chunks and the `dedup` rows of
// stores written before them (the walk's state is in verify_walk.h).
// An ids chunk must sit where the writer puts it: under the key of its log
// chunk (the last position that chunk was written with), its positions
// inside that chunk's range, its commit time the chunk's (the writer and
// `evlog migrate` give both the group's). A log chunk a trim reclaimed
// whole leaves its ids chunk until the window drops it: such a chunk is
// checked against the positions the walk found reclaimable.

#include <array>
#include <cstring>

#include "chunk.h"
#include "codec.h"
#include "keys.h"
#include "log_chunks.h"
#include "verify_walk.h"

namespace evlog::verify {

struct WalkState::IdCheck {
  IdCheck(const Db& db, const rocksdb::ReadOptions& ro) : log(db, ro) {}
  LogChunkReader log;
  codec::AlignedBuffer scratch;
};

// The log chunks of ids chunks, read as the ids chunks come: both
// families' keys ascend, so each lookup is one seek of one iterator.
struct WalkState::IdsChunkLog {
  explicit IdsChunkLog(std::unique_ptr<rocksdb::Iterator> it) : log(std::move(it)) {}

  enum Found { kAt, kInside, kNone, kUnreadable };
  // The log chunk whose range holds `k`, parsed into `view`: kAt if it
  // ends at k, kInside if it ends after; kNone if no chunk holds k;
  // kUnreadable if the chunk there does not parse (reported by Log()) or
  // the iterator failed (*error set unless that is Corruption, which
  // Log() reported).
  Found Find(uint64_t k, Status* error) {
    log->Seek(keys::LogKey(Position(k)));
    if (!log->Valid()) {
      if (!log->status().ok() && !log->status().IsCorruption()) *error = FromRocks(log->status());
      return log->status().ok() ? kNone : kUnreadable;
    }
    Position at;
    if (!keys::ParseLogKey(log->key().ToStringView(), &at) ||
        !chunk::ParseChunk(log->value().ToStringView(), chunk::ChunkKind::kLog, at.value(), &view)
             .ok()) {
      return kUnreadable;
    }
    if (at.value() == k) return kAt;
    return view.first <= k ? kInside : kNone;
  }

  std::unique_ptr<rocksdb::Iterator> log;
  chunk::ChunkView view;
};

// `ids` chunks: each decodes under its key (the last position of its
// log chunk, within 1..last), sits where its log chunk is (see the top),
// and each of its ids is the id of the event at its position, unless that
// event was reclaimed. One entry per id.
Status WalkState::Ids() {
  auto it = Iter(Db::kIds);
  IdCheck check(db_, ro_);
  IdsChunkLog chunks(Iter(Db::kLog));
  std::vector<chunk::IdEntry> entries;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t k = KeyedPosition(it->key(), "ids", "ids chunk at log position");
    if (k == 0) continue;
    const std::string where = "ids chunk at log position " + std::to_string(k);
    int64_t commit_us = 0;
    Status s = chunk::DecodeIds(it->value().ToStringView(), k, &commit_us, &entries);
    if (!s.ok()) {
      Problem(where + ": " + s.message());
      continue;
    }
    Status error;
    const IdsChunkLog::Found found = chunks.Find(k, &error);
    if (!error.ok()) return error;
    const chunk::ChunkView& view = chunks.view;
    if (found == IdsChunkLog::kAt) {
      if (commit_us != view.max_us) {
        Problem(where + " has commit time " + std::to_string(commit_us) + ", its log chunk's is " +
                std::to_string(view.max_us));
      }
    } else if (found == IdsChunkLog::kInside) {
      Problem(where + " is not at a log chunk's last position: the log chunk of positions " +
              std::to_string(view.first) + ".." + std::to_string(view.last()) + " holds " +
              std::to_string(k));
    } else if (found == IdsChunkLog::kNone && !(flags_[k] & kHidden) &&
               ((flags_[k] & kInStream) || !Reclaimable(k))) {
      Problem(where + " has no log chunk: none ends at " + std::to_string(k) +
              " and no trim reclaimed it");
    }
    for (const chunk::IdEntry& e : entries) {
      ++report.index_entries;
      if (found == IdsChunkLog::kAt && e.position < view.first) {
        Problem(where + " names position " + std::to_string(e.position) +
                ", outside its log chunk's range " + std::to_string(view.first) + ".." +
                std::to_string(k));
      } else if (found == IdsChunkLog::kNone && (flags_[e.position] & kInLog)) {
        Problem(where + " names position " + std::to_string(e.position) +
                ", which another log chunk holds");
      }
      if (Status st = CheckId(check, e.position, e.id, where); !st.ok()) return st;
    }
  }
  return Finish(*it, "ids");
}

// `dedup` rows, which stores written before the `ids` chunks hold.
Status WalkState::Dedup() {
  auto it = Iter(Db::kDedup);
  IdCheck check(db_, ro_);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++report.index_entries;
    Position p;
    int64_t timestamp_us = 0;
    if (it->key().size() != 16 ||
        !keys::ParseDedupValue(it->value().ToStringView(), &p, &timestamp_us)) {
      Problem("dedup: malformed entry");
      continue;
    }
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), it->key().data(), 16);
    if (Status st = CheckId(check, p.value(), Uuid(bytes), "dedup entry"); !st.ok()) return st;
  }
  return Finish(*it, "dedup");
}

// That the event at `p` (if the log holds it) has `id`.
Status WalkState::CheckId(IdCheck& check, uint64_t p, const Uuid& id, const std::string& what) {
  if (p == 0 || p > last_) {
    Problem(what + " names position " + std::to_string(p) + ", outside 1..last position " +
            std::to_string(last_));
    return Status::OK();
  }
  if (!(flags_[p] & kInLog)) return Status::OK();  // reclaimed
  std::string_view record;
  Status s = check.log.Find(p, &record);
  if (!s.ok()) {
    if (s.IsCorruption() || s.IsNotFound()) return Status::OK();  // reported by Log()
    return s;
  }
  RecordedEvent e;
  if (!codec::DecodeEvent(record, &check.scratch, &e).ok()) return Status::OK();  // by Log()
  if (e.id != id) {
    Problem(what + " for position " + std::to_string(p) + " names an id that event does not have");
  }
  return Status::OK();
}

}  // namespace evlog::verify
