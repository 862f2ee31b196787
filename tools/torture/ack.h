// The child's report and the parent's record of it: one Ack per
// acknowledged append, printed by the child as a line on its stdout
//
//   ack <op> <stream> <first_version> <last_version> <first_position> <last_position> [...]
//
// with one group of five fields per stream of the append. Every event's id
// is EventId(op, k), k counting the append's events in request order, so the
// parent can check ids and replay an append to test deduplication.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "evlog/store.h"

namespace evlog::torture {

// The type of every event the child appends.
inline constexpr char kEventType[] = "Tortured";

struct AckedStream {
  std::string stream;
  Version first_version, last_version;
  Position first_position, last_position;
};

struct Ack {
  uint64_t op = 0;
  std::vector<AckedStream> streams;
};

// The id of event `k` of append `op`.
Uuid EventId(uint64_t op, uint32_t k);

// The line the child prints for `ack` (with the newline).
std::string FormatAck(const Ack& ack);
// Parses a FormatAck line (without the newline); false if malformed.
bool ParseAck(const std::string& line, Ack* ack);

// The append an Ack reports, rebuilt: same streams, event counts and ids.
AppendRequest RebuildAppend(const Ack& ack);

// The Ack of `result`, the answer to append `op`.
Ack AckOf(uint64_t op, const AppendResult& result);
// Whether two acks report the same streams, versions and positions.
bool SameResult(const Ack& a, const Ack& b);

}  // namespace evlog::torture
