// FNV-1a, 64-bit: a hash that is the same in every process and build, for
// choices that several processes must agree on (which consumer-group member
// owns a stream) and for fingerprints written to files (the format-1 fixture).
// Not for hash tables fed by clients: it has no seed.

#pragma once

#include <cstdint>
#include <string_view>

namespace evlog {

inline uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace evlog
