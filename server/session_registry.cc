#include "session_registry.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "session.h"

namespace evlog::server {

void SessionRegistry::Add(std::shared_ptr<Session> session) {
  sessions_.insert(std::move(session));
  count_.store(sessions_.size(), std::memory_order_relaxed);
}

namespace {
// Freed bytes (below the most held since the last time) worth returning.
constexpr size_t kFreedEnough = size_t{16} << 20;
}  // namespace

void SessionRegistry::AddQueued(size_t bytes) {
  const size_t now = queued_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  freed_mark_ = std::max(freed_mark_, now);
  size_t peak = peak_queued_bytes_.load(std::memory_order_relaxed);
  while (now > peak &&
         !peak_queued_bytes_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

void SessionRegistry::SubQueued(size_t bytes) {
  const size_t now = queued_bytes_.fetch_sub(bytes, std::memory_order_relaxed) - bytes;
  if (!room_waiters_.empty()) {
    std::vector<std::function<void()>> ready;
    ready.swap(room_waiters_);
    for (std::function<void()>& f : ready) f();
  }
  if (freed_mark_ >= now + kFreedEnough) {
    freed_mark_ = now;
    if (on_freed_) on_freed_();
  }
}

void SessionRegistry::Remove(const std::shared_ptr<Session>& session) {
  const size_t erased = sessions_.erase(session);
  count_.store(sessions_.size(), std::memory_order_relaxed);
  // The last session gone: what it and the others held (and the answers
  // built for them) is free.
  if (erased > 0 && sessions_.empty() && on_freed_) {
    freed_mark_ = queued_bytes();
    on_freed_();
  }
  if (sessions_.empty() && on_empty_) std::exchange(on_empty_, nullptr)();
}

// Sessions remove themselves as they close: iterate over a copy.
void SessionRegistry::DrainAll(std::function<void()> on_empty) {
  if (sessions_.empty()) {
    on_empty();
    return;
  }
  on_empty_ = std::move(on_empty);
  const std::vector<std::shared_ptr<Session>> all(sessions_.begin(), sessions_.end());
  for (const auto& s : all) s->Drain();
}

void SessionRegistry::CloseAll() {
  const std::vector<std::shared_ptr<Session>> all(sessions_.begin(), sessions_.end());
  for (const auto& s : all) s->Close();
}

}  // namespace evlog::server
