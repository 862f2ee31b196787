// AccessTokens: short-lived tokens for clients that cannot send an
// Authorization header. A browser's EventSource is the one that matters:
// the page asks `POST /token` with the daemon's token once, and opens
// `/subscribe?access_token=...` with the answer. A token opens GET requests
// only, for `kLifetime` after it was issued; a connection it opened stays
// open after that. At most `kMaxLive` are live: issuing one more forgets
// the oldest. Thread-safe.

#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace evlog::server {

class AccessTokens {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kLifetime{60};
  static constexpr size_t kMaxLive = 1024;

  // A new token: 32 random bytes as 64 lowercase hex digits.
  std::string Issue(Clock::time_point now = Clock::now());

  // Whether `token` was issued and has not expired. Compared in constant
  // time against each live token.
  bool Valid(std::string_view token, Clock::time_point now = Clock::now()) const;

 private:
  struct Issued {
    std::string token;
    Clock::time_point expires;
  };
  mutable std::mutex mu_;
  std::deque<Issued> live_;  // in issue order, so oldest first
};

}  // namespace evlog::server
