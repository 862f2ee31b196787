#include "dedup.h"

#include <algorithm>
#include <chrono>

#include "clock.h"
#include "codec.h"
#include "keys.h"
#include "log_chunks.h"

namespace evlog {

Result<bool> DedupIndex::InWindow(const Uuid& id, std::string_view value, Position last_position,
                                  int64_t now_us, Position* position) const {
  int64_t committed_us = 0;
  if (!keys::ParseDedupValue(value, position, &committed_us)) {
    return Status::Corruption("malformed dedup entry for event " + id.ToString());
  }
  return InDedupWindow(*position, committed_us, last_position, now_us, options_.dedup_window_events,
                       static_cast<int64_t>(options_.dedup_window_seconds) * 1'000'000);
}

Result<std::optional<CommittedEvent>> DedupIndex::FromRecord(const Uuid& id, Position position,
                                                             const Status& s,
                                                             std::string_view record) {
  if (s.IsNotFound()) return std::optional<CommittedEvent>();  // trimmed since
  if (!s.ok()) return s;
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  if (Status st = codec::DecodeEvent(record, &scratch, &event); !st.ok()) return st;
  if (event.id != id) {
    return Status::Corruption("dedup entry for event " + id.ToString() + " points at position " +
                              std::to_string(position.value()) + ", which holds another event");
  }
  return std::optional<CommittedEvent>(
      CommittedEvent{std::string(event.stream), event.version, event.position});
}

Result<std::optional<CommittedEvent>> DedupIndex::Find(const Uuid& id, Position last_position,
                                                       int64_t now_us) const {
  std::string key = keys::DedupKey(id);
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->db->Get(rocksdb::ReadOptions(), db_->cf(Db::kDedup), key, &value);
  if (s.IsNotFound()) return std::optional<CommittedEvent>();
  if (!s.ok()) return FromRocks(s);
  Position position;
  auto in_window = InWindow(id, value.ToStringView(), last_position, now_us, &position);
  if (!in_window.ok()) return in_window.status();
  if (!*in_window) return std::optional<CommittedEvent>();

  const rocksdb::ReadOptions ro;
  LogChunkReader log(*db_, ro);
  std::string_view record;
  Status found = log.Find(position.value(), &record);
  return FromRecord(id, position, found, record);
}

DedupLookups DedupIndex::FindAll(std::vector<Uuid> ids, Position last_position,
                                 int64_t now_us) const {
  DedupLookups out;
  out.ids_ = std::move(ids);
  const size_t n = out.ids_.size();
  out.found_.reserve(n);
  if (n == 0) return out;
  // The dedup key is the id's bytes, so sorted ids are sorted keys.
  std::vector<std::string> key_bytes;
  key_bytes.reserve(n);
  std::vector<rocksdb::Slice> key_slices;
  key_slices.reserve(n);
  for (const Uuid& id : out.ids_) {
    key_bytes.push_back(keys::DedupKey(id));
    key_slices.emplace_back(key_bytes.back());
  }
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  db_->db->MultiGet(rocksdb::ReadOptions(), db_->cf(Db::kDedup), n, key_slices.data(),
                    values.data(), statuses.data(), /*sorted_input=*/true);

  // Rows inside the window: their records are read next, from the log's
  // chunks.
  std::vector<size_t> hits;
  std::vector<Position> positions;
  for (size_t i = 0; i < n; ++i) {
    const Uuid& id = out.ids_[i];
    if (statuses[i].IsNotFound()) {
      out.found_.emplace_back(std::optional<CommittedEvent>());
      continue;
    }
    if (!statuses[i].ok()) {
      out.found_.emplace_back(FromRocks(statuses[i]));
      continue;
    }
    Position position;
    auto in_window = InWindow(id, values[i].ToStringView(), last_position, now_us, &position);
    if (!in_window.ok()) {
      out.found_.emplace_back(in_window.status());
    } else {
      // Outside the window: not a duplicate. Inside: decided by the record.
      out.found_.emplace_back(std::optional<CommittedEvent>());
      if (*in_window) {
        hits.push_back(i);
        positions.push_back(position);
      }
    }
  }
  values.clear();
  if (hits.empty()) return out;

  // In position order, so hits in one log chunk read it once.
  std::vector<size_t> order(hits.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return positions[a] < positions[b]; });
  const rocksdb::ReadOptions ro;
  LogChunkReader log(*db_, ro);
  for (size_t k : order) {
    const size_t i = hits[k];
    std::string_view record;
    Status found = log.Find(positions[k].value(), &record);
    out.found_[i] = FromRecord(out.ids_[i], positions[k], found, record);
  }
  return out;
}

const Result<std::optional<CommittedEvent>>* DedupLookups::Find(const Uuid& id) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return nullptr;
  return &found_[static_cast<size_t>(it - ids_.begin())];
}

bool InDedupWindow(Position position, int64_t committed_us, Position last_position, int64_t now_us,
                   uint64_t window_events, int64_t window_us) {
  bool in_count = last_position.value() - position.value() < window_events;
  bool in_age = now_us - committed_us < window_us;
  return in_count && in_age;
}

bool DedupWindowFilter::Filter(int /*level*/, const rocksdb::Slice& /*key*/,
                               const rocksdb::Slice& value, std::string* /*new_value*/,
                               bool* /*value_changed*/) const {
  Position position;
  int64_t committed_us = 0;
  // Keep what we cannot read: verification reports it, compaction must not
  // hide it.
  if (!keys::ParseDedupValue(value.ToStringView(), &position, &committed_us)) return false;
  int64_t now_us = WallMicros();
  Position last(commits_->committed());
  return !InDedupWindow(position, committed_us, last, now_us, window_events_, window_us_);
}

}  // namespace evlog
