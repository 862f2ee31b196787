// clock: the wall clock as the engine stores it — microseconds since the
// Unix epoch (commit times, snapshot times, dedup windows, max-age rules).

#pragma once

#include <chrono>
#include <cstdint>

namespace evlog {

inline int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace evlog
