#include "session_registry.h"

#include <utility>
#include <vector>

#include "session.h"

namespace evlog::server {

void SessionRegistry::Add(std::shared_ptr<Session> session) {
  sessions_.insert(std::move(session));
  count_.store(sessions_.size(), std::memory_order_relaxed);
}

void SessionRegistry::Remove(const std::shared_ptr<Session>& session) {
  sessions_.erase(session);
  count_.store(sessions_.size(), std::memory_order_relaxed);
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
