// Eventually: the one way a test waits for a state that has no Wait() of its
// own (a counter of the daemon, a checkpoint another process writes).
//
// It looks at `condition` every 10 ms until it holds, for at most `limit`: a
// bound against a hang, never a timing assertion, so pass something
// generous. A test that must show that something did NOT happen uses a
// barrier instead (an event appended after it and seen, a round trip on the
// same session), never a wait that ends without the condition.

#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace evlog::testutil {

inline constexpr std::chrono::milliseconds kEventually = std::chrono::seconds(30);

// True as soon as `condition()` is; false if it still is not after `limit`.
inline bool Eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = kEventually) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace evlog::testutil
