// Shared pieces of the benches: the standard workload's names and payload,
// and a temporary directory that removes itself.

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "harness/temp_dir.h"

namespace evlog::bench {

// The standard workload: streams "stream-0".."stream-999", type "ItemAdded",
// a 128-byte payload.
inline constexpr int kStreams = 1000;
inline constexpr char kEventType[] = "ItemAdded";
const std::string& Payload();
const std::vector<std::string>& StreamNames();

// The seconds since `start`.
inline double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The appends a pipelining client has in flight: at most `limit`. A full
// window makes the client wait until half of it has completed, so it wakes
// once per half window rather than once per completion (two vCPUs).
class Window {
 public:
  explicit Window(int64_t limit) : limit_(limit) {}

  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    if (in_flight_ >= limit_) {
      waiting_ = true;
      cv_.wait(lock, [&] { return in_flight_ <= limit_ / 2; });
      waiting_ = false;
    }
    ++in_flight_;
  }

  void Release(bool ok) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) ++failed_;
    --in_flight_;
    if (waiting_ && (in_flight_ <= limit_ / 2)) cv_.notify_one();
  }

  // Waits until every acquired slot is released; the number of failures.
  int64_t Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    limit_ = 0;  // Release now wakes the waiter when in_flight_ reaches 0
    waiting_ = true;
    cv_.wait(lock, [&] { return in_flight_ == 0; });
    return failed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t limit_;
  int64_t in_flight_ = 0;
  int64_t failed_ = 0;
  bool waiting_ = false;
};

// Paces the thread that makes it evenly at `rate` calls a second, as
// independent clients arrive: Wait(i) sleeps until the i-th slot (from 0)
// after construction (a spinning pacer would take one of a small machine's
// cores). While it lives, the thread's timer slack is 1 ns instead of
// Linux's 50 µs default,
// or each wake-up would come up to 50 µs late and the calls would go out in
// bursts. Until 2026-12-06 (L1) and 2026-12-07 (S1) the latency workloads
// sent 1 ms ticks of rate/1000 calls at once, which measured the queue
// behind each tick's first call (docs/bench.md, "L1's pacing").
class Pacer {
 public:
  explicit Pacer(int64_t rate);
  ~Pacer();
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  void Wait(int64_t i) const;
  std::chrono::steady_clock::time_point start() const { return start_; }

 private:
  const int slack_;  // the thread's timer slack before, to restore
  const std::chrono::steady_clock::time_point start_;
  const std::chrono::nanoseconds interval_;
};

// The benches' scratch directory: evlog_harness's TempDir, named evlog-bench-*.
class ScratchDir : public harness::TempDir {
 public:
  ScratchDir() : TempDir("", "evlog-bench") {}
};

}  // namespace evlog::bench
