// The hosted subscriptions through evlogd: CreateSubscription,
// DeleteSubscription, and a consumer whose calls are requests on the
// client's session (see client.h for what a lost session does to it).

#include <algorithm>

#include "client_rep.h"

namespace evlog {

namespace {

// Most positions one ConsumerAck carries: 64 KiB of them.
constexpr size_t kAckPositionsPerRequest = 8192;

Status CheckServed(const DaemonFeatures& served) {
  if (served.hosted_subscriptions) return Status::OK();
  // An older evlogd would answer UnknownRequest and end the session.
  return Status::NotSupported("this evlogd is older than hosted subscriptions; nothing was sent");
}

}  // namespace

class RemoteConsumer final : public SubscriptionConsumer {
 public:
  RemoteConsumer(Client::Rep* rep, std::string name, uint64_t id, uint64_t session)
      : rep_(rep), name_(std::move(name)), id_(id), session_(session) {}

  ~RemoteConsumer() override {
    // A consumer of a session gone is gone with it.
    if (session_ == rep_->sessions.load()) {
      (void)rep_->CallSync(server::CloseConsumerRequest{id_});
    }
  }

  Result<std::vector<HostedEvent>> Next(size_t max_events,
                                        std::chrono::milliseconds timeout) override {
    if (Status s = Reattach(); !s.ok()) return s;
    auto r = Expect<server::ConsumerEventsResponse>(rep_->CallSync(server::ConsumerFetchRequest{
        id_, std::max<uint64_t>(max_events, 1), std::max(timeout, std::chrono::milliseconds(0))}));
    if (!r.ok()) {
      if (Lost(r.status())) return std::vector<HostedEvent>{};
      return r.status();
    }
    return std::move(r->events);
  }

  bool CaughtUp() override {
    if (!Reattach().ok()) return false;
    auto r = Expect<server::ConsumerEventsResponse>(
        rep_->CallSync(server::ConsumerFetchRequest{id_, 0, {}}));
    return r.ok() && r->caught_up;
  }

  Status Ack(std::span<const Position> positions) override {
    for (size_t i = 0; i < positions.size(); i += kAckPositionsPerRequest) {
      if (session_ != rep_->sessions.load()) return Status::OK();
      const auto part =
          positions.subspan(i, std::min(kAckPositionsPerRequest, positions.size() - i));
      Status s =
          Expect<server::DoneResponse>(rep_->CallSync(server::ConsumerAckRequest{
                                           id_, std::vector<Position>(part.begin(), part.end())}))
              .status();
      if (!s.ok()) return Lost(s) ? Status::OK() : s;
    }
    return Status::OK();
  }

  Status Nack(Position position, std::string_view reason) override {
    if (session_ != rep_->sessions.load()) return Status::OK();
    Status s = Expect<server::DoneResponse>(
                   rep_->CallSync(server::ConsumerNackRequest{id_, position, std::string(reason)}))
                   .status();
    return Lost(s) ? Status::OK() : s;
  }

 private:
  // Whether `s` says the daemon no longer knows this consumer because the
  // session it lived on was lost (the client reconnected meanwhile).
  bool Lost(const Status& s) const { return s.IsNotFound() && session_ != rep_->sessions.load(); }

  // After a reconnect: attaches a consumer on the new session.
  Status Reattach() {
    const uint64_t now = rep_->sessions.load();
    if (now == session_) return Status::OK();
    auto opened =
        Expect<server::ConsumerOpenedResponse>(rep_->CallSync(server::OpenConsumerRequest{name_}));
    if (!opened.ok()) return opened.status();
    id_ = opened->consumer;
    session_ = now;
    return Status::OK();
  }

  Client::Rep* const rep_;
  const std::string name_;
  uint64_t id_;
  // The session (Rep::sessions) the consumer lives on.
  uint64_t session_;
};

Status Client::CreateSubscription(const HostedSubscriptionSpec& spec) {
  if (Status s = CheckServed(rep_->features); !s.ok()) return s;
  return Expect<server::DoneResponse>(rep_->CallSync(server::CreateSubscriptionRequest{spec}))
      .status();
}

Status Client::DeleteSubscription(std::string_view name) {
  if (Status s = CheckServed(rep_->features); !s.ok()) return s;
  return Expect<server::DoneResponse>(
             rep_->CallSync(server::DeleteSubscriptionRequest{std::string(name)}))
      .status();
}

Result<std::unique_ptr<SubscriptionConsumer>> Client::Consume(std::string_view name) {
  if (Status s = CheckServed(rep_->features); !s.ok()) return s;
  const uint64_t session = rep_->sessions.load();
  auto opened = Expect<server::ConsumerOpenedResponse>(
      rep_->CallSync(server::OpenConsumerRequest{std::string(name)}));
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<SubscriptionConsumer>(
      new RemoteConsumer(rep_.get(), std::string(name), opened->consumer, session));
}

}  // namespace evlog
