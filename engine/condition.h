// condition: deciding an append's condition (AppendCondition, types.h)
// against what was committed before the group and what the group staged
// before the append.
//
// Invariant: committed events come before every event of the group, so the
// first matching position is found by looking at the committed postings
// (`by_type`, `by_category`; a query's postings) first, then at the group's
// staged events in position order.
//
// Thread-safety: called by the writer only, whose committed state cannot
// change during the call.

#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "db.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

// An event staged in the current group: its position, what it was
// appended as, its stream and the stream's category (all three point into
// the request) and its version in the stream.
struct StagedEvent {
  uint64_t position;
  const EventData* event;
  std::string_view category;
  std::string_view stream;
  uint64_t version;
};

// OK if no event after `condition.after` matches it, among the committed
// events and `staged_events` (the group's, in position order). Otherwise
// ConditionFailed naming the first match and carrying its position; errors
// of the index reads (Corruption, IOError) as they come.
Status CheckCondition(const Db& db, const AppendCondition& condition,
                      const std::vector<StagedEvent>& staged_events);

}  // namespace evlog
