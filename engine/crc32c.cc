// CRC-32C: a byte-at-a-time table (reflected polynomial 0x82f63b78), and on
// x86-64 the SSE4.2 crc32 instruction, 8 bytes at a time. The hardware path
// is compiled with a function attribute rather than -msse4.2, so the rest of
// the library stays runnable on any x86-64, and chosen once at run time.

#include "crc32c.h"

#include <array>
#include <cstddef>
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
// The crc32 instruction has a latency of 3 cycles and a throughput of 1:
// one chain of it runs at a third of the speed the CPU can give. So a
// block of 3 lanes is run as three independent chains, and the lanes'
// registers are combined at its end. Combining is linear algebra over
// GF(2): feeding L zero bytes to a register is a linear map Z_L, so the
// register after lanes a then b is Z_L(a's) ^ b's (b's started at 0).
// Z_L is applied with four 256-entry tables, made at start-up. Two lane
// sizes: long buffers use long lanes (fewer combines), records use short.
struct LaneShift {
  // Z_L of each of the 32 single bits, then of every byte value by
  // linearity: about 32 * L table steps, microseconds at start-up.
  explicit LaneShift(size_t lane_bytes) : lane(lane_bytes) {
    uint32_t bit[32];
    for (int j = 0; j < 32; ++j) {
      uint32_t c = uint32_t{1} << j;
      for (size_t i = 0; i < lane_bytes; ++i) c = kTable[c & 0xff] ^ (c >> 8);
      bit[j] = c;
    }
    for (int k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t c = 0;
        for (int j = 0; j < 8; ++j) {
          if (b & (1u << j)) c ^= bit[8 * k + j];
        }
        table[k][b] = c;
      }
    }
  }
  uint32_t Shift(uint32_t c) const {
    return table[0][c & 0xff] ^ table[1][(c >> 8) & 0xff] ^ table[2][(c >> 16) & 0xff] ^
           table[3][c >> 24];
  }
  size_t lane;
  uint32_t table[4][256];
};

const LaneShift kLongLanes(1024);
const LaneShift kShortLanes(64);

// Where the bytes a CRC reads also go: nowhere, or the same offset of a
// copy of the source. Passed by value, so that the compiler keeps its
// pointers in registers (a store to the copy cannot change them).
struct NoCopy {
  static void Put(const char*, const void*, size_t) {}
};
struct CopyTo {
  const char* src;
  char* dst;
  __attribute__((always_inline)) void Put(const char* p, const void* bytes, size_t n) const {
    std::memcpy(dst + (p - src), bytes, n);
  }
};

template <class Copy>
__attribute__((always_inline)) inline uint64_t LoadWord(const char* p, Copy copy) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  copy.Put(p, &word, 8);
  return word;
}

template <class Copy>
__attribute__((target("sse4.2"), always_inline)) inline uint64_t Words(uint64_t c, const char* p,
                                                                       size_t words, Copy copy) {
  for (size_t i = 0; i < words; ++i) c = _mm_crc32_u64(c, LoadWord(p + 8 * i, copy));
  return c;
}

// The last 0..7 bytes: at most one step each of 4, 2 and 1 bytes (loads
// of fixed sizes, which the compiler inlines).
template <class Copy>
__attribute__((target("sse4.2"), always_inline)) inline uint32_t Rest(uint32_t c, const char* p,
                                                                      size_t n, Copy copy) {
  if (n & 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    copy.Put(p, &w, 4);
    c = _mm_crc32_u32(c, w);
    p += 4;
  }
  if (n & 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    copy.Put(p, &w, 2);
    c = _mm_crc32_u16(c, w);
    p += 2;
  }
  if (n & 1) {
    uint8_t w;
    std::memcpy(&w, p, 1);
    copy.Put(p, &w, 1);
    c = _mm_crc32_u8(c, w);
  }
  return c;
}

// Runs whole blocks of 3 lanes of `lanes` over [*p, end), advancing *p.
template <class Copy>
__attribute__((target("sse4.2"), always_inline)) inline uint64_t Blocks(uint64_t c, const char** p,
                                                                        const char* end,
                                                                        const LaneShift& lanes,
                                                                        Copy copy) {
  const size_t lane = lanes.lane;
  while (static_cast<size_t>(end - *p) >= 3 * lane) {
    const char* a = *p;
    const char* b = a + lane;
    const char* d = b + lane;
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < lane; i += 8) {
      const uint64_t w0 = LoadWord(a + i, copy);
      const uint64_t w1 = LoadWord(b + i, copy);
      const uint64_t w2 = LoadWord(d + i, copy);
      c = _mm_crc32_u64(c, w0);
      c1 = _mm_crc32_u64(c1, w1);
      c2 = _mm_crc32_u64(c2, w2);
    }
    c = lanes.Shift(static_cast<uint32_t>(c)) ^ c1;
    c = lanes.Shift(static_cast<uint32_t>(c)) ^ c2;
    *p += 3 * lane;
  }
  return c;
}

template <class Copy>
__attribute__((target("sse4.2"), always_inline)) inline uint64_t AllBlocks(uint64_t c,
                                                                           const char** p,
                                                                           const char* end,
                                                                           Copy copy) {
  if (static_cast<size_t>(end - *p) >= 3 * kShortLanes.lane) {
    c = Blocks(c, p, end, kLongLanes, copy);
    c = Blocks(c, p, end, kShortLanes, copy);
  }
  return c;
}

__attribute__((target("sse4.2"))) uint32_t HardwareExtend(uint32_t crc, const char* data,
                                                          size_t n) {
  uint64_t c = ~crc;
  const char* p = data;
  const char* end = data + n;
  const NoCopy copy;
  c = AllBlocks(c, &p, end, copy);
  const size_t words = static_cast<size_t>(end - p) / 8;
  c = Words(c, p, words, copy);
  p += 8 * words;
  return ~Rest(static_cast<uint32_t>(c), p, static_cast<size_t>(end - p), copy);
}

// Two CRCs at once: `b`'s blocks of lanes first, then the words of `a` and
// the rest of `b` interleaved, two chains the CPU runs side by side.
template <class Copy>
__attribute__((target("sse4.2"))) void HardwareValue2(std::string_view a, std::string_view b,
                                                      Copy copy, uint32_t* crc_a, uint32_t* crc_b) {
  uint64_t ca = 0xffffffffu, cb = 0xffffffffu;
  const char* pa = a.data();
  const char* pb = b.data();
  const char* end_b = pb + b.size();
  cb = AllBlocks(cb, &pb, end_b, copy);
  size_t words_a = a.size() / 8;
  size_t words_b = static_cast<size_t>(end_b - pb) / 8;
  const NoCopy no_copy;
  for (; words_a > 0 && words_b > 0; --words_a, --words_b, pa += 8, pb += 8) {
    ca = _mm_crc32_u64(ca, LoadWord(pa, no_copy));
    cb = _mm_crc32_u64(cb, LoadWord(pb, copy));
  }
  ca = Words(ca, pa, words_a, no_copy);
  pa += 8 * words_a;
  cb = Words(cb, pb, words_b, copy);
  pb += 8 * words_b;
  *crc_a = ~Rest(static_cast<uint32_t>(ca), pa, a.size() % 8, no_copy);
  *crc_b = ~Rest(static_cast<uint32_t>(cb), pb, static_cast<size_t>(end_b - pb), copy);
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

void Value2(std::string_view a, std::string_view b, char* copy_b, uint32_t* crc_a,
            uint32_t* crc_b) {
#ifdef EVLOG_CRC32C_X86
  if (kHardware) {
    if (copy_b == nullptr) {
      HardwareValue2(a, b, NoCopy{}, crc_a, crc_b);
    } else {
      HardwareValue2(a, b, CopyTo{b.data(), copy_b}, crc_a, crc_b);
    }
    return;
  }
#endif
  if (copy_b != nullptr && !b.empty()) std::memcpy(copy_b, b.data(), b.size());
  *crc_a = TableExtend(0, a.data(), a.size());
  *crc_b = TableExtend(0, b.data(), b.size());
}

uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n) {
  return TableExtend(crc, data, n);
}

bool IsHardwareAccelerated() { return kHardware; }

}  // namespace evlog::crc32c
