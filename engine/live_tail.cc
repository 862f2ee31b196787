#include "live_tail.h"

#include <algorithm>

namespace evlog {

namespace {

// What a group holds besides its records' bytes: per event the string, its
// decoded view and a scratch buffer; per group the object itself.
size_t ChargeOf(const std::vector<std::string>& records) {
  size_t bytes = sizeof(TailGroup);
  for (const std::string& r : records) {
    bytes +=
        r.capacity() + sizeof(std::string) + sizeof(RecordedEvent) + sizeof(codec::AlignedBuffer);
  }
  return bytes;
}

}  // namespace

TailGroup::TailGroup(uint64_t first, std::vector<std::string> records)
    : first_(first), records_(std::move(records)), charge_(ChargeOf(records_)) {}

Status TailGroup::Events(const std::vector<RecordedEvent>** events) const {
  std::call_once(decoded_, [this] {
    // The records are in the group's own strings, which never move again:
    // the views stay valid as long as the group.
    events_.resize(records_.size());
    scratch_.resize(records_.size());
    for (size_t i = 0; i < records_.size(); ++i) {
      Status s = codec::DecodeEvent(records_[i], &scratch_[i], &events_[i]);
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

bool LiveTail::Collect(uint64_t from, uint64_t to, size_t max_groups,
                       std::vector<std::shared_ptr<const TailGroup>>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (groups_.empty() || from < groups_.front()->first() || from > groups_.back()->last()) {
    return false;
  }
  // The first group whose first position is past `from`, then one back.
  auto it = std::upper_bound(
      groups_.begin(), groups_.end(), from,
      [](uint64_t p, const std::shared_ptr<const TailGroup>& g) { return p < g->first(); });
  --it;
  for (size_t n = 0; it != groups_.end() && n < max_groups && (*it)->first() <= to; ++it, ++n) {
    out->push_back(*it);
  }
  return true;
}

}  // namespace evlog
