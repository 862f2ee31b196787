#include "http_access_tokens.h"

#include <array>
#include <cstdint>

#include "dispatcher.h"  // ConstantTimeEquals
#include "random_hex.h"

namespace evlog::server {

std::string AccessTokens::Issue(Clock::time_point now) {
  std::string token = RandomHex(32);
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
