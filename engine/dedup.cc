#include "dedup.h"

#include <vector>

#include "chunk.h"
#include "clock.h"
#include "keys.h"

namespace evlog {

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
  Position last(commits_->committed());
  if (position > last) return false;  // written after `last` was read
  return !InDedupWindow(position, committed_us, last, WallMicros(), window_events_, window_us_);
}

bool IdsWindowFilter::Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& value,
                             std::string* /*new_value*/, bool* /*value_changed*/) const {
  Position key_last;
  int64_t committed_us = 0;
  std::vector<chunk::IdEntry> entries;
  if (!keys::ParseLogKey(key.ToStringView(), &key_last)) return false;
  if (!chunk::DecodeIds(value.ToStringView(), key_last.value(), &committed_us, &entries).ok()) {
    return false;
  }
  Position last(commits_->committed());
  // A chunk written after `last` was read (a compaction racing a commit)
  // is inside the window.
  if (key_last > last) return false;
  return !InDedupWindow(key_last, committed_us, last, WallMicros(), window_events_, window_us_);
}

}  // namespace evlog
