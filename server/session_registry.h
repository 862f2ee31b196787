// SessionRegistry: the live sessions of a server, its session limit, the
// server-wide budget of queued response bytes, and the stop-all for the
// SIGTERM drain.
//
// The budget: while the sessions together hold `max_queued_bytes` or more
// of unwritten responses, a session that holds more than its share under
// pressure (SessionOptions::max_buffered_bytes_under_pressure) takes no
// more requests or pushes until its own writes bring it under; sessions
// whose clients keep reading hold little and go on. Clients that stopped
// reading are closed after the write timeout, which frees the budget.
//
// Thread-safety: used only on the server's io_context thread, but for
// count(), queued_bytes() and slow_consumers_closed(), which any thread may
// read.

#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_set>

namespace evlog::server {

class Session;

class SessionRegistry {
 public:
  SessionRegistry(size_t max_sessions, size_t max_queued_bytes)
      : max_sessions_(max_sessions), max_queued_bytes_(max_queued_bytes) {}

  // Whether another session would pass the limit.
  bool full() const { return sessions_.size() >= max_sessions_; }
  // Sessions registered now; safe to read from any thread.
  size_t count() const { return count_.load(std::memory_order_relaxed); }

  // REQUIRES: !full()
  void Add(std::shared_ptr<Session> session);
  // A no-op for a session that is not registered.
  void Remove(const std::shared_ptr<Session>& session);

  // Every session stops reading, answers what it has in flight, and closes.
  // `on_empty` runs once, when the last session has gone (at once if none).
  void DrainAll(std::function<void()> on_empty);
  // Closes every session at once.
  void CloseAll();

  // Response and push bytes queued for writing in all sessions (thread-safe
  // to read): what clients that do not read cost the server.
  size_t queued_bytes() const { return queued_bytes_.load(std::memory_order_relaxed); }
  void AddQueued(size_t bytes) { queued_bytes_.fetch_add(bytes, std::memory_order_relaxed); }
  void SubQueued(size_t bytes) { queued_bytes_.fetch_sub(bytes, std::memory_order_relaxed); }
  // Whether the sessions hold the whole budget of queued bytes.
  bool over_budget() const { return queued_bytes() >= max_queued_bytes_; }

  // Sessions closed because their client took no bytes for the write timeout.
  uint64_t slow_consumers_closed() const {
    return slow_consumers_closed_.load(std::memory_order_relaxed);
  }
  void CountSlowConsumer() { slow_consumers_closed_.fetch_add(1, std::memory_order_relaxed); }

 private:
  const size_t max_sessions_;
  const size_t max_queued_bytes_;
  std::unordered_set<std::shared_ptr<Session>> sessions_;
  std::function<void()> on_empty_;
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<size_t> count_{0};
  std::atomic<uint64_t> slow_consumers_closed_{0};
};

}  // namespace evlog::server
