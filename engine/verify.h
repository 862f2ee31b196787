// verify: the full walk behind Store::Verify. Reads every family of a store
// under one snapshot and reports where records, indexes and counters
// disagree. It writes nothing and shares no state with the writer.

#pragma once

#include "db.h"
#include "evlog/status.h"
#include "evlog/store.h"

namespace evlog {

// See Store::Verify. An event whose JSON data (or JSON-looking metadata)
// is not valid within `max_json_depth` is a problem: readers refuse it.
Result<VerifyReport> VerifyStore(const Db& db, size_t max_json_depth);

}  // namespace evlog
