#include "session_registry.h"

#include <vector>

#include "session.h"

namespace evlog::server {

void SessionRegistry::Add(std::shared_ptr<Session> session) {
  sessions_.insert(std::move(session));
}

void SessionRegistry::Remove(const std::shared_ptr<Session>& session) { sessions_.erase(session); }

// Sessions remove themselves as they close: iterate over a copy.
void SessionRegistry::DrainAll() {
  const std::vector<std::shared_ptr<Session>> all(sessions_.begin(), sessions_.end());
  for (const auto& s : all) s->Drain();
}

void SessionRegistry::CloseAll() {
  const std::vector<std::shared_ptr<Session>> all(sessions_.begin(), sessions_.end());
  for (const auto& s : all) s->Close();
}

}  // namespace evlog::server
