// holes: telling a position reclaimed from `log` from one that was lost.
//
// Positions are gapless: every position 1..last committed had an event. An
// event leaves `log` only through the trim filter (engine/trim.h), and only
// for a stream that has metadata: a trim or delete (whose events all lie at
// or below the trim horizon), or a stream's count, age or truncation rule
// (anywhere). So a missing position is explained when it is at or below the
// trim horizon, or when it was an event of a category holding a stream with
// metadata (its `by_category` entry, which compaction never drops, says so).
// Anything else missing is corruption: a lost table file, a cut WAL.
//
// Thread-safety: one HoleCheck per reader, used by its thread only.

#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

class HoleCheck {
 public:
  // Reads under `read_options` (the reader's snapshot), which must outlive
  // this object, as must `db`.
  HoleCheck(const Db& db, const rocksdb::ReadOptions& read_options)
      : db_(db), read_options_(read_options) {}
  HoleCheck(const HoleCheck&) = delete;
  HoleCheck& operator=(const HoleCheck&) = delete;

  // OK if each of positions `first`..`last` (REQUIRES: first <= last),
  // missing from `log`, may have been reclaimed; otherwise Corruption naming
  // the first run of them that nothing explains. Errors of the index reads
  // as they come. Cheap when nothing is missing: it is called only for a
  // gap, and reads nothing for positions at or below the trim horizon.
  Status Explain(uint64_t first, uint64_t last);

 private:
  // Fills categories_ on first use: the categories of streams with metadata.
  Status LoadCategories();

  const Db& db_;
  const rocksdb::ReadOptions& read_options_;
  std::optional<std::vector<std::string>> categories_;
};

}  // namespace evlog
