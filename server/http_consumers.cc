#include "http_consumers.h"

#include "random_hex.h"

namespace evlog::server {

namespace {

Status NoConsumer(std::string_view subscription, std::string_view id) {
  return Status::NotFound("no consumer '" + std::string(id) + "' of subscription '" +
                          std::string(subscription) +
                          "' (never opened, closed, or detached after its idle timeout)");
}

}  // namespace

Result<std::string> HttpConsumers::Open(std::string_view subscription) {
  std::vector<std::shared_ptr<Entry>> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    TakeIdle(Clock::now(), &idle);
    if (consumers_.size() >= options_.max_consumers) {
      return Status::Busy("the server is at its limit of HTTP consumers (" +
                          std::to_string(options_.max_consumers) + ")");
    }
  }
  Detach(std::move(idle));
  Result<std::unique_ptr<SubscriptionConsumer>> consumer = store_.Consume(subscription);
  if (!consumer.ok()) return consumer.status();
  auto entry = std::make_shared<Entry>();
  entry->subscription = std::string(subscription);
  entry->consumer = std::move(consumer).value();
  std::string id = RandomHex(16);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Checked again: another Open may have taken the last slot meanwhile.
    if (consumers_.size() >= options_.max_consumers) {
      idle.push_back(std::move(entry));
    } else {
      entry->last_used = Clock::now();
      consumers_.emplace(id, std::move(entry));
    }
  }
  if (!idle.empty()) {
    Detach(std::move(idle));
    return Status::Busy("the server is at its limit of HTTP consumers (" +
                        std::to_string(options_.max_consumers) + ")");
  }
  return id;
}

Result<HttpConsumers::Lease> HttpConsumers::Use(std::string_view subscription,
                                                std::string_view id) {
  std::vector<std::shared_ptr<Entry>> idle;
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    TakeIdle(now, &idle);
    auto it = consumers_.find(id);
    if (it != consumers_.end() && it->second->subscription == subscription) {
      entry = it->second;
      entry->last_used = now;
    }
  }
  Detach(std::move(idle));
  if (entry == nullptr) return NoConsumer(subscription, id);
  Lease lease(std::move(entry));
  // Closed between the lookup and the lock.
  if (!lease.has_consumer()) return NoConsumer(subscription, id);
  return lease;
}

Status HttpConsumers::Close(std::string_view subscription, std::string_view id) {
  std::vector<std::shared_ptr<Entry>> gone;
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    TakeIdle(Clock::now(), &gone);
    auto it = consumers_.find(id);
    if (it != consumers_.end() && it->second->subscription == subscription) {
      gone.push_back(std::move(it->second));
      consumers_.erase(it);
      found = true;
    }
  }
  Detach(std::move(gone));
  return found ? Status::OK() : NoConsumer(subscription, id);
}

void HttpConsumers::CloseAll(std::string_view subscription) {
  std::vector<std::shared_ptr<Entry>> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    TakeIdle(Clock::now(), &gone);
    for (auto it = consumers_.begin(); it != consumers_.end();) {
      if (it->second->subscription == subscription) {
        gone.push_back(std::move(it->second));
        it = consumers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  Detach(std::move(gone));
}

size_t HttpConsumers::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return consumers_.size();
}

void HttpConsumers::TakeIdle(Clock::time_point now, std::vector<std::shared_ptr<Entry>>* out) {
  for (auto it = consumers_.begin(); it != consumers_.end();) {
    if (now - it->second->last_used >= options_.idle_timeout) {
      out->push_back(std::move(it->second));
      it = consumers_.erase(it);
    } else {
      ++it;
    }
  }
}

void HttpConsumers::Detach(std::vector<std::shared_ptr<Entry>> entries) {
  for (const std::shared_ptr<Entry>& entry : entries) {
    std::lock_guard<std::mutex> lock(entry->mu);
    entry->consumer.reset();
    entry->leftover.reset();
  }
}

}  // namespace evlog::server
