// RandomHex: `bytes` random bytes from the kernel's generator, as 2*bytes
// lowercase hex digits: the ids and tokens evlogd hands to HTTP clients
// (access tokens, hosted-subscription consumer ids), unguessable.

#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace evlog::server {

inline std::string RandomHex(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;  // the kernel's generator
  std::string out;
  out.reserve(2 * bytes);
  uint32_t word = 0;
  for (size_t i = 0; i < bytes; ++i, word >>= 8) {
    if (i % 4 == 0) word = random();
    out += kHex[(word >> 4) & 0xf];
    out += kHex[word & 0xf];
  }
  return out;
}

}  // namespace evlog::server
