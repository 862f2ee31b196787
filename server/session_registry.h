// SessionRegistry: the live sessions of a server, its session limit, the
// server-wide budget of queued response bytes, and the stop-all for the
// SIGTERM drain.
//
// The budget: sessions reserve a page for each read and push before
// taking it (Session::ReservePage) and count it here with the responses
// queued for writing. A page is reserved only while the budget has room
// for it, or, past the budget, by a session holding less than its share
// under pressure (SessionOptions::max_buffered_bytes_under_pressure), one
// page at a time; sessions whose clients keep reading hold little and go
// on. So the total stays under max_queued_bytes plus, per session, that
// share and one page. Clients that stopped reading are closed after the
// write timeout, which frees the budget.
//
// When the sessions have freed much of what they held (16 MiB) or the last
// one has gone, `on_freed` runs (the server returns the freed memory to the
// system, rate-limited).
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
#include <vector>

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

  // Response and push bytes queued for writing, and pages reserved for
  // answers being built, in all sessions (thread-safe to read): what clients
  // that do not read cost the server.
  size_t queued_bytes() const { return queued_bytes_.load(std::memory_order_relaxed); }
  // The most queued_bytes() has been since the server started (thread-safe).
  size_t peak_queued_bytes() const { return peak_queued_bytes_.load(std::memory_order_relaxed); }
  void AddQueued(size_t bytes);
  void SubQueued(size_t bytes);
  // Whether the sessions hold the whole budget of queued bytes.
  bool over_budget() const { return queued_bytes() >= max_queued_bytes_; }
  // Bytes the budget has left; 0 once it is spent.
  size_t room() const {
    const size_t q = queued_bytes();
    return q >= max_queued_bytes_ ? 0 : max_queued_bytes_ - q;
  }
  // Runs `ready` once, the next time queued bytes are freed (SubQueued, on
  // the io_context thread): for an HTTP session waiting for room for a page
  // (HttpSession). `ready` must only post the work.
  void WaitForRoom(std::function<void()> ready) { room_waiters_.push_back(std::move(ready)); }
  // Runs (on the io_context thread) when much held memory has been freed.
  void set_on_freed(std::function<void()> on_freed) { on_freed_ = std::move(on_freed); }

  // Sessions closed because their client took no bytes for the write timeout.
  uint64_t slow_consumers_closed() const {
    return slow_consumers_closed_.load(std::memory_order_relaxed);
  }
  void CountSlowConsumer() { slow_consumers_closed_.fetch_add(1, std::memory_order_relaxed); }

  // Consumers of hosted subscriptions the sessions hold open now.
  uint64_t consumers() const { return consumers_.load(std::memory_order_relaxed); }
  void ConsumerOpened() { consumers_.fetch_add(1, std::memory_order_relaxed); }
  void ConsumerClosed() { consumers_.fetch_sub(1, std::memory_order_relaxed); }

 private:
  const size_t max_sessions_;
  const size_t max_queued_bytes_;
  std::unordered_set<std::shared_ptr<Session>> sessions_;
  std::function<void()> on_empty_;
  std::function<void()> on_freed_;
  std::vector<std::function<void()>> room_waiters_;
  // The most held since on_freed_ last ran.
  size_t freed_mark_ = 0;
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<size_t> peak_queued_bytes_{0};
  std::atomic<size_t> count_{0};
  std::atomic<uint64_t> slow_consumers_closed_{0};
  std::atomic<uint64_t> consumers_{0};
};

}  // namespace evlog::server
