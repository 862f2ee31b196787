// id_window: the caller-given ids committed inside the idempotency window,
// in memory (docs/plans/format2.md §2, option (b)). It holds a 64-bit
// fingerprint per id, not the id: a fingerprint match is only a candidate,
// which the caller confirms by reading the event at its position (ids.h).
//
// Layout (about 32 bytes per id in the window, at most twice that right
// after the ring grows): a ring of {fingerprint, position} in position
// (= commit) order; a linear-probing index at load <= 0.5 of {ring slot,
// the fingerprint's low 32 bits}; and a deque of (last position, commit
// time), one entry per run of ids committed at the same time (a group),
// for the age bound. The index's copy of the low bits gives each entry's
// home, and rejects nearly every other id in a probe, without reading the
// ring: a lookup that misses (nearly every append's) touches one index
// line, where with slots alone it read a ring entry, a cache miss in a
// large window, for each entry it passed. Both bounds
// evict when the window is asked (Candidates), as seen from the committed
// position: never what a failed group's Undo could bring back into it. The
// writer asks before it adds each id, so the window holds at most one
// window of ids plus those of the group being staged.
//
// The fingerprint is seeded per instance, so ids chosen by a client cannot
// be made to share one probe chain.
//
// Thread-safety: none; the writer uses it while it holds the leader role,
// and the store's open before that.

#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "evlog/types.h"

namespace evlog {

class IdWindow {
 public:
  // A window of `window_events` positions and `window_us` microseconds (as
  // InDedupWindow, dedup.h). With either 0 it holds nothing.
  IdWindow(uint64_t window_events, int64_t window_us);
  // For tests: a fixed seed, so fingerprints are reproducible.
  IdWindow(uint64_t window_events, int64_t window_us, uint64_t seed);

  uint64_t Fingerprint(const Uuid& id) const;

  // Adds `id`, committed (or staged) at `position` at `commit_us`.
  // REQUIRES: position > every position added and not undone.
  void Add(const Uuid& id, uint64_t position, int64_t commit_us);

  // The positions, newest first, of the ids whose fingerprint is `id`'s,
  // at or below `last` and inside the window as seen at `last`, `now_us`
  // (*out replaced). Evicts what the window has left first. With `staged`,
  // the positions of those above `last` (staged by a group not yet
  // committed) go there, newest first (replaced); without, they are left out.
  void Candidates(const Uuid& id, uint64_t last, int64_t now_us, std::vector<uint64_t>* out,
                  std::vector<uint64_t>* staged = nullptr);

  // Forgets every id added at `from_position` or after (a group whose
  // write failed). REQUIRES: no Candidates call since those adds asked
  // with a `last` at or above from_position.
  void Undo(uint64_t from_position);

  size_t size() const { return static_cast<size_t>(tail_ - head_); }
  // Bytes held by the ring, the index and the deque.
  size_t MemoryBytes() const;

 private:
  struct Entry {
    uint64_t fingerprint;
    uint64_t position;
  };
  struct Commit {
    uint64_t last;  // last position added with this commit time
    int64_t us;
  };
  // An index entry: a ring slot, or kEmpty, and the low 32 bits of its
  // fingerprint. The index has at most 2^32 entries, so those bits hold
  // the entry's home.
  struct Slot {
    uint32_t ring;
    uint32_t low;
  };
  static constexpr uint32_t kEmpty = UINT32_MAX;

  const Entry& At(uint64_t seq) const { return ring_[seq & (ring_.size() - 1)]; }
  size_t Home(uint64_t fingerprint) const {
    return static_cast<uint32_t>(fingerprint) & (index_.size() - 1);
  }
  void Grow();
  void IndexInsert(uint32_t slot);
  void IndexErase(uint32_t slot);
  void PopFront();
  void PopBack();
  void Evict(uint64_t last, int64_t now_us);
  // The commit time of `position`. REQUIRES: it is in the window.
  int64_t CommitUs(uint64_t position) const;
  bool Inside(uint64_t position, uint64_t last, int64_t now_us) const;

  const uint64_t window_events_;
  const int64_t window_us_;
  const uint64_t seed_[2];
  // Power-of-two sized; entries are numbered from 0 as added, live ones
  // are [head_, tail_), entry s lives in slot s & (size - 1).
  std::vector<Entry> ring_;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
  std::vector<Slot> index_;  // twice the ring
  std::deque<Commit> commits_;
};

}  // namespace evlog
