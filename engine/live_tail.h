// live_tail: the writer's most recent commits, in memory, for the change
// feeds that have caught up (issue #18, "Live fan-out").
//
// The writer publishes each committed group, its records already encoded
// and verified, before it advances the committed position. A feed whose next
// position is in the tail takes its events from here instead of reading and
// decoding them from RocksDB again; the records of a group are decoded once,
// by the first feed that needs them, for every feed.
//
// The tail is kept only while a change feed of the store is open
// (AddReader): a writer nobody follows pays nothing for it, and a feed opened
// later reads RocksDB up to the first group published after it opened.
//
// A group copies its records into one buffer of its own: the caller's
// strings (allocated by the appending threads) are freed at once, as they
// are when no feed is open, rather than held for as long as the tail keeps
// the group. Held, they left the appenders' malloc arenas fragmented by
// long-lived records among short-lived allocations, and F1 (docs/bench.md)
// showed the appending thread's malloc taking twice its W1 time.
//
// Invariants: the groups are contiguous and in position order (positions are
// gapless, and groups are published in commit order); every position up to
// the committed one that is not older than the oldest group is in the tail.
// The bytes held stay within the bound given at construction: the oldest
// groups go first, and a group larger than the bound is not kept at all
// (the tail then restarts empty after it).
//
// A feed walks the tail without its lock: each group published right after
// another is linked from it (TailGroup::next), and a feed keeps the group it
// stopped in. Only a feed that has no such group (it just joined the tail)
// looks one up under the lock (Find), so the writer's Publish does not
// wait for the feeds. A link does not keep its group alive: an evicted
// group is gone for the feeds that have not reached it, and the bound holds.
//
// Thread-safety: Publish from the committing thread (one at a time); the
// other methods from any thread. A TailGroup is immutable once published
// (but for its link, written once, before the committed position passes the
// group) and lives as long as anyone holds it, evicted or not.

#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "codec.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

// One committed group: its records, positions first..first + size - 1.
class TailGroup {
 public:
  // `records`: the encoded events as written to `log`, in position order,
  // the first at position `first`; copied into the group (each at an
  // 8-byte boundary, so decoding needs no aligned copy) and freed when
  // the constructor returns. REQUIRES: not empty.
  TailGroup(uint64_t first, std::vector<std::string> records);
  TailGroup(const TailGroup&) = delete;
  TailGroup& operator=(const TailGroup&) = delete;

  uint64_t first() const { return first_; }
  uint64_t last() const { return first_ + records_.size() - 1; }
  // The memory the group holds (records and their decoded views), as the
  // tail's bound counts it: approximate, never below the records' bytes.
  size_t charge() const { return charge_; }

  // The decoded events, in position order (events()[i] is at first() + i),
  // viewing this group's records: valid while the group lives. Decoded on
  // the first call, once for all callers. Corruption if a record fails
  // verification or is not at its position (then `*events` is null).
  Status Events(const std::vector<RecordedEvent>** events) const;

  // The group published right after this one, at position last() + 1, if
  // the tail still holds it; null if it was evicted, if the tail restarted
  // between the two, or if it is not published yet. REQUIRES: the committed
  // position is beyond last() (the link is written before the commit that
  // passes last() becomes visible, and never after).
  std::shared_ptr<const TailGroup> next() const { return next_.lock(); }

 private:
  friend class LiveTail;

  const uint64_t first_;
  // The records, one after another at 8-byte boundaries; records_[i] views
  // the one at first_ + i.
  std::unique_ptr<uint64_t[]> words_;
  std::vector<std::string_view> records_;
  size_t charge_ = 0;
  mutable std::once_flag decoded_;
  mutable std::vector<RecordedEvent> events_;
  mutable Status status_;
  // Set by LiveTail::Publish when the next group follows this one.
  mutable std::weak_ptr<const TailGroup> next_;
};

class LiveTail {
 public:
  // Holds at most `max_bytes` of groups (TailGroup::charge).
  explicit LiveTail(size_t max_bytes) : max_bytes_(max_bytes) {}
  LiveTail(const LiveTail&) = delete;
  LiveTail& operator=(const LiveTail&) = delete;

  // Adds a committed group and drops the oldest ones beyond the bound.
  // REQUIRES: group->first() is one past the last position published (or
  // the tail is new), and the group is committed (written to RocksDB).
  void Publish(std::shared_ptr<const TailGroup> group);

  // The group holding position `p`; null when `p` is older than the tail or
  // not in it (read it from RocksDB).
  std::shared_ptr<const TailGroup> Find(uint64_t p) const;

  // A change feed opened (AddReader) or was destroyed (RemoveReader). While
  // none is open the writer publishes nothing; the last one to go drops what
  // the tail held (Clear), so an idle store does not keep it.
  void AddReader() { readers_.fetch_add(1, std::memory_order_relaxed); }
  void RemoveReader() {
    if (readers_.fetch_sub(1, std::memory_order_acq_rel) == 1) Clear();
  }
  bool HasReaders() const { return readers_.load(std::memory_order_relaxed) > 0; }

  // Drops every group.
  void Clear();

  // Now: the memory the groups held by the tail take, and their events.
  uint64_t bytes() const { return bytes_gauge_.load(std::memory_order_relaxed); }
  uint64_t events() const { return events_gauge_.load(std::memory_order_relaxed); }

 private:
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<const TailGroup>> groups_;  // guarded by mu_
  size_t bytes_ = 0;                                     // guarded by mu_
  size_t events_ = 0;                                    // guarded by mu_
  std::atomic<uint64_t> bytes_gauge_{0};
  std::atomic<uint64_t> events_gauge_{0};
  std::atomic<int> readers_{0};
};

}  // namespace evlog
