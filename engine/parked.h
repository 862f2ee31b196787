// parked: the events a subscription parked. Each is an event of the system
// stream "$parked-<name>" whose data is the original EventRecord and whose
// metadata says why (docs/format.md); a replay is asked for through the
// subscription's replay_to checkpoint and done by the subscription.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db.h"
#include "evlog/status.h"
#include "evlog/subscription.h"
#include "writer.h"

namespace evlog::parked {

// The metadata of a parked event: the JSON object
// {"error":<error.ToString()>,"stream":..,"version":..,"position":..} in that
// order. Bytes of the error text that are not UTF-8 become U+FFFD.
std::string Metadata(const OwnedEvent& event, const Status& error);

// The "error" field of a parked event's metadata, as Metadata wrote it (also
// by earlier builds); the whole metadata if it is not such a JSON object.
std::string ErrorOf(std::string_view metadata);

// Appends `event` to "$parked-<name>" with `error` as its reason and waits
// for the commit. Errors: those of the append (IOError, Aborted).
Status Park(Writer& writer, const Options& store_options, std::string_view name,
            const OwnedEvent& event, const Status& error);

// The events subscription `name` parked, oldest first (Store::ListParked).
Result<std::vector<ParkedEvent>> List(const Db& db, std::string_view name);

// The original events of "$parked-<name>" versions (after, upto], oldest
// first. Corruption, IOError.
Result<std::vector<OwnedEvent>> Originals(const Db& db, std::string_view name, uint64_t after,
                                          uint64_t upto);

// Asks subscription `name` to replay its parked events (Store::ReplayParked)
// and returns how many are queued. NotFound if it has never parked any.
Result<uint64_t> RequestReplay(const Db& db, std::string_view name);

}  // namespace evlog::parked
