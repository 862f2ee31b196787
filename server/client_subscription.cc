// The pushed subscriptions: Subscribe, the daemon's pushes handed to the
// callback with credits granted as they are consumed, their resumption after
// a reconnect, and Unsubscribe. See client_rep.h for the invariant.

#include <future>

#include "client_rep.h"

namespace evlog {

using server::Request;
using server::Response;

void Client::Rep::Deliver(std::map<uint64_t, Pushed>::iterator it, Response& response) {
  const uint64_t id = it->first;
  Pushed& sub = it->second;
  if (auto* events = std::get_if<server::SubscriptionEventsResponse>(&response.body)) {
    sub.position->store(events->position.value());
    const size_t n = events->events.size();
    sub.callback(std::move(events->events));
    if (sub.auto_credit) {
      sub.consumed += n;
      if (sub.consumed >= std::max<uint64_t>(sub.window / 2, 1)) {
        SendNoReply(server::CreditRequest{id, sub.consumed});
        sub.consumed = 0;
      }
    }
    return;
  }
  if (std::holds_alternative<server::SubscribedResponse>(response.body)) return;  // resumed
  auto* error = std::get_if<server::ErrorResponse>(&response.body);
  Client::SubscriptionCallback callback = std::move(sub.callback);
  subscriptions.erase(it);
  callback(error != nullptr ? error->status
                            : Status::IOError("evlogd pushed an unexpected message type"));
}

void Client::Rep::EndSubscriptions(const Status& why) {
  auto all = std::move(subscriptions);
  subscriptions.clear();
  for (auto& [id, sub] : all) sub.callback(why);
}

void Client::Rep::ResumeSubscriptions() {
  for (auto& [id, sub] : subscriptions) {
    // A Subscribe still unanswered is resent with the pending requests.
    if (!sub.subscribed) continue;
    ChangeFeedOptions feed = sub.feed;
    feed.start = FeedStart::After(Position(sub.position->load()));
    sub.consumed = 0;
    write_queue.push_back(std::make_shared<const std::string>(
        server::EncodeRequest(Request{id, server::SubscribeRequest{feed, sub.window}})));
  }
}

Result<std::unique_ptr<RemoteSubscription>> Client::Subscribe(RemoteSubscribeOptions options,
                                                              SubscriptionCallback on_events) {
  Rep* rep = rep_.get();
  const uint64_t id = rep->next_id.fetch_add(1);
  auto position = std::make_shared<std::atomic<uint64_t>>(0);
  Rep::Pushed pushed{std::move(on_events), std::max<uint64_t>(options.window, 1),
                     options.auto_credit, 0, position, options.feed};
  std::promise<Result<server::Response>> promise;
  auto future = promise.get_future();
  rep->CallAs(
      id, server::SubscribeRequest{options.feed, pushed.window},
      [rep, id, position, &promise](Result<server::Response> r) {
        auto it = rep->subscriptions.find(id);
        if (!r.ok() || !std::holds_alternative<server::SubscribedResponse>(r->body)) {
          if (it != rep->subscriptions.end()) rep->subscriptions.erase(it);
        } else if (it != rep->subscriptions.end()) {
          // Pushes may have moved it on already.
          uint64_t none = 0;
          position->compare_exchange_strong(
              none, std::get<server::SubscribedResponse>(r->body).position.value());
          it->second.subscribed = true;
        }
        promise.set_value(std::move(r));
      },
      [rep, id, pushed = std::move(pushed)]() mutable {
        rep->subscriptions.emplace(id, std::move(pushed));
      });
  auto subscribed = Expect<server::SubscribedResponse>(future.get());
  if (!subscribed.ok()) return subscribed.status();
  return std::unique_ptr<RemoteSubscription>(new RemoteSubscription(rep, id, position));
}

RemoteSubscription::~RemoteSubscription() {
  if (!cancelled_) (void)Cancel();
}

void RemoteSubscription::Grant(uint64_t events) {
  rep_->SendNoReply(server::CreditRequest{id_, events});
}

Status RemoteSubscription::Cancel() {
  cancelled_ = true;
  Client::Rep* rep = rep_;
  const uint64_t id = id_;
  std::promise<Result<server::Response>> promise;
  auto future = promise.get_future();
  rep->Call(server::UnsubscribeRequest{id}, [rep, id, &promise](Result<server::Response> r) {
    // After Done no push follows; on error the session is gone anyway.
    rep->subscriptions.erase(id);
    promise.set_value(std::move(r));
  });
  return Expect<server::DoneResponse>(future.get()).status();
}

Position RemoteSubscription::position() const { return Position(position_->load()); }

Result<std::unique_ptr<FeedFollower>> Client::Follow(FollowOptions options,
                                                     FollowCallback on_events) {
  Result<std::unique_ptr<RemoteSubscription>> s = Subscribe(options, std::move(on_events));
  if (!s.ok()) return s.status();
  return std::unique_ptr<FeedFollower>(std::move(s).value());
}

}  // namespace evlog
