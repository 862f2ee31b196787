// checkpoint: durable subscription progress in the `checkpoints` family.
//
//   "<name>" or "<name>/<member>"   -> position handled up to (u64 BE)
//   "<name>\0replay_to"             -> "$parked-<name>" version replay was requested up to
//   "<name>\0replayed"              -> "$parked-<name>" version replayed up to
//
// Subscription names contain neither NUL nor '/', so the keys never collide.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "db.h"
#include "evlog/status.h"

namespace evlog::checkpoint {

std::string ProgressKey(std::string_view name, uint32_t group_size, uint32_t member);
std::string ReplayToKey(std::string_view name);
std::string ReplayedKey(std::string_view name);
// The parked-events stream of a subscription: kParkedPrefix + name.
inline constexpr std::string_view kParkedPrefix = "$parked-";
std::string ParkedStream(std::string_view name);

// Checks the name of a durable consumer (`what`: "subscription", "view"):
// 1..200 bytes without NUL or '/', so it can key its checkpoints.
Status ValidateName(std::string_view what, std::string_view name);

// The value under `key`, or `missing` if there is none.
Status Get(const Db& db, std::string_view key, uint64_t missing, uint64_t* out);
Status Put(const Db& db, std::string_view key, uint64_t value);

}  // namespace evlog::checkpoint
