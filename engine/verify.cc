// The walk, family by family, under one snapshot:
//   1. counters, then `streams` rows (ids unique and below the next id),
//      and the read bounds each stream's metadata sets;
//   2. `log`: every chunk parses under its key, chunk ranges ascend without
//      overlap, and every record verifies and holds its slot's position;
//   3. `stream`: every chunk parses under its key, chunk ranges of a
//      stream ascend without overlap, every record verifies, is the event
//      of its stream and slot's version, equals its copy in `log`, and each
//      stream's versions are contiguous apart from what its metadata hides;
//   4. every position 1..last is accounted for;
//   5. `by_category` and `by_type` posting chunks decode and each of their
//      positions points at a matching event; `ids` chunks decode, sit
//      under their log chunk's key with its range and commit time, and
//      each of their ids, like each `dedup` row, is its position's event's
//      (verify_ids.cc);
//   6. each event's `by_tag` entries are exactly its distinct tags (compared
//      as an XOR of tag hashes per position, kept only once a tag is seen),
//      and each entry's record (a covering posting) equals the log's.
// A hidden event (trimmed, deleted, expired) may be present in either copy or
// in none, since compaction drops the two copies independently; a visible
// one must be in both. Per position the walk keeps a few flag bits and three
// hashes (~25 bytes), so a store of N events needs ~25N bytes of memory.

#include "verify.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <unordered_map>

#include "chunk.h"
#include "clock.h"
#include "codec.h"
#include "json/json_text.h"
#include "keys.h"
#include "log_chunks.h"
#include "sequence.h"
#include "stream_metadata.h"
#include "verify_walk.h"

namespace evlog {
namespace verify {

WalkState::WalkState(const Db& db)
    : db_(db), snapshot_(db.read_only ? nullptr : db.db->GetSnapshot()) {
  ro_.snapshot = snapshot_;
  ro_.fill_cache = false;
}

WalkState::~WalkState() {
  if (snapshot_ != nullptr) db_.db->ReleaseSnapshot(snapshot_);
}

void WalkState::Problem(std::string what) {
  if (report.problems.size() < VerifyReport::kMaxListedProblems) {
    report.problems.push_back(std::move(what));
  }
  ++report.problem_count;
}

Status WalkState::Finish(const rocksdb::Iterator& it, std::string_view family) {
  if (it.status().ok()) return Status::OK();
  if (it.status().IsCorruption()) {
    Problem(std::string(family) + ": " + it.status().ToString());
    return Status::OK();
  }
  return FromRocks(it.status());
}

std::unique_ptr<rocksdb::Iterator> WalkState::Iter(Db::Family family) {
  return std::unique_ptr<rocksdb::Iterator>(db_.db->NewIterator(ro_, db_.cf(family)));
}

uint64_t WalkState::KeyedPosition(const rocksdb::Slice& key, std::string_view family,
                                  std::string_view what) {
  Position position;
  if (!keys::ParseLogKey(key.ToStringView(), &position)) {
    Problem(std::string(family) + ": malformed key of " + std::to_string(key.size()) + " bytes");
    return 0;
  }
  const uint64_t p = position.value();
  if (p == 0 || p > last_) {
    Problem(std::string(what) + " " + std::to_string(p) + " is outside 1..last position " +
            std::to_string(last_));
    return 0;
  }
  return p;
}

namespace {

struct StreamState {
  std::string name;
  Position created_position;
  bool tombstoned = false;
  ReadBounds bounds;  // default: everything visible
  Version last;       // last version found in `stream`
  Version last_in_log;
};

size_t Hash(std::string_view s) { return std::hash<std::string_view>()(s); }

class Walk : public WalkState {
 public:
  Walk(const Db& db, size_t max_json_depth) : WalkState(db), max_json_depth_(max_json_depth) {}

  Status Run() {
    rocksdb::Status checksums = db_.db->VerifyChecksum(ro_);
    if (checksums.IsCorruption()) Problem("table files: " + checksums.ToString());
    if (!checksums.ok() && !checksums.IsCorruption()) return FromRocks(checksums);
    using Step = Status (Walk::*)();
    for (Step step : std::initializer_list<Step>{
             &Walk::Counters, &Walk::Streams, &Walk::Log, &Walk::StreamTable, &Walk::Positions,
             &Walk::Indexes, &Walk::Ids, &Walk::Dedup, &Walk::Tags}) {
      if (Status s = (this->*step)(); !s.ok()) return s;
    }
    return Status::OK();
  }

 private:
  Status Counter(std::string_view key, uint64_t missing, uint64_t* out) {
    std::string value;
    rocksdb::Status s =
        db_.db->Get(ro_, db_.cf(Db::kDefault), rocksdb::Slice(key.data(), key.size()), &value);
    *out = missing;
    if (s.IsNotFound()) return Status::OK();
    if (s.IsCorruption()) {
      Problem("counter " + std::string(key) + ": " + s.ToString());
      return Status::OK();
    }
    if (!s.ok()) return FromRocks(s);
    if (!keys::ParseCounter(value, out)) Problem("counter " + std::string(key) + " unreadable");
    return Status::OK();
  }

  Status Counters() {
    uint64_t last = 0;
    if (Status s = Counter(keys::kLastPosition, 0, &last); !s.ok()) return s;
    if (Status s = Counter(keys::kNextStreamId, 1, &next_stream_id_); !s.ok()) return s;
    if (Status s = Counter(keys::kTrimHorizon, 0, &trim_horizon_); !s.ok()) return s;
    if (last >= kMaxPositions) {
      Problem("last position " + std::to_string(last) + " is beyond any real store");
      last = 0;
    }
    report.last_position = Position(last);
    last_ = last;
    flags_.assign(last + 1, 0);
    log_hash_.assign(last + 1, 0);
    category_hash_.assign(last + 1, 0);
    type_hash_.assign(last + 1, 0);
    if (trim_horizon_ > last) {
      Problem("trim horizon " + std::to_string(trim_horizon_) + " is after the last position " +
              std::to_string(last));
    }
    return Status::OK();
  }

  Status Streams() {
    auto it = Iter(Db::kStreams);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string name = it->key().ToString();
      codec::StreamRow row;
      if (Status s = codec::DecodeStreamRow(it->value().ToStringView(), &row); !s.ok()) {
        Problem("stream '" + name + "': row " + s.ToString());
        continue;
      }
      if (row.id == 0 || row.id >= next_stream_id_) {
        Problem("stream '" + name + "' has id " + std::to_string(row.id) +
                ", outside 1..next stream id " + std::to_string(next_stream_id_));
      }
      if (!streams_
               .emplace(row.id, StreamState{.name = name,
                                            .created_position = row.created_position,
                                            .tombstoned = row.tombstoned})
               .second) {
        Problem("stream '" + name + "' reuses id " + std::to_string(row.id) + " of '" +
                streams_[row.id].name + "'");
        continue;
      }
      ids_.emplace(name, row.id);
      ++report.streams;
    }
    if (Status s = Finish(*it, "streams"); !s.ok()) return s;

    // Read bounds, as readers compute them, for streams with metadata.
    const int64_t now_us = WallMicros();
    for (auto& [id, st] : streams_) {
      if (ids_.find(MetaStream(st.name)) == ids_.end()) continue;
      StreamMetadata metadata;
      if (Status s = LoadMetadata(db_, st.name, &metadata); !s.ok()) {
        if (!s.IsCorruption()) return s;
        Problem("stream '" + st.name + "': metadata " + s.ToString());
        continue;
      }
      StreamHead head;
      if (Status s = LoadStreamHead(db_, ro_, st.name, &head); !s.ok()) return s;
      st.bounds = BoundsFor(metadata, head.version, now_us);
      if (st.bounds.gone || st.bounds.min_version > Version(1) || st.bounds.min_timestamp_us != 0) {
        trims_ = true;
      }
      if (metadata.max_count || metadata.max_age_seconds) moving_trims_ = true;
    }
    return Status::OK();
  }

  bool Hidden(const StreamState& st, Version version, int64_t timestamp_us) const {
    return st.bounds.gone || version < st.bounds.min_version ||
           timestamp_us < st.bounds.min_timestamp_us;
  }

  // The log, chunk by chunk (format 2, §1.8): each chunk parses under its
  // key, ranges ascend without overlap, and every record verifies and holds
  // the event of its slot's position.
  Status Log() {
    auto it = Iter(Db::kLog);
    codec::AlignedBuffer scratch;
    chunk::ChunkView view;
    uint64_t previous_last = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const uint64_t p = KeyedPosition(it->key(), "log", "log position");
      if (p == 0) continue;
      const std::string where = "log position " + std::to_string(p);
      const std::string_view value = it->value().ToStringView();
      if (Status s = chunk::ParseChunk(value, chunk::ChunkKind::kLog, p, &view); !s.ok()) {
        // A whole chunk under another chunk's key says whose it is.
        uint64_t claimed = 0;
        if (ClaimedLast(value, &claimed) && claimed != p &&
            chunk::ParseChunk(value, chunk::ChunkKind::kLog, claimed, &view).ok()) {
          Problem(where + " holds the event" + (view.span == 1 ? " of position " : "s of positions ") +
                  std::to_string(view.first) +
                  (view.span == 1 ? "" : ".." + std::to_string(view.last())));
        } else {
          Problem(where + ": " + s.ToString());
        }
        continue;
      }
      if (view.first <= previous_last) {
        Problem(where + ": its chunk's range " + std::to_string(view.first) + ".." +
                std::to_string(p) + " overlaps the previous one, which ends at " +
                std::to_string(previous_last));
      }
      previous_last = p;
      for (size_t i = 0; i < view.n; ++i) LogRecord(view, i, &scratch);
    }
    return Finish(*it, "log");
  }

  // The last position an events chunk's header claims, if it has one.
  static bool ClaimedLast(std::string_view value, uint64_t* last) {
    if (value.size() < chunk::kEventsHeaderBytes) return false;
    uint64_t first = 0;
    uint32_t span = 0;
    for (int b = 7; b >= 0; --b) first = first << 8 | static_cast<uint8_t>(value[8 + b]);
    for (int b = 3; b >= 0; --b) span = span << 8 | static_cast<uint8_t>(value[16 + b]);
    if (first == 0 || span == 0 || first > kMaxPositions) return false;
    *last = first + span - 1;
    return true;
  }

  // Decodes record i of a parsed chunk into *record and *e; false, with a
  // problem reported at where(), if it cannot. `where` builds its string
  // only for a problem: verify visits every record.
  template <typename Where>
  bool ChunkEvent(const chunk::ChunkView& view, size_t i, codec::AlignedBuffer* scratch,
                  const Where& where, std::string_view* record, RecordedEvent* e) {
    Status s = chunk::ChunkRecord(view, i, record);
    if (s.ok()) s = codec::DecodeEvent(*record, scratch, e);
    if (!s.ok()) Problem(where() + ": " + s.ToString());
    return s.ok();
  }

  // Record i of a parsed log chunk.
  void LogRecord(const chunk::ChunkView& view, size_t i, codec::AlignedBuffer* scratch) {
    const uint64_t p = chunk::SlotSeq(view, i);
    auto where = [p] { return "log position " + std::to_string(p); };
    std::string_view record;
    RecordedEvent e;
    if (!ChunkEvent(view, i, scratch, where, &record, &e)) return;
    ++report.events;
    if (e.position.value() != p) {
      Problem(where() + " holds the event of position " + std::to_string(e.position.value()));
      return;
    }
    if (p > last_) {
      Problem(where() + " is outside 1..last position " + std::to_string(last_));
      return;
    }
    if (Status j = json::ValidateEventJson(e.content_type == ContentType::kJson, e.data,
                                           e.metadata, max_json_depth_);
        !j.ok()) {
      Problem(where() + " (stream '" + std::string(e.stream) + "' version " +
              std::to_string(e.version.value()) + ") cannot be read: its " +
              std::string(j.message()));
    }
    flags_[p] |= kInLog;
    log_hash_[p] = Hash(record);
    category_hash_[p] = Hash(CategoryOf(e.stream));
    type_hash_[p] = Hash(e.type);
    for (size_t t = 0; t < e.tags.size(); ++t) {
      if (std::find(e.tags.begin(), e.tags.begin() + static_cast<ptrdiff_t>(t), e.tags[t]) ==
          e.tags.begin() + static_cast<ptrdiff_t>(t)) {
        TagHashes()[p] ^= Hash(e.tags[t]);
      }
    }
    auto id = ids_.find(e.stream);
    if (id == ids_.end()) {
      Problem(where() + " is an event of '" + std::string(e.stream) + "', which has no stream row");
      return;
    }
    StreamState& st = streams_[id->second];
    if (Hidden(st, e.version, e.timestamp_us)) flags_[p] |= kHidden;
    st.last_in_log = std::max(st.last_in_log, e.version);
  }

  // Versions `from`..`to` of `st` are not in the stream table.
  void MissingVersions(const StreamState& st, uint64_t from, uint64_t to) {
    if (st.bounds.gone || to < st.bounds.min_version.value() || st.bounds.min_timestamp_us != 0) {
      return;
    }
    Problem("stream '" + st.name + "': versions " + std::to_string(from) + ".." +
            std::to_string(to) + " are missing");
  }

  // Record i of a parsed chunk of stream `st`.
  void StreamRecord(StreamState& st, const chunk::ChunkView& view, size_t i,
                    codec::AlignedBuffer* scratch) {
    const uint64_t version = chunk::SlotSeq(view, i);
    auto where = [&st, version] {
      return "stream '" + st.name + "' version " + std::to_string(version);
    };
    std::string_view record;
    RecordedEvent e;
    if (!ChunkEvent(view, i, scratch, where, &record, &e)) return;
    if (e.version.value() != version || e.stream != st.name) {
      Problem(where() + " holds version " + std::to_string(e.version.value()) + " of '" +
              std::string(e.stream) + "'");
      return;
    }
    if (version != st.last.value() + 1) MissingVersions(st, st.last.value() + 1, version - 1);
    st.last = e.version;
    const uint64_t p = e.position.value();
    if (p == 0 || p > last_) {
      Problem(where() + " has position " + std::to_string(p) + ", outside 1..last position " +
              std::to_string(last_));
      return;
    }
    flags_[p] |= kInStream;
    const bool hidden = Hidden(st, e.version, e.timestamp_us);
    if (hidden) flags_[p] |= kHidden;
    if (flags_[p] & kInLog) {
      if (log_hash_[p] != Hash(record)) {
        Problem(where() + " differs from its copy at log position " + std::to_string(p));
      }
    } else if (!hidden) {
      Problem(where() + " (position " + std::to_string(p) + ") is missing from the log");
    }
  }

  // The stream table, chunk by chunk (format 2, §1.8): each chunk parses
  // under its key and every record is the event of its stream and slot's
  // version, equal to its copy in `log`.
  Status StreamTable() {
    auto it = Iter(Db::kStream);
    codec::AlignedBuffer scratch;
    chunk::ChunkView view;
    uint64_t current = 0;  // stream id whose range we are in
    StreamState* st = nullptr;
    auto close_stream = [&] {
      if (st != nullptr && st->last_in_log > st->last) {
        Problem("stream '" + st->name + "': the log has version " +
                std::to_string(st->last_in_log.value()) + " beyond its head " +
                std::to_string(st->last.value()));
      }
    };
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      uint64_t id = 0;
      Version version;
      if (!keys::ParseStreamKey(it->key().ToStringView(), &id, &version)) {
        Problem("stream table: malformed key of " + std::to_string(it->key().size()) + " bytes");
        continue;
      }
      if (id != current) {
        close_stream();
        current = id;
        auto found = streams_.find(id);
        st = found == streams_.end() ? nullptr : &found->second;
        if (st == nullptr)
          Problem("stream table: events of stream id " + std::to_string(id) +
                  ", which has no stream row");
      }
      if (st == nullptr) continue;
      const std::string where =
          "stream '" + st->name + "' version " + std::to_string(version.value());
      if (Status s = chunk::ParseChunk(it->value().ToStringView(), chunk::ChunkKind::kStream,
                                       version.value(), &view);
          !s.ok()) {
        Problem(where + ": " + s.ToString());
        continue;
      }
      if (view.first <= st->last.value()) {
        Problem(where + ": its chunk's range " + std::to_string(view.first) + ".." +
                std::to_string(version.value()) + " overlaps the previous one, which ends at " +
                std::to_string(st->last.value()));
        continue;
      }
      for (size_t i = 0; i < view.n; ++i) StreamRecord(*st, view, i, &scratch);
    }
    close_stream();
    if (Status s = Finish(*it, "stream"); !s.ok()) return s;
    for (const auto& [id, state] : streams_) {
      if (state.last.value() == 0 && state.created_position.value() != 0 && !state.bounds.gone &&
          state.bounds.min_version <= Version(1) && state.bounds.min_timestamp_us == 0) {
        Problem("stream '" + state.name + "' was created at position " +
                std::to_string(state.created_position.value()) + " but has no events");
      }
    }
    return Status::OK();
  }

  Status Positions() {
    uint64_t run_start = 0;
    auto flush_run = [&](uint64_t end) {
      if (run_start == 0) return;
      Problem("log positions " + std::to_string(run_start) + ".." + std::to_string(end) +
              " are missing");
      run_start = 0;
    };
    for (uint64_t p = 1; p <= last_; ++p) {
      const uint8_t f = flags_[p];
      if ((f & kInLog) && !(f & kInStream) && !(f & kHidden)) {
        Problem("log position " + std::to_string(p) + " is missing from its stream");
      }
      if (f & (kInLog | kInStream)) {
        flush_run(p - 1);
        continue;
      }
      if (Reclaimable(p)) {
        flush_run(p - 1);
        ++report.reclaimed;
      } else if (run_start == 0) {
        run_start = p;
      }
    }
    flush_run(last_);
    return Status::OK();
  }

  // One category or type index, chunk by chunk (format 2, §1.8): each
  // posting chunk decodes under its key, a name's chunks ascend without
  // overlap, and each position (counted one entry each) names an event of
  // that category or type. A key outside 1..last is reported before its
  // value is read.
  Status Index(Db::Family family, std::string_view what, const std::vector<size_t>& hashes,
               Flag flag) {
    auto it = Iter(family);
    std::vector<uint64_t> positions;
    std::string previous_name;
    uint64_t previous_last = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view key = it->key().ToStringView();
      Position position;
      if (!keys::ParseIndexKey(key, &position) || key[key.size() - 9] != '\0') {
        ++report.index_entries;
        Problem(std::string(what) + " index: malformed key of " + std::to_string(key.size()) +
                " bytes");
        continue;
      }
      std::string_view name = key.substr(0, key.size() - 9);
      const uint64_t last = position.value();
      const auto where = [&](uint64_t p) {
        return std::string(what) + " index entry '" + std::string(name) + "' at " +
               std::to_string(p);
      };
      if (last == 0 || last > last_) {
        ++report.index_entries;
        Problem(where(last) + " is outside 1..last position " + std::to_string(last_));
        continue;
      }
      if (Status s = chunk::DecodePostings(it->value().ToStringView(), last, &positions);
          !s.ok()) {
        ++report.index_entries;
        Problem(where(last) + ": " + s.ToString());
        continue;
      }
      report.index_entries += positions.size();
      if (name == previous_name && positions.front() <= previous_last) {
        Problem(where(last) + ": its chunk's range " + std::to_string(positions.front()) + ".." +
                std::to_string(last) + " overlaps the previous one, which ends at " +
                std::to_string(previous_last));
      }
      previous_name.assign(name);
      previous_last = last;
      const size_t hash = Hash(name);
      for (uint64_t p : positions) {
        if (!(flags_[p] & kInLog)) continue;
        if (hashes[p] != hash) {
          Problem(where(p) + " points at an event of another " + std::string(what));
        }
        flags_[p] |= flag;
      }
    }
    if (Status s = Finish(*it, what); !s.ok()) return s;
    for (uint64_t p = 1; p <= last_; ++p) {
      if ((flags_[p] & kInLog) && !(flags_[p] & flag)) {
        Problem("log position " + std::to_string(p) + " has no " + std::string(what) +
                " index entry");
      }
    }
    return Status::OK();
  }

  Status Indexes() {
    if (Status s = Index(Db::kByCategory, "category", category_hash_, kHasCategory); !s.ok()) {
      return s;
    }
    return Index(Db::kByType, "type", type_hash_, kHasType);
  }

  // Allocated at the first tag seen: a store without tags pays nothing.
  std::vector<size_t>& TagHashes() {
    if (tag_hash_.empty()) tag_hash_.assign(last_ + 1, 0);
    return tag_hash_;
  }

  Status Tags() {
    if (db_.cf(Db::kByTag) == nullptr) return Status::OK();  // read-only, made before tags
    std::vector<size_t> found;
    codec::AlignedBuffer scratch;
    auto it = Iter(Db::kByTag);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++report.index_entries;
      std::string_view tag;
      Position position;
      if (!keys::ParseTagKey(it->key().ToStringView(), &tag, &position)) {
        Problem("tag index: malformed key of " + std::to_string(it->key().size()) + " bytes");
        continue;
      }
      const uint64_t p = position.value();
      if (p == 0 || p > last_) {
        Problem("tag index entry at " + std::to_string(p) + " is outside 1..last position " +
                std::to_string(last_));
        continue;
      }
      if (!it->value().empty()) CoveringRecord(p, it->value().ToStringView(), &scratch);
      if (!(flags_[p] & kInLog)) continue;  // reclaimed
      if (found.empty()) found.assign(last_ + 1, 0);
      found[p] ^= Hash(tag);
    }
    if (Status s = Finish(*it, "tag"); !s.ok()) return s;
    if (found.empty() && tag_hash_.empty()) return Status::OK();
    for (uint64_t p = 1; p <= last_; ++p) {
      const size_t want = tag_hash_.empty() ? 0 : tag_hash_[p];
      const size_t have = found.empty() ? 0 : found[p];
      // The trim filter drops a hidden event's postings and its log record
      // independently.
      if ((flags_[p] & kInLog) && !(flags_[p] & kHidden) && want != have) {
        Problem("log position " + std::to_string(p) +
                ": its tag index entries are not exactly its tags");
      }
    }
    return Status::OK();
  }

  // A covering posting at position `p` holds `record`: the same bytes as
  // the log's record there, or, once the log's is reclaimed, a record of
  // that position.
  void CoveringRecord(uint64_t p, std::string_view record, codec::AlignedBuffer* scratch) {
    auto where = [p] { return "tag index entry at " + std::to_string(p); };
    if (flags_[p] & kInLog) {
      if (log_hash_[p] != Hash(record)) {
        Problem(where() + ": its record differs from its copy at log position " +
                std::to_string(p));
      }
      return;
    }
    RecordedEvent e;
    if (Status s = codec::DecodeEvent(record, scratch, &e); !s.ok()) {
      Problem(where() + ": " + s.ToString());
    } else if (e.position.value() != p) {
      Problem(where() + " holds the event of position " + std::to_string(e.position.value()));
    }
  }

  const size_t max_json_depth_;
  uint64_t next_stream_id_ = 1;
  std::map<uint64_t, StreamState> streams_;
  std::unordered_map<std::string, uint64_t, keys::StringHash, std::equal_to<>> ids_;
  std::vector<size_t> log_hash_, category_hash_, type_hash_, tag_hash_;
};

}  // namespace
}  // namespace verify

Result<VerifyReport> VerifyStore(const Db& db, size_t max_json_depth) {
  verify::Walk walk(db, max_json_depth);
  if (Status s = walk.Run(); !s.ok()) return s;
  return std::move(walk.report);
}

}  // namespace evlog
