// verify: the full walk behind Store::Verify. Reads every family of a store
// under one snapshot and reports where records, indexes and counters
// disagree. It writes nothing and shares no state with the writer.

#pragma once

#include "db.h"
#include "evlog/status.h"
#include "evlog/store.h"

namespace evlog {

// See Store::Verify.
Result<VerifyReport> VerifyStore(const Db& db);

}  // namespace evlog
