// The hosted subscriptions through evlogd: CreateSubscription,
// DeleteSubscription, and a consumer whose calls are requests on the
// client's session (see client.h for what a lost session does to it).

#include <algorithm>
#include <mutex>

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

// Thread-safety: Ack, Nack and CaughtUp may run beside Next (as the
// engine's consumer allows); mu_ guards which consumer on which session
// this is, and serializes attaching again.
class RemoteConsumer final : public SubscriptionConsumer {
 public:
  RemoteConsumer(Client::Rep* rep, std::string name, uint64_t id, uint64_t session)
      : rep_(rep), name_(std::move(name)), attached_{id, session} {}

  ~RemoteConsumer() override {
    // A consumer of a session gone is gone with it.
    if (attached_.session == rep_->sessions.load()) {
      (void)rep_->CallSync(server::CloseConsumerRequest{attached_.id});
    }
  }

  Result<std::vector<HostedEvent>> Next(size_t max_events,
                                        std::chrono::milliseconds timeout) override {
    Result<Attached> at = Attach();
    if (!at.ok()) return at.status();
    auto r = Expect<server::ConsumerEventsResponse>(rep_->CallSync(
        server::ConsumerFetchRequest{at->id, std::max<uint64_t>(max_events, 1),
                                     std::max(timeout, std::chrono::milliseconds(0))}));
    if (!r.ok()) {
      if (Lost(r.status(), *at)) return std::vector<HostedEvent>{};
      return r.status();
    }
    return std::move(r->events);
  }

  bool CaughtUp() override {
    Result<Attached> at = Attach();
    if (!at.ok()) return false;
    auto r = Expect<server::ConsumerEventsResponse>(
        rep_->CallSync(server::ConsumerFetchRequest{at->id, 0, {}}));
    return r.ok() && r->caught_up;
  }

  Status Ack(std::span<const Position> positions) override {
    const Attached at = Current();
    for (size_t i = 0; i < positions.size(); i += kAckPositionsPerRequest) {
      if (at.session != rep_->sessions.load()) return Status::OK();
      const auto part =
          positions.subspan(i, std::min(kAckPositionsPerRequest, positions.size() - i));
      Status s = Expect<server::DoneResponse>(
                     rep_->CallSync(server::ConsumerAckRequest{
                         at.id, std::vector<Position>(part.begin(), part.end())}))
                     .status();
      if (!s.ok()) return Lost(s, at) ? Status::OK() : s;
    }
    return Status::OK();
  }

  Status Nack(Position position, std::string_view reason) override {
    const Attached at = Current();
    if (at.session != rep_->sessions.load()) return Status::OK();
    Status s = Expect<server::DoneResponse>(rep_->CallSync(
                   server::ConsumerNackRequest{at.id, position, std::string(reason)}))
                   .status();
    return Lost(s, at) ? Status::OK() : s;
  }

 private:
  // The consumer's id on session `session` (Rep::sessions).
  struct Attached {
    uint64_t id;
    uint64_t session;
  };

  Attached Current() {
    std::lock_guard<std::mutex> lock(mu_);
    return attached_;
  }

  // Whether `s` says the daemon no longer knows consumer `at` because the
  // session it lived on was lost (the client reconnected meanwhile).
  bool Lost(const Status& s, const Attached& at) const {
    return s.IsNotFound() && at.session != rep_->sessions.load();
  }

  // The consumer, attached again on the current session after a reconnect.
  Result<Attached> Attach() {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t now = rep_->sessions.load();
    if (now == attached_.session) return attached_;
    auto opened =
        Expect<server::ConsumerOpenedResponse>(rep_->CallSync(server::OpenConsumerRequest{name_}));
    if (!opened.ok()) return opened.status();
    attached_ = Attached{opened->consumer, now};
    return attached_;
  }

  Client::Rep* const rep_;
  const std::string name_;
  std::mutex mu_;
  Attached attached_;  // guarded by mu_
};

Result<bool> Client::CreateSubscription(const HostedSubscriptionSpec& spec) {
  if (Status s = CheckServed(rep_->features); !s.ok()) return s;
  Result<server::Response> response = rep_->CallSync(server::CreateSubscriptionRequest{spec});
  // An evlogd older than SubscriptionCreated answers Done and cannot say.
  if (response.ok() && std::holds_alternative<server::DoneResponse>(response->body)) return true;
  auto created = Expect<server::SubscriptionCreatedResponse>(std::move(response));
  if (!created.ok()) return created.status();
  return created->created;
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
