#include "id_window.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace evlog {

namespace {

// MurmurHash3's finalizer: every input bit reaches every output bit.
uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t RandomSeed() {
  std::random_device device;
  return (uint64_t{device()} << 32) ^ device();
}

constexpr size_t kMinRing = 64;

}  // namespace

IdWindow::IdWindow(uint64_t window_events, int64_t window_us)
    : IdWindow(window_events, window_us, RandomSeed()) {}

IdWindow::IdWindow(uint64_t window_events, int64_t window_us, uint64_t seed)
    : window_events_(window_events), window_us_(window_us), seed_{seed, Mix(seed + 1)} {}

uint64_t IdWindow::Fingerprint(const Uuid& id) const {
  uint64_t lo, hi;
  std::memcpy(&lo, id.bytes().data(), 8);
  std::memcpy(&hi, id.bytes().data() + 8, 8);
  return Mix(Mix(lo ^ seed_[0]) ^ hi ^ seed_[1]);
}

void IdWindow::Grow() {
  // Ring slots are u32 and kEmpty marks a free index slot: at most 2^31
  // entries (48 GiB), far beyond any window a machine can hold.
  const size_t size = std::max(kMinRing, ring_.size() * 2);
  std::vector<Entry> ring(size);
  for (uint64_t s = head_; s < tail_; ++s) ring[s & (size - 1)] = At(s);
  ring_ = std::move(ring);
  index_.assign(size * 2, Slot{kEmpty, 0});
  for (uint64_t s = head_; s < tail_; ++s) IndexInsert(static_cast<uint32_t>(s & (size - 1)));
}

void IdWindow::IndexInsert(uint32_t slot) {
  const size_t mask = index_.size() - 1;
  const uint64_t fingerprint = ring_[slot].fingerprint;
  size_t i = Home(fingerprint);
  while (index_[i].ring != kEmpty) i = (i + 1) & mask;
  index_[i] = Slot{slot, static_cast<uint32_t>(fingerprint)};
}

void IdWindow::IndexErase(uint32_t slot) {
  const size_t mask = index_.size() - 1;
  size_t i = Home(ring_[slot].fingerprint);
  while (index_[i].ring != slot) i = (i + 1) & mask;
  // Backward-shift deletion: move up every later entry of the run whose
  // home does not lie in (i, j], so no probe meets a hole before its entry.
  for (size_t j = i;;) {
    j = (j + 1) & mask;
    if (index_[j].ring == kEmpty) break;
    const size_t k = Home(index_[j].low);
    const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    index_[i] = index_[j];
    i = j;
  }
  index_[i] = Slot{kEmpty, 0};
}

void IdWindow::PopFront() {
  IndexErase(static_cast<uint32_t>(head_ & (ring_.size() - 1)));
  ++head_;
}

void IdWindow::PopBack() {
  IndexErase(static_cast<uint32_t>((tail_ - 1) & (ring_.size() - 1)));
  --tail_;
}

void IdWindow::Add(const Uuid& id, uint64_t position, int64_t commit_us) {
  if (window_events_ == 0 || window_us_ <= 0) return;
  if (size() == ring_.size()) Grow();
  const uint32_t slot = static_cast<uint32_t>(tail_ & (ring_.size() - 1));
  ring_[slot] = Entry{Fingerprint(id), position};
  IndexInsert(slot);
  ++tail_;
  if (!commits_.empty() && commits_.back().us == commit_us) {
    commits_.back().last = position;
  } else {
    commits_.push_back(Commit{position, commit_us});
  }
}

void IdWindow::Evict(uint64_t last, int64_t now_us) {
  while (size() > 0) {
    const uint64_t p = At(head_).position;
    if (p > last || last - p < window_events_) break;
    PopFront();
  }
  // The age bound, oldest commit first. After a clock step back a later
  // commit may be older than the front; Inside() still judges each hit.
  while (!commits_.empty() && now_us - commits_.front().us >= window_us_) {
    const uint64_t upto = commits_.front().last;
    while (size() > 0 && At(head_).position <= upto) PopFront();
    commits_.pop_front();
  }
  while (!commits_.empty() && (size() == 0 || commits_.front().last < At(head_).position)) {
    commits_.pop_front();
  }
}

int64_t IdWindow::CommitUs(uint64_t position) const {
  auto it = std::lower_bound(commits_.begin(), commits_.end(), position,
                             [](const Commit& c, uint64_t p) { return c.last < p; });
  return it == commits_.end() ? INT64_MIN : it->us;
}

bool IdWindow::Inside(uint64_t position, uint64_t last, int64_t now_us) const {
  if (position > last || last - position >= window_events_) return false;
  const int64_t us = CommitUs(position);
  return us != INT64_MIN && now_us - us < window_us_;
}

void IdWindow::Candidates(const Uuid& id, uint64_t last, int64_t now_us, std::vector<uint64_t>* out,
                          std::vector<uint64_t>* staged) {
  out->clear();
  if (staged != nullptr) staged->clear();
  Evict(last, now_us);
  if (size() == 0) return;
  const uint64_t fingerprint = Fingerprint(id);
  const uint32_t low = static_cast<uint32_t>(fingerprint);
  const size_t mask = index_.size() - 1;
  for (size_t i = Home(fingerprint); index_[i].ring != kEmpty; i = (i + 1) & mask) {
    if (index_[i].low != low) continue;  // another id: its ring entry is not read
    const Entry& e = ring_[index_[i].ring];
    if (e.fingerprint != fingerprint) continue;
    if (e.position > last) {
      if (staged != nullptr) staged->push_back(e.position);
    } else if (Inside(e.position, last, now_us)) {
      out->push_back(e.position);
    }
  }
  std::sort(out->begin(), out->end(), std::greater<>());
  if (staged != nullptr) std::sort(staged->begin(), staged->end(), std::greater<>());
}

void IdWindow::Undo(uint64_t from_position) {
  while (size() > 0 && At(tail_ - 1).position >= from_position) PopBack();
  const uint64_t new_last = size() > 0 ? At(tail_ - 1).position : 0;
  while (!commits_.empty() && commits_.back().last > new_last) {
    const uint64_t previous = commits_.size() >= 2 ? commits_[commits_.size() - 2].last : 0;
    if (size() > 0 && new_last > previous) {
      commits_.back().last = new_last;
      break;
    }
    commits_.pop_back();
  }
}

size_t IdWindow::MemoryBytes() const {
  return ring_.capacity() * sizeof(Entry) + index_.capacity() * sizeof(Slot) +
         commits_.size() * sizeof(Commit);
}

}  // namespace evlog
