// committed_ids: answers "was an event with this caller-given id committed
// inside the idempotency window?" for the writer (docs/plans/format2.md §2,
// option (b)). The ids live in memory (IdWindow, id_window.h); on disk each
// log chunk with caller-given ids has an `ids` chunk (chunk.h, kind 4) under
// the log chunk's last position, from which the window is rebuilt at open.
//
// Stores written before the `ids` chunks (format 2 before slice 6(b), and
// stores converted from format 1 by an `evlog migrate` of that time, which
// copied the rows; it now writes ids chunks) hold one `dedup` row per id
// instead (keys.h). Those rows are still read when the window is
// rebuilt, so an id acknowledged before the upgrade is still found after
// it; nothing writes them any more, and DedupWindowFilter (dedup.h) drops
// them once they leave the window.
//
// A chunk or row that cannot be read does not stop the store: appends
// without caller ids go on; appends with caller ids fail with its
// Corruption (a malformed `dedup` row fails only the id it is keyed by).
//
// Thread-safety: none; the writer uses it while it holds the leader role.

#pragma once

#include <rocksdb/options.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "codec.h"
#include "condition.h"
#include "db.h"
#include "dedup.h"
#include "evlog/options.h"
#include "evlog/status.h"
#include "evlog/types.h"
#include "id_window.h"
#include "log_chunks.h"

namespace evlog {

class CommittedIds {
 public:
  CommittedIds(const Db* db, const Options& options);

  // Rebuilds the window as seen at `last`, `now_us`: the `ids` chunks from
  // position last - window_events + 1 on whose commit time is inside the
  // age bound, and the `dedup` rows inside the window, in position order.
  // Reads about 20 bytes per id in the window; nothing when there are none.
  void Load(Position last, int64_t now_us);

  // Before each group: later reads see what the previous groups wrote.
  void NewGroup() { reader_.reset(); }

  // The event with id `id` staged in `staged` (the group being built, in
  // position order) or else committed inside the window as seen at `last`,
  // `now_us`; or nullopt. Newest first, it compares the id of each staged
  // fingerprint match and reads the event of each committed one; one that
  // is gone (trimmed) or holds another id is not a match.
  // REQUIRES: every id Added above `last` and not undone is in `staged`.
  Result<std::optional<CommittedEvent>> Find(const Uuid& id, Position last, int64_t now_us,
                                             const std::vector<StagedEvent>& staged);

  // An id staged at `position` by a group committed at `now_us`.
  void Add(const Uuid& id, uint64_t position, int64_t now_us) { window_.Add(id, position, now_us); }
  // Forgets the ids staged at `from_position` or after: their group's
  // write failed.
  void Undo(uint64_t from_position) { window_.Undo(from_position); }

  const IdWindow& window() const { return window_; }

 private:
  const Db* db_;
  const uint64_t window_events_;
  const int64_t window_us_;
  IdWindow window_;
  // Set when an `ids` chunk (or a `dedup` row's key) inside the window
  // cannot be read: every lookup fails with it.
  Status broken_;
  // Ids whose `dedup` row is malformed, sorted: their lookups fail.
  std::vector<Uuid> corrupt_ids_;
  std::vector<uint64_t> candidates_;
  std::vector<uint64_t> staged_candidates_;
  const rocksdb::ReadOptions ro_;
  std::unique_ptr<LogChunkReader> reader_;
  codec::AlignedBuffer scratch_;
};

}  // namespace evlog
