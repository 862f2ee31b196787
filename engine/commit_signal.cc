#include "commit_signal.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#endif

namespace evlog {

static_assert(std::atomic<uint32_t>::is_always_lock_free && sizeof(std::atomic<uint32_t>) == 4,
              "the wake-up word is parked on as a plain 32-bit futex");

#if defined(__linux__)

namespace {

long Futex(std::atomic<uint32_t>* word, int op, uint32_t value, const struct timespec* timeout,
           uint32_t bitset) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op | FUTEX_PRIVATE_FLAG, value,
                 timeout, nullptr, bitset);
}

}  // namespace

void CommitSignal::Wake() {
  uint32_t word = word_.load(std::memory_order_seq_cst);
  while (!word_.compare_exchange_weak(word, (word + 2) & ~kParked, std::memory_order_seq_cst)) {
  }
  if ((word & kParked) != 0) Futex(&word_, FUTEX_WAKE, INT_MAX, nullptr, 0);
}

void CommitSignal::Park(uint32_t seen, std::chrono::steady_clock::time_point deadline) {
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, the clock
  // of std::chrono::steady_clock here.
  const auto since = std::chrono::duration_cast<std::chrono::nanoseconds>(
      deadline.time_since_epoch());
  struct timespec at {};
  at.tv_sec = static_cast<time_t>(since.count() / 1'000'000'000);
  at.tv_nsec = static_cast<long>(since.count() % 1'000'000'000);
  // EAGAIN (the word moved), ETIMEDOUT, EINTR: the caller looks again.
  Futex(&word_, FUTEX_WAIT_BITSET, seen, &at, FUTEX_BITSET_MATCH_ANY);
}

#else

void CommitSignal::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint32_t word = word_.load(std::memory_order_seq_cst);
    while (!word_.compare_exchange_weak(word, (word + 2) & ~kParked, std::memory_order_seq_cst)) {
    }
  }
  cv_.notify_all();
}

void CommitSignal::Park(uint32_t seen, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, deadline, [&] { return word_.load(std::memory_order_seq_cst) != seen; });
}

#endif

}  // namespace evlog
