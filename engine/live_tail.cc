#include "live_tail.h"

#include <algorithm>
#include <cstring>

namespace evlog {

namespace {

// 8-byte words that hold `bytes`.
size_t Words(size_t bytes) { return (bytes + 7) / 8; }

}  // namespace

TailGroup::TailGroup(uint64_t first, std::vector<std::string> records) : first_(first) {
  size_t words = 0;
  for (const std::string& r : records) words += Words(r.size());
  words_ = std::make_unique_for_overwrite<uint64_t[]>(words);
  records_.reserve(records.size());
  char* at = reinterpret_cast<char*>(words_.get());
  for (const std::string& r : records) {
    if (!r.empty()) std::memcpy(at, r.data(), r.size());
    records_.emplace_back(at, r.size());
    at += Words(r.size()) * 8;
  }
  // What the group holds: the records, per event its view and its decoded
  // event, and the object itself.
  charge_ = sizeof(TailGroup) + words * 8 +
            records_.size() * (sizeof(std::string_view) + sizeof(RecordedEvent));
  // `records` is freed as this returns, by the committing thread, as it is
  // when no feed is open.
}

Status TailGroup::Events(const std::vector<RecordedEvent>** events) const {
  std::call_once(decoded_, [this] {
    // The records are in the group's own words, which never move again: the
    // views stay valid as long as the group. Each record starts at an 8-byte
    // boundary, so DecodeEvent views it in place and never copies it into
    // `unused` (whose copy would not outlive this call).
    codec::AlignedBuffer unused;
    events_.resize(records_.size());
    for (size_t i = 0; i < records_.size(); ++i) {
      Status s = codec::DecodeEvent(records_[i], &unused, &events_[i]);
      if (s.ok() && events_[i].position.value() != first_ + i) {
        s = Status::Corruption("record at position " + std::to_string(first_ + i) +
                               " claims position " + std::to_string(events_[i].position.value()));
      }
      if (!s.ok()) {
        status_ = std::move(s);
        events_.clear();
        return;
      }
    }
  });
  *events = status_.ok() ? &events_ : nullptr;
  return status_;
}

void LiveTail::Publish(std::shared_ptr<const TailGroup> group) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!groups_.empty() && groups_.back()->last() + 1 != group->first()) {
    // Not contiguous (cannot happen while the writer publishes every
    // group): start again rather than serve a gap.
    groups_.clear();
    bytes_ = events_ = 0;
  }
  if (group->charge() > max_bytes_) {
    // Larger than the whole tail: keep none of it, and nothing before it
    // (the tail must stay contiguous up to the committed position).
    groups_.clear();
    bytes_ = events_ = 0;
  } else {
    bytes_ += group->charge();
    events_ += group->last() - group->first() + 1;
    // Before the committed position moves past the previous group: a feed
    // there follows the link only after it has seen that position.
    if (!groups_.empty()) groups_.back()->next_ = group;
    groups_.push_back(std::move(group));
    while (bytes_ > max_bytes_) {
      const TailGroup& oldest = *groups_.front();
      bytes_ -= oldest.charge();
      events_ -= oldest.last() - oldest.first() + 1;
      groups_.pop_front();
    }
  }
  bytes_gauge_.store(bytes_, std::memory_order_relaxed);
  events_gauge_.store(events_, std::memory_order_relaxed);
}

void LiveTail::Clear() {
  std::deque<std::shared_ptr<const TailGroup>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped.swap(groups_);
    bytes_ = events_ = 0;
    bytes_gauge_.store(0, std::memory_order_relaxed);
    events_gauge_.store(0, std::memory_order_relaxed);
  }
  // The groups are freed here, outside the lock (or by their last reader).
}

std::shared_ptr<const TailGroup> LiveTail::Find(uint64_t p) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (groups_.empty() || p < groups_.front()->first() || p > groups_.back()->last()) {
    return nullptr;
  }
  // The first group whose first position is past `p`, then one back.
  auto it = std::upper_bound(
      groups_.begin(), groups_.end(), p,
      [](uint64_t q, const std::shared_ptr<const TailGroup>& g) { return q < g->first(); });
  return *--it;
}

}  // namespace evlog
