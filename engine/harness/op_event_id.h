// OpEventId: the event ids of the harnesses that record acknowledged
// appends and check them back after a kill or a load (torture, loadtest):
// event `k` of append `op` gets an id that names both, so the checker can
// tell where every event came from and replay an append to test
// deduplication.

#pragma once

#include <cstdint>

#include "evlog/types.h"

namespace evlog::harness {

// The id whose bytes 0..7 are `op` and 8..11 are `k` (big-endian), with
// `tag` in byte 15: each harness has its own tag, and a non-zero one makes
// the id never nil.
Uuid OpEventId(uint64_t op, uint32_t k, uint8_t tag);

}  // namespace evlog::harness
