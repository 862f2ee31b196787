#include "harness/op_event_id.h"

#include <array>

namespace evlog::harness {

Uuid OpEventId(uint64_t op, uint32_t k, uint8_t tag) {
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(op >> (56 - 8 * i));
  }
  for (int i = 0; i < 4; ++i) {
    bytes[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(k >> (24 - 8 * i));
  }
  bytes[15] = tag;
  return Uuid(bytes);
}

}  // namespace evlog::harness
