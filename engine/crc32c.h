// crc32c: CRC-32C (Castagnoli, as iSCSI, ext4 and LevelDB use it) of byte
// strings, and LevelDB's mask for CRCs stored beside the data they cover.
// The SSE4.2 instruction when the CPU has it (checked once, at run time),
// a table otherwise; both give the same values. See RFC 3720, B.4.
//
// Thread-safety: all functions are pure.

#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace evlog::crc32c {

// The CRC-32C of `data` continued from `crc`, the CRC of the bytes before
// it (0 for none): Extend(Extend(0, a), b) == Value(a + b).
uint32_t Extend(uint32_t crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

// The CRC-32Cs of `a` and of `b` (each from 0) in one pass: the two chains
// interleave, so a short `a` beside `b` (an events chunk's header and its
// one record) costs little more than `b` alone. With `copy_b` not null,
// also copies `b`'s bytes to it (b.size() bytes, not overlapping `b`) as
// they are read.
void Value2(std::string_view a, std::string_view b, char* copy_b, uint32_t* crc_a, uint32_t* crc_b);

// Whether Extend uses the SSE4.2 instruction on this CPU.
bool IsHardwareAccelerated();

// A CRC stored next to the bytes it covers is masked, so that the CRC of a
// string holding CRCs is not itself trivial (LevelDB, util/crc32c.h).
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// Test-only: Extend computed with the table, whatever the CPU has.
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);

}  // namespace evlog::crc32c
