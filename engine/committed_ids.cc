#include "committed_ids.h"

#include <algorithm>
#include <string_view>

#include "chunk.h"
#include "keys.h"

namespace evlog {

namespace {

struct LegacyRow {
  uint64_t position;
  int64_t commit_us;
  Uuid id;
};

}  // namespace

CommittedIds::CommittedIds(const Db* db, const Options& options)
    : db_(db),
      window_events_(options.dedup_window_events),
      window_us_(static_cast<int64_t>(options.dedup_window_seconds) * 1'000'000),
      window_(window_events_, window_us_) {}

void CommittedIds::Load(Position last_position, int64_t now_us) {
  if (window_events_ == 0 || window_us_ <= 0) return;
  const uint64_t last = last_position.value();
  const uint64_t lower = last >= window_events_ ? last - window_events_ + 1 : 1;
  const auto inside = [&](uint64_t p, int64_t us) {
    return p >= lower && p <= last &&
           InDedupWindow(Position(p), us, last_position, now_us, window_events_, window_us_);
  };

  // `dedup` rows of a store written before the `ids` chunks: keyed by id,
  // so the whole family is read (it holds about one window at most, and
  // nothing once its rows have left the window and been compacted away).
  std::vector<LegacyRow> legacy;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro_, db_->cf(Db::kDedup)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = it->key().ToStringView();
      if (key.size() != 16) {
        broken_ = Status::Corruption("a dedup row has a key of " + std::to_string(key.size()) +
                                     " bytes, not an event id");
        continue;
      }
      std::array<uint8_t, 16> bytes;
      std::copy(key.begin(), key.end(), bytes.begin());
      const Uuid id(bytes);
      Position p;
      int64_t us = 0;
      if (!keys::ParseDedupValue(it->value().ToStringView(), &p, &us)) {
        corrupt_ids_.push_back(id);
        continue;
      }
      if (inside(p.value(), us)) legacy.push_back(LegacyRow{p.value(), us, id});
    }
    if (!it->status().ok()) broken_ = FromRocks(it->status());
  }
  std::sort(corrupt_ids_.begin(), corrupt_ids_.end());
  std::sort(legacy.begin(), legacy.end(),
            [](const LegacyRow& a, const LegacyRow& b) { return a.position < b.position; });

  size_t next_legacy = 0;
  const auto add_legacy_below = [&](uint64_t p) {
    for (; next_legacy < legacy.size() && legacy[next_legacy].position < p; ++next_legacy) {
      const LegacyRow& row = legacy[next_legacy];
      window_.Add(row.id, row.position, row.commit_us);
    }
  };
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro_, db_->cf(Db::kIds)));
  std::vector<chunk::IdEntry> entries;
  for (it->Seek(keys::LogKey(Position(lower))); it->Valid(); it->Next()) {
    Position key;
    int64_t us = 0;
    if (!keys::ParseLogKey(it->key().ToStringView(), &key)) {
      broken_ = Status::Corruption("an ids chunk has a malformed key");
      continue;
    }
    if (Status s = chunk::DecodeIds(it->value().ToStringView(), key.value(), &us, &entries);
        !s.ok()) {
      broken_ = Status::Corruption("the ids chunk of log position " + std::to_string(key.value()) +
                                   ": " + s.message());
      continue;
    }
    for (const chunk::IdEntry& e : entries) {
      if (!inside(e.position, us)) continue;
      add_legacy_below(e.position);
      if (next_legacy < legacy.size() && legacy[next_legacy].position == e.position) {
        ++next_legacy;  // the same id, written both ways
      }
      window_.Add(e.id, e.position, us);
    }
  }
  if (!it->status().ok()) broken_ = FromRocks(it->status());
  add_legacy_below(UINT64_MAX);
}

Result<std::optional<CommittedEvent>> CommittedIds::Find(const Uuid& id, Position last,
                                                         int64_t now_us,
                                                         const std::vector<StagedEvent>& staged) {
  if (!broken_.ok()) {
    if (!broken_.IsCorruption()) return broken_;
    return Status::Corruption("cannot tell whether event " + id.ToString() +
                              " was committed before: " + broken_.message());
  }
  if (std::binary_search(corrupt_ids_.begin(), corrupt_ids_.end(), id)) {
    return Status::Corruption("malformed dedup entry for event " + id.ToString());
  }
  window_.Candidates(id, last.value(), now_us, &candidates_, &staged_candidates_);
  for (uint64_t p : staged_candidates_) {
    auto it = std::lower_bound(staged.begin(), staged.end(), p,
                               [](const StagedEvent& e, uint64_t q) { return e.position < q; });
    if (it != staged.end() && it->position == p && it->event->id == id) {
      return std::optional<CommittedEvent>(
          CommittedEvent{std::string(it->stream), Version(it->version), Position(p)});
    }
  }
  if (candidates_.empty()) return std::optional<CommittedEvent>();
  if (!reader_) reader_ = std::make_unique<LogChunkReader>(*db_, ro_);
  for (uint64_t p : candidates_) {
    std::string_view record;
    Status s = reader_->Find(p, &record);
    if (s.IsNotFound()) continue;  // trimmed since
    if (!s.ok()) return s;
    RecordedEvent event;
    if (Status st = codec::DecodeEvent(record, &scratch_, &event); !st.ok()) return st;
    if (event.id != id) continue;  // another id with the same fingerprint
    return std::optional<CommittedEvent>(
        CommittedEvent{std::string(event.stream), event.version, event.position});
  }
  return std::optional<CommittedEvent>();
}

}  // namespace evlog
