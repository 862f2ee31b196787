// hosted_state: the values of a hosted subscription's "handled" and
// "attempts" keys (keys.h), which the broker (hosted_subscription.h) stores
// beside its checkpoint: what was handled above it, and how many times each
// event in flight was delivered, so that neither survives only in memory.

#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "db.h"
#include "evlog/status.h"

namespace evlog::hosted {

// "handled": u64 BE positions, ascending.
std::string EncodeHandled(const std::set<uint64_t>& handled);
// The positions above `checkpoint` stored as handled for subscription
// `name`. Corruption, IOError.
Status LoadHandled(const Db& db, std::string_view name, uint64_t checkpoint,
                   std::set<uint64_t>* out);

// "attempts": position (u64 BE) + deliveries (u32 BE) per event, ascending.
std::string EncodeAttempts(const std::map<uint64_t, uint32_t>& attempts);
// The delivery counts stored for subscription `name`. Corruption, IOError.
Status LoadAttempts(const Db& db, std::string_view name, std::map<uint64_t, uint32_t>* out);

}  // namespace evlog::hosted
