// MaxSampler: the largest value a gauge (the server's queued bytes) took
// while a test ran, looked at every millisecond from another thread. A
// sample is a lower bound of the true peak: tests compare it with a bound
// the peak must stay under, beside the gauge's own high-water mark.

#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>

namespace evlog::testutil {

class MaxSampler {
 public:
  explicit MaxSampler(std::function<size_t()> gauge)
      : gauge_(std::move(gauge)), thread_([this] {
          while (sampling_.load()) {
            max_ = std::max(max_.load(), gauge_());
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }) {}
  ~MaxSampler() { Stop(); }
  MaxSampler(const MaxSampler&) = delete;
  MaxSampler& operator=(const MaxSampler&) = delete;

  // Stops sampling (once); the largest value seen.
  size_t Stop() {
    sampling_ = false;
    if (thread_.joinable()) thread_.join();
    return max_.load();
  }

 private:
  std::function<size_t()> gauge_;
  std::atomic<bool> sampling_{true};
  std::atomic<size_t> max_{0};
  std::thread thread_;
};

}  // namespace evlog::testutil
