// CRC-32C: a byte-at-a-time table (reflected polynomial 0x82f63b78), and on
// x86-64 the SSE4.2 crc32 instruction, 8 bytes at a time. The hardware path
// is compiled with a function attribute rather than -msse4.2, so the rest of
// the library stays runnable on any x86-64, and chosen once at run time.

#include "crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <nmmintrin.h>
#define EVLOG_CRC32C_X86 1
#endif

namespace evlog::crc32c {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78u;

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

uint32_t TableExtend(uint32_t crc, const char* data, size_t n) {
  uint32_t c = ~crc;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) c = kTable[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return ~c;
}

#ifdef EVLOG_CRC32C_X86
__attribute__((target("sse4.2"))) uint32_t HardwareExtend(uint32_t crc, const char* data,
                                                          size_t n) {
  uint64_t c = ~crc;
  const char* p = data;
  const char* end = data + n;
  while (end - p >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (p < end) c32 = _mm_crc32_u8(c32, static_cast<unsigned char>(*p++));
  return ~c32;
}

bool CpuHasSse42() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & bit_SSE4_2) != 0;
}

const bool kHardware = CpuHasSse42();
#else
const bool kHardware = false;
#endif

}  // namespace

uint32_t Extend(uint32_t crc, const char* data, size_t n) {
#ifdef EVLOG_CRC32C_X86
  if (kHardware) return HardwareExtend(crc, data, n);
#endif
  return TableExtend(crc, data, n);
}

uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n) {
  return TableExtend(crc, data, n);
}

bool IsHardwareAccelerated() { return kHardware; }

}  // namespace evlog::crc32c
