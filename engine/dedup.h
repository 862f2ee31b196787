// dedup: the idempotency window. Each committed event whose id the caller
// gave has a row in `dedup` (id -> position, commit time). A retry of an
// append whose ids all have rows inside the window returns the original
// result. Rows outside the window are ignored (and later reclaimed).

#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db.h"
#include "evlog/options.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

// Where an already committed event landed.
struct CommittedEvent {
  std::string stream;
  Version version;
  Position position;
};

class DedupIndex {
 public:
  DedupIndex(const Db* db, const Options& options) : db_(db), options_(options) {}

  // The committed event with id `id`, if one was committed within the window
  // as seen at `last_position` and `now_us`; nullopt otherwise.
  Result<std::optional<CommittedEvent>> Find(const Uuid& id, Position last_position,
                                             int64_t now_us) const;

 private:
  const Db* db_;
  const Options& options_;
};

}  // namespace evlog
