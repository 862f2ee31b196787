// CommitSignal: the store's committed position, and a way to wait for it to
// move. The writer advances it after each group commit; change feeds wait on
// it when they have caught up.
//
// The wake-up path (issue #18): Advance stores the position and, only if a
// feed is waiting, moves a wake-up word and — if a feed is parked on it —
// wakes every thread parked there with one futex call. It takes no lock, so
// a waiting feed never makes the writer wait for it (a condition variable
// would have the writer take its mutex, which every woken waiter takes
// again on its way out), and commits that land while the woken feeds have
// not parked again make no system call. A waiter reads the word, checks
// what it waits for, and parks only if the word has not moved since: a
// commit between its check and its park is never missed. Elsewhere than
// Linux the parking is a condition variable's.
//
// Thread-safety: all methods are safe from any thread.

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#if !defined(__linux__)
#include <condition_variable>
#include <mutex>
#endif

namespace evlog {

class CommitSignal {
 public:
  explicit CommitSignal(uint64_t committed = 0) : committed_(committed) {}
  CommitSignal(const CommitSignal&) = delete;
  CommitSignal& operator=(const CommitSignal&) = delete;

  uint64_t committed() const { return committed_.load(std::memory_order_acquire); }

  // Publishes a new committed position and wakes the waiters: no lock, and
  // no system call while nobody waits.
  void Advance(uint64_t committed) {
    committed_.store(committed, std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_seq_cst) > 0) Wake();
  }

  // Wakes every waiter without advancing, e.g. when the store closes.
  void Interrupt() {
    interrupted_.store(true, std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_seq_cst) > 0) Wake();
  }

  // Wakes the waiters that asked to be woken by pokes (subscriptions: to
  // stop, or to replay parked events).
  void Poke() {
    pokes_.fetch_add(1, std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_seq_cst) > 0) Wake();
  }

  uint64_t pokes() const { return pokes_.load(std::memory_order_acquire); }

  bool interrupted() const { return interrupted_.load(std::memory_order_acquire); }

  // Threads parked in WaitBeyond now (for tests).
  int waiters() const { return waiters_.load(std::memory_order_acquire); }

  // Waits until the committed position is beyond `position`, until
  // `deadline`, until Interrupt(), or — if `pokes_seen` is given — until
  // pokes() differs from *pokes_seen. Returns the committed position.
  uint64_t WaitBeyond(uint64_t position, std::chrono::steady_clock::time_point deadline,
                      const uint64_t* pokes_seen = nullptr) {
    uint64_t now = committed();
    if (now > position) return now;
    // seq_cst throughout: either Advance sees this waiter counted, or this
    // waiter sees the new position (the two stores are ordered before the
    // two loads that cross them).
    waiters_.fetch_add(1, std::memory_order_seq_cst);
    for (;;) {
      uint32_t word = word_.load(std::memory_order_seq_cst);
      if (committed_.load(std::memory_order_seq_cst) > position ||
          interrupted_.load(std::memory_order_seq_cst) ||
          (pokes_seen != nullptr && pokes_.load(std::memory_order_seq_cst) != *pokes_seen)) {
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      // Mark the word "someone parks" unless a wake-up moved it since the
      // check above (then look again).
      if ((word & kParked) == 0) {
        if (!word_.compare_exchange_strong(word, word | kParked, std::memory_order_seq_cst)) {
          continue;
        }
        word |= kParked;
      }
      Park(word, deadline);
    }
    waiters_.fetch_sub(1, std::memory_order_seq_cst);
    return committed();
  }

 private:
  // The wake-up word's low bit: a thread parks, or is about to, on the
  // word's current value. A wake-up clears it, so the commits that follow
  // before anyone parks again make no system call.
  static constexpr uint32_t kParked = 1;

  // Moves the wake-up word and wakes every thread parked on it.
  void Wake();
  // Parks until the wake-up word is no longer `seen` (or it already is not),
  // `deadline` passes, or spuriously.
  void Park(uint32_t seen, std::chrono::steady_clock::time_point deadline);

  std::atomic<uint64_t> committed_;
  std::atomic<uint64_t> pokes_{0};
  std::atomic<bool> interrupted_{false};
  std::atomic<int> waiters_{0};
  // Moves (by 2) on every wake-up; the futex the waiters park on. Low bit:
  // kParked.
  std::atomic<uint32_t> word_{0};
#if !defined(__linux__)
  std::mutex mu_;
  std::condition_variable cv_;
#endif
};

}  // namespace evlog
