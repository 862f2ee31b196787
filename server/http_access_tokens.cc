#include "http_access_tokens.h"

#include <array>
#include <cstdint>
#include <random>

#include "dispatcher.h"  // ConstantTimeEquals

namespace evlog::server {

std::string AccessTokens::Issue(Clock::time_point now) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;  // the kernel's generator
  std::string token;
  token.reserve(64);
  for (int i = 0; i < 8; ++i) {
    uint32_t word = random();
    for (int k = 0; k < 4; ++k, word >>= 8) {
      token += kHex[(word >> 4) & 0xf];
      token += kHex[word & 0xf];
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  while (!live_.empty() && (live_.front().expires <= now || live_.size() >= kMaxLive)) {
    live_.pop_front();
  }
  live_.push_back(Issued{token, now + kLifetime});
  return token;
}

bool AccessTokens::Valid(std::string_view token, Clock::time_point now) const {
  if (token.size() != 64) return false;
  std::lock_guard<std::mutex> lock(mu_);
  bool valid = false;
  for (const Issued& issued : live_) {
    if (ConstantTimeEquals(issued.token, token) && issued.expires > now) valid = true;
  }
  return valid;
}

}  // namespace evlog::server
