// hosted_spec: the stored definitions of hosted subscriptions
// (evlog/hosted_subscription.h). A definition is a JSON object under the
// subscription's "hosted" key of the `checkpoints` family (keys.h); its
// progress is the ordinary checkpoint of its name, so every durable-consumer
// rule (lag, trims, retention refusals) applies to it unchanged.

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "db.h"
#include "evlog/hosted_subscription.h"
#include "evlog/options.h"
#include "evlog/status.h"

namespace evlog::hosted {

// InvalidArgument for a bad name, filter or limit.
Status Validate(const HostedSubscriptionSpec& spec);

// The definition as stored, and back. Decode: Corruption if malformed.
std::string Encode(const HostedSubscriptionSpec& spec);
Result<HostedSubscriptionSpec> Decode(std::string_view name, std::string_view value);

// The definition of `name`; nullopt if there is no hosted subscription of
// that name. Corruption, IOError.
Result<std::optional<HostedSubscriptionSpec>> Load(const Db& db, std::string_view name);

// Stores `spec` and its first checkpoint (just before its start point).
// Returns true; creating an existing subscription again with the same
// definition is a no-op that returns false. With another one it is
// InvalidArgument ("already exists"), and so is a name some other durable
// consumer already checkpoints under.
Result<bool> Create(Db* db, const Options& store_options, const HostedSubscriptionSpec& spec);

// Removes the definition, the checkpoint, the replay marks and what the
// broker stores beside them (the parked events stay in "$parked-<name>"). NotFound if there is no such hosted
// subscription.
Status Delete(const Db& db, std::string_view name);

// The events after `checkpoint` that `spec` matches. A category or a type
// alone is counted from its index (keys only); other filters read the
// matching events from the log, so their cost grows with the lag.
Result<uint64_t> Lag(Db* db, const Options& store_options, const HostedSubscriptionSpec& spec,
                     Position checkpoint);

}  // namespace evlog::hosted
