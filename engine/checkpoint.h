// checkpoint: durable consumers' progress in the `checkpoints` family
// (key layouts in keys.h), read and written one value at a time.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db.h"
#include "evlog/status.h"
#include "evlog/subscription.h"

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
// The raw value under `key` (a view's state, its rebuild state); nullopt if
// there is none. IOError from the storage.
Result<std::optional<std::string>> GetValue(const Db& db, std::string_view key);

// The checkpoint of durable consumer `name` (Store::GetCheckpoint):
// Position() if it has none. InvalidArgument for a bad name.
Result<Position> GetConsumer(const Db& db, std::string_view name);
// Stores consumer `name`'s checkpoint (Store::SetCheckpoint).
// InvalidArgument for a bad name or a position past the last committed one.
Status SetConsumer(const Db& db, std::string_view name, Position position);

// The durable consumer furthest behind: the one retention must wait for.
struct Holder {
  // The lowest position any durable subscription or view has processed up
  // to; the last committed position when there are none.
  Position position;
  // Who: "subscription 'NAME'" or "view 'NAME'"; empty when there are none.
  std::string name;
};

// The consumer furthest behind. Trims never pass it, and metadata rules
// that would hide what it has not processed are refused (trim.h).
Result<Holder> Oldest(const Db& db);

// Every subscription (and consumer group member) that has stored a
// checkpoint, by name, with its lag and unreplayed parked events.
// Corruption for a malformed checkpoint.
Result<std::vector<SubscriptionInfo>> List(const Db& db);

}  // namespace evlog::checkpoint
