// The consumers of hosted subscriptions a session owns (see session.h).
//
// Invariant: every engine call on a consumer (Consume, Next, CaughtUp, Ack,
// Nack, and the destructor that detaches it) runs on the read pool, never on
// the session's executor; a consumer is destroyed there too, by the last
// pool task holding it. A consumer has at most one fetch waiting, and each
// consumer request taken is answered exactly once, with an Aborted error
// when the consumer is closed under it.

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>

#include "response_bytes.h"
#include "session.h"
#include "session_pages.h"
#include "session_registry.h"

namespace evlog::server {

namespace {

// What an event adds to a ConsumerEvents answer beyond its strings: its
// RecordedEvent fields (as dispatcher.cc counts them) and the
// DeliveredEvent table around it.
constexpr size_t kWireDeliveredBytes = 128 + 32;

// Destroys `consumer` on the read pool: detaching it takes the broker's
// lock, and the last consumer of a subscription joins its feed thread.
void DestroyOnPool(Dispatcher& dispatcher, std::shared_ptr<SubscriptionConsumer> consumer) {
  if (consumer == nullptr) return;
  dispatcher.RunBlocking([consumer = std::move(consumer)]() mutable { consumer.reset(); });
}

// Runs a callback once the engine consumer is destroyed, whichever pool task
// drops it last. A CloseConsumer is answered from here: once its Done
// arrives, the subscription no longer counts the consumer, so a
// DeleteSubscription sent next cannot find it busy.
class Released {
 public:
  // Runs `then` at once if the consumer is gone already.
  void Then(std::function<void()> then) {
    {
      std::lock_guard lock(mu_);
      if (!released_) {
        then_ = std::move(then);
        return;
      }
    }
    then();
  }
  void Fire() {
    std::function<void()> then;
    {
      std::lock_guard lock(mu_);
      released_ = true;
      then = std::move(then_);
    }
    if (then) then();
  }

 private:
  std::mutex mu_;
  bool released_ = false;
  std::function<void()> then_;
};

}  // namespace

struct Session::Consumer {
  Consumer(uint64_t i, std::shared_ptr<SubscriptionConsumer> c, std::shared_ptr<Released> r,
           net::tcp::socket& socket)
      : id(i), consumer(std::move(c)), released(std::move(r)), timer(socket.get_executor()) {}
  const uint64_t id;
  // Null once closed. Pool tasks hold their own reference.
  std::shared_ptr<SubscriptionConsumer> consumer;
  // Fired by the engine consumer's destruction.
  const std::shared_ptr<Released> released;
  // The fetch being answered.
  struct Waiting {
    uint64_t request_id;
    size_t max_events;
    std::chrono::steady_clock::time_point deadline;
  };
  std::optional<Waiting> fetch;
  bool polling = false;     // a poll runs on the read pool
  bool wants_page = false;  // waits for room to reserve its poll's page
  net::asio::steady_timer timer;
};

bool Session::HandleConsumerRequest(Request& request) {
  const uint64_t id = request.request_id;
  if (auto* open = std::get_if<OpenConsumerRequest>(&request.body)) {
    ++in_flight_;
    OpenConsumer(id, std::move(*open));
  } else if (auto* fetch = std::get_if<ConsumerFetchRequest>(&request.body)) {
    ++in_flight_;
    Fetch(id, *fetch);
  } else if (auto* ack = std::get_if<ConsumerAckRequest>(&request.body)) {
    ++in_flight_;
    CallConsumer(id, ack->consumer,
                 [id, positions = std::move(ack->positions)](SubscriptionConsumer& c) {
                   const Status s = c.Ack(positions);
                   return s.ok() ? EncodeDone(id) : EncodeError(id, s);
                 });
  } else if (auto* nack = std::get_if<ConsumerNackRequest>(&request.body)) {
    ++in_flight_;
    CallConsumer(
        id, nack->consumer,
        [id, position = nack->position, reason = std::move(nack->reason)](SubscriptionConsumer& c) {
          const Status s = c.Nack(position, reason);
          return s.ok() ? EncodeDone(id) : EncodeError(id, s);
        });
  } else if (auto* close = std::get_if<CloseConsumerRequest>(&request.body)) {
    ++in_flight_;
    CloseConsumer(close->consumer, id);
  } else {
    return false;
  }
  return true;
}

void Session::OpenConsumer(uint64_t id, OpenConsumerRequest request) {
  const size_t open = consumers_.size() + consumers_opening_;
  if (open >= options_.max_consumers) {
    Send(EncodeError(id, Status::Busy("this session has " + std::to_string(open) +
                                      " consumers open, the most it may have "
                                      "(--max-consumers-per-session); close one first")),
         true);
    return;
  }
  if (consumers_.contains(id)) {
    Send(EncodeError(id,
                     Status::InvalidArgument("consumer id " + std::to_string(id) + " is in use")),
         true);
    return;
  }
  ++consumers_opening_;
  auto executor =
      net::asio::prefer(socket_.get_executor(), net::asio::execution::outstanding_work.tracked);
  dispatcher_.RunBlocking([self = shared_from_this(), id, name = std::move(request.name),
                           executor]() mutable {
    Result<std::unique_ptr<SubscriptionConsumer>> opened = self->dispatcher_.store().Consume(name);
    net::asio::dispatch(executor,
                        [self = std::move(self), id, opened = std::move(opened)]() mutable {
                          self->OnConsumerOpened(id, std::move(opened));
                        });
  });
}

void Session::OnConsumerOpened(uint64_t id, Result<std::unique_ptr<SubscriptionConsumer>> opened) {
  --consumers_opening_;
  if (!opened.ok()) {
    Send(EncodeError(id, opened.status()), true);
    return;
  }
  auto released = std::make_shared<Released>();
  std::shared_ptr<SubscriptionConsumer> consumer(
      std::move(opened).value().release(), [released](SubscriptionConsumer* c) {
        delete c;
        released->Fire();
      });
  if (closed_ || stop_reading_) {
    // The session is ending: it closed its consumers already.
    DestroyOnPool(dispatcher_, std::move(consumer));
    Send(EncodeError(id, Status::Aborted("the session is closing")), true);
    return;
  }
  consumers_.emplace(
      id, std::make_shared<Consumer>(id, std::move(consumer), std::move(released), socket_));
  registry_.ConsumerOpened();
  Send(EncodeConsumerOpened(id, id), true);
}

void Session::Fetch(uint64_t id, const ConsumerFetchRequest& request) {
  auto it = consumers_.find(request.consumer);
  if (it == consumers_.end()) {
    Send(EncodeError(id, Status::NotFound("this session has no consumer " +
                                          std::to_string(request.consumer))),
         true);
    return;
  }
  const std::shared_ptr<Consumer>& c = it->second;
  if (request.max_events == 0) {
    // Only CaughtUp: it may run beside a waiting fetch.
    CallConsumer(id, c->id, [id](SubscriptionConsumer& consumer) {
      return EncodeConsumerEvents(id, {}, consumer.CaughtUp());
    });
    return;
  }
  if (c->fetch) {
    Send(EncodeError(id, Status::Busy("consumer " + std::to_string(c->id) +
                                      " has a fetch waiting already; fetches of one consumer "
                                      "must not overlap")),
         true);
    return;
  }
  const auto wait = std::clamp(request.wait, std::chrono::milliseconds(0), options_.max_fetch_wait);
  c->fetch = Consumer::Waiting{
      id, static_cast<size_t>(std::min<uint64_t>(request.max_events, options_.max_fetch_events)),
      std::chrono::steady_clock::now() + wait};
  PollFetch(c);
}

void Session::PollFetch(const std::shared_ptr<Consumer>& c) {
  if (closed_ || c->consumer == nullptr || !c->fetch || c->polling) return;
  // The answer's page is reserved before events are taken: taken events
  // cannot be given back without counting as a delivery.
  const size_t page = QueueFull() ? 0 : ReservePage(options_.max_frame_bytes);
  c->wants_page = page == 0;
  if (page == 0) return;
  c->polling = true;
  const size_t want = c->fetch->max_events;
  // The events a page holds for certain: one of the largest fits any page.
  const size_t budget = MessageBytes(page);
  const size_t largest = MessageBytes(options_.min_page_bytes);
  auto executor =
      net::asio::prefer(socket_.get_executor(), net::asio::execution::outstanding_work.tracked);
  dispatcher_.RunBlocking([self = shared_from_this(), c, consumer = c->consumer, want, budget,
                           largest, page, executor]() mutable {
    std::vector<HostedEvent> events;
    size_t bytes = 0;
    Status status;
    while (events.size() < want) {
      // As many as fit if each were the largest an event can be.
      size_t take = (budget - std::min(budget, bytes)) / largest;
      if (events.empty()) take = std::max<size_t>(take, 1);
      take = std::min(take, want - events.size());
      if (take == 0) break;
      Result<std::vector<HostedEvent>> batch = consumer->Next(take, std::chrono::milliseconds(0));
      if (!batch.ok()) {
        status = batch.status();
        break;
      }
      for (HostedEvent& e : *batch) {
        bytes += EventResponseBytes(e.event.view(), kWireDeliveredBytes);
        events.push_back(std::move(e));
      }
      if (batch->size() < take) break;
    }
    // Taken events go out; an error after them is the next fetch's.
    if (!events.empty()) status = Status::OK();
    const bool caught_up = status.ok() && consumer->CaughtUp();
    consumer.reset();  // Not on the executor: see DestroyOnPool.
    net::asio::dispatch(executor, [self = std::move(self), c = std::move(c), status,
                                   events = std::move(events), caught_up, page]() mutable {
      self->OnFetched(c, std::move(status), std::move(events), caught_up, page);
    });
  });
}

void Session::OnFetched(const std::shared_ptr<Consumer>& c, Status status,
                        std::vector<HostedEvent> events, bool caught_up, size_t page) {
  c->polling = false;
  if (closed_) return;  // Close() gave back what the session held.
  ReleasePage(page);
  if (!c->fetch) {
    // Closed meanwhile, the fetch answered: the events taken go back when
    // the consumer is destroyed.
    Resume();
    return;
  }
  const uint64_t id = c->fetch->request_id;
  const auto now = std::chrono::steady_clock::now();
  if (!status.ok() || !events.empty() || now >= c->fetch->deadline) {
    c->fetch.reset();
    Send(status.ok() ? EncodeConsumerEvents(id, events, caught_up) : EncodeError(id, status), true);
    Resume();
    return;
  }
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(c->fetch->deadline - now);
  Resume();               // The page given back may let others go on.
  if (!c->fetch) return;  // Closed by a request Resume took.
  c->timer.expires_after(std::min(options_.subscription_poll, left));
  c->timer.async_wait([self = shared_from_this(), c](const boost::system::error_code& ec) {
    if (!ec) self->PollFetch(c);
  });
}

void Session::ResumeFetches() {
  for (auto& [id, c] : std::map(consumers_)) {
    if (c->wants_page) PollFetch(c);
  }
}

void Session::CallConsumer(uint64_t id, uint64_t consumer,
                           std::function<std::string(SubscriptionConsumer&)> call) {
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) {
    Send(EncodeError(id,
                     Status::NotFound("this session has no consumer " + std::to_string(consumer))),
         true);
    return;
  }
  auto executor =
      net::asio::prefer(socket_.get_executor(), net::asio::execution::outstanding_work.tracked);
  dispatcher_.RunBlocking([self = shared_from_this(), c = it->second->consumer,
                           call = std::move(call), executor]() mutable {
    std::string frame = call(*c);
    c.reset();  // Not on the executor: see DestroyOnPool.
    net::asio::dispatch(executor, [self = std::move(self), frame = std::move(frame)]() mutable {
      self->Send(std::move(frame), true);
    });
  });
}

void Session::CloseConsumer(uint64_t consumer, std::optional<uint64_t> answer) {
  auto it = consumers_.find(consumer);
  if (it == consumers_.end()) {
    if (answer) Send(EncodeDone(*answer), true);
    return;
  }
  std::shared_ptr<Consumer> c = std::move(it->second);
  consumers_.erase(it);
  registry_.ConsumerClosed();
  c->timer.cancel();
  if (c->fetch) {
    Send(EncodeError(c->fetch->request_id,
                     Status::Aborted("consumer " + std::to_string(c->id) + " was closed")),
         true);
    c->fetch.reset();
  }
  if (answer) {
    auto executor =
        net::asio::prefer(socket_.get_executor(), net::asio::execution::outstanding_work.tracked);
    c->released->Then([self = shared_from_this(), id = *answer, executor]() mutable {
      net::asio::dispatch(executor,
                          [self = std::move(self), id]() { self->Send(EncodeDone(id), true); });
    });
  }
  DestroyOnPool(dispatcher_, std::move(c->consumer));
}

void Session::CloseConsumers() {
  while (!consumers_.empty()) CloseConsumer(consumers_.begin()->first);
}

}  // namespace evlog::server
