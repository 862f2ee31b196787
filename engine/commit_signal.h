// CommitSignal: the store's committed position, and a way to wait for it to
// move. The writer advances it after each group commit; change feeds wait on
// it when they have caught up. Waiting never blocks the writer: Advance only
// takes the lock when someone is waiting.
//
// Thread-safety: all methods are safe from any thread.

#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace evlog {

class CommitSignal {
 public:
  explicit CommitSignal(uint64_t committed = 0) : committed_(committed) {}

  uint64_t committed() const { return committed_.load(std::memory_order_acquire); }

  // Publishes a new committed position and wakes the waiters.
  void Advance(uint64_t committed) {
    committed_.store(committed, std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_seq_cst) > 0) {
      // Taking the lock orders this notify after a waiter's predicate check.
      { std::lock_guard<std::mutex> lock(mu_); }
      cv_.notify_all();
    }
  }

  // Wakes every waiter without advancing, e.g. when the store closes.
  void Interrupt() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      interrupted_ = true;
    }
    cv_.notify_all();
  }

  // Wakes the waiters that asked to be woken by pokes (subscriptions: to
  // stop, or to replay parked events).
  void Poke() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++pokes_;
    }
    cv_.notify_all();
  }

  uint64_t pokes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pokes_;
  }

  // Waits until the committed position is beyond `position`, until
  // `deadline`, until Interrupt(), or — if `pokes_seen` is given — until
  // pokes() differs from *pokes_seen. Returns the committed position.
  uint64_t WaitBeyond(uint64_t position, std::chrono::steady_clock::time_point deadline,
                      const uint64_t* pokes_seen = nullptr) {
    uint64_t now = committed();
    if (now > position) return now;
    waiters_.fetch_add(1, std::memory_order_seq_cst);
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, deadline, [&] {
        return interrupted_ || committed() > position ||
               (pokes_seen != nullptr && pokes_ != *pokes_seen);
      });
    }
    waiters_.fetch_sub(1, std::memory_order_seq_cst);
    return committed();
  }

  bool interrupted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return interrupted_;
  }

 private:
  std::atomic<uint64_t> committed_;
  std::atomic<int> waiters_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool interrupted_ = false;
  uint64_t pokes_ = 0;
};

}  // namespace evlog
