#include "dedup.h"

#include <chrono>

#include "clock.h"
#include "codec.h"
#include "keys.h"

namespace evlog {

Result<std::optional<CommittedEvent>> DedupIndex::Find(const Uuid& id, Position last_position,
                                                       int64_t now_us) const {
  std::string key = keys::DedupKey(id);
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->db->Get(rocksdb::ReadOptions(), db_->cf(Db::kDedup), key, &value);
  if (s.IsNotFound()) return std::optional<CommittedEvent>();
  if (!s.ok()) return FromRocks(s);
  Position position;
  int64_t committed_us = 0;
  if (!keys::ParseDedupValue(value.ToStringView(), &position, &committed_us)) {
    return Status::Corruption("malformed dedup entry for event " + id.ToString());
  }
  if (!InDedupWindow(position, committed_us, last_position, now_us, options_.dedup_window_events,
                     static_cast<int64_t>(options_.dedup_window_seconds) * 1'000'000)) {
    return std::optional<CommittedEvent>();
  }

  rocksdb::PinnableSlice record;
  s = db_->db->Get(rocksdb::ReadOptions(), db_->cf(Db::kLog), keys::LogKey(position), &record);
  if (s.IsNotFound()) return std::optional<CommittedEvent>();  // trimmed since
  if (!s.ok()) return FromRocks(s);
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  if (Status st = codec::DecodeEvent(record.ToStringView(), &scratch, &event); !st.ok()) return st;
  if (event.id != id) {
    return Status::Corruption("dedup entry for event " + id.ToString() + " points at position " +
                              std::to_string(position.value()) + ", which holds another event");
  }
  return std::optional<CommittedEvent>(
      CommittedEvent{std::string(event.stream), event.version, event.position});
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
