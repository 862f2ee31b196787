// SessionRegistry: the live sessions of a server, its session limit, and
// the stop-all for the SIGTERM drain.
//
// Thread-safety: used only on the server's io_context thread, but for
// queued_bytes(), which any thread may read.

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
  explicit SessionRegistry(size_t max_sessions) : max_sessions_(max_sessions) {}

  // Whether another session would pass the limit.
  bool full() const { return sessions_.size() >= max_sessions_; }
  size_t size() const { return sessions_.size(); }

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

 private:
  const size_t max_sessions_;
  std::unordered_set<std::shared_ptr<Session>> sessions_;
  std::function<void()> on_empty_;
  std::atomic<size_t> queued_bytes_{0};
};

}  // namespace evlog::server
