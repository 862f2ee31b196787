// checkpoint: durable consumers' progress in the `checkpoints` family
// (key layouts in keys.h), read and written one value at a time.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "db.h"
#include "evlog/status.h"

namespace evlog::checkpoint {

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
