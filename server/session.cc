// Invariant: in_flight_ counts requests taken from the parser whose response
// is not yet written; reading resumes only from Process(), which checks the
// limits first, so at most one read is ever outstanding. held() (queued and
// reserved bytes) is what this session has added to the registry's total.

#include "session.h"

#include <algorithm>
#include <vector>

#include "session_pages.h"
#include "session_registry.h"

namespace evlog::server {

namespace {

// Shuts `socket` down in direction `what`, ignoring errors: the peer may
// already be gone.
void ShutdownQuietly(net::tcp::socket& socket, net::tcp::socket::shutdown_type what) {
  boost::system::error_code ignored;
  socket.shutdown(what, ignored);
}
// Most frames gathered into one socket write.
constexpr size_t kMaxFramesPerWrite = 64;

// Requests whose answer may be large (events, rows, lists, values): each
// reserves a page. ViewWait and Backup answer with a few bytes, however
// long they take.
bool Paged(const Request& request) {
  return !std::holds_alternative<AppendRequest>(request.body) &&
         !std::holds_alternative<ViewWaitRequest>(request.body) &&
         !std::holds_alternative<BackupRequest>(request.body);
}
}  // namespace

struct Session::Subscription {
  Subscription(uint64_t i, std::unique_ptr<ChangeFeed> f, uint64_t c, net::tcp::socket& socket)
      : id(i), feed(std::move(f)), credits(c), timer(socket.get_executor()) {}
  const uint64_t id;
  // Used by one poll at a time (`polling`), on the read pool.
  std::unique_ptr<ChangeFeed> feed;
  uint64_t credits;
  bool polling = false;
  bool ended = false;
  // Waits for room to reserve its next push's page (Resume pumps it).
  bool wants_page = false;
  net::asio::steady_timer timer;
};

void Session::Subscribe(uint64_t id, SubscribeRequest request) {
  if (subscriptions_.size() >= options_.max_subscriptions) {
    Send(EncodeError(id, Status::Busy("this session has " + std::to_string(subscriptions_.size()) +
                                      " subscriptions open, the most it may have "
                                      "(--max-subscriptions-per-session); unsubscribe one first")),
         true);
    return;
  }
  if (subscriptions_.contains(id)) {
    Send(EncodeError(
             id, Status::InvalidArgument("subscription id " + std::to_string(id) + " is in use")),
         true);
    return;
  }
  request.options.max_batch_events = options_.max_push_events;
  // A push fits its page (min_page_bytes): a batch of events, or a single
  // event however large (the page is sized for the largest).
  const size_t names = options_.max_push_events * kEventOverheadBytes;
  const size_t message = MessageBytes(options_.min_page_bytes);
  request.options.max_batch_bytes = std::min(request.options.max_batch_bytes,
                                             message > 2 * names ? message - names : message / 2);
  Result<std::unique_ptr<ChangeFeed>> feed = dispatcher_.store().OpenFeed(request.options);
  if (!feed.ok()) {
    Send(EncodeError(id, feed.status()), true);
    return;
  }
  auto sub = std::make_shared<Subscription>(id, std::move(feed).value(), request.credits, socket_);
  Send(EncodeSubscribed(id, sub->feed->position()), true);
  subscriptions_.emplace(id, sub);
  Pump(sub);
}

void Session::Grant(uint64_t id, uint64_t credits) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;  // Ended already: credits are moot.
  Subscription& sub = *it->second;
  sub.credits = credits > UINT64_MAX - sub.credits ? UINT64_MAX : sub.credits + credits;
  Pump(it->second);
}

void Session::Pump(const std::shared_ptr<Subscription>& sub) {
  if (closed_ || stop_reading_ || sub->ended || sub->polling || sub->credits == 0) return;
  // The push's page is reserved before the feed is read; without room, a
  // completion of this session's (OnWrite, Resume) pumps again.
  const size_t page = QueueFull() ? 0 : ReservePage(options_.min_page_bytes);
  sub->wants_page = page == 0;
  if (page == 0) return;
  sub->polling = true;
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(sub->credits, options_.max_push_events));
  auto executor =
      net::asio::prefer(socket_.get_executor(), net::asio::execution::outstanding_work.tracked);
  dispatcher_.RunBlocking([self = shared_from_this(), sub, want, page, executor] {
    sub->feed->set_max_batch_events(want);
    FeedView batch;
    const Status s = sub->feed->NextView(std::chrono::milliseconds(0), &batch);
    std::string frame;
    if (!s.ok()) {
      frame = EncodeError(sub->id, s);
    } else if (!batch.events.empty()) {
      frame = EncodeSubscriptionEvents(sub->id, batch);
    }
    const size_t events = batch.events.size();
    net::asio::dispatch(executor, [self, sub, s, events, page, frame = std::move(frame)]() mutable {
      self->OnPolled(sub, s, events, std::move(frame), page);
    });
  });
}

void Session::OnPolled(const std::shared_ptr<Subscription>& sub, const Status& status,
                       size_t events, std::string frame, size_t page) {
  sub->polling = false;
  if (closed_) return;  // Close() gave back what the session held.
  ReleasePage(page);
  if (sub->ended) {
    Resume();
    return;
  }
  if (!status.ok()) {
    Send(std::move(frame), false);
    EndSubscription(sub->id);
    Resume();
    return;
  }
  if (events > 0) {
    sub->credits -= events;
    Send(std::move(frame), false);
    Pump(sub);
    return;
  }
  // Caught up: look again after the poll interval (a Credit pumps at once).
  Resume();  // The page given back may let others go on.
  sub->timer.expires_after(options_.subscription_poll);
  sub->timer.async_wait([self = shared_from_this(), sub](const boost::system::error_code& ec) {
    if (!ec) self->Pump(sub);
  });
}

void Session::EndSubscription(uint64_t id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  it->second->ended = true;
  it->second->timer.cancel();
  subscriptions_.erase(it);
}

void Session::EndSubscriptions() {
  for (auto& [id, sub] : subscriptions_) {
    sub->ended = true;
    sub->timer.cancel();
  }
  subscriptions_.clear();
}

Session::Session(net::tcp::socket socket, Dispatcher& dispatcher, SessionRegistry& registry,
                 const SessionOptions& options)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      write_timer_(socket_.get_executor()),
      dispatcher_(dispatcher),
      registry_(registry),
      options_(options),
      parser_(options.max_frame_bytes) {}

void Session::Start() {
  boost::system::error_code ignored;
  socket_.set_option(net::tcp::no_delay(true), ignored);
  started_ = last_activity_ = std::chrono::steady_clock::now();
  ArmIdleTimer(started_ + std::min(options_.idle_timeout, options_.hello_timeout));
  Process();
}

void Session::Refuse(const ProtocolError& error) {
  stop_reading_ = true;
  ending_ = Ending::kAfterFlush;
  Send(EncodeProtocolError(error), false);
}

void Session::Drain() {
  if (closed_) return;
  stop_reading_ = true;
  EndSubscriptions();
  CloseConsumers();
  if (ending_ == Ending::kNone) ending_ = Ending::kAfterInFlight;
  MaybeClose();
}

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  ShutdownQuietly(socket_, net::tcp::socket::shutdown_both);
  boost::system::error_code ignored;
  socket_.close(ignored);
  idle_timer_.cancel();
  write_timer_.cancel();
  EndSubscriptions();
  CloseConsumers();
  registry_.SubQueued(held());
  queued_bytes_ = 0;
  reserved_bytes_ = 0;  // Answers still being built are dropped when done.
  waiting_read_.reset();
  write_queue_.clear();
  registry_.Remove(shared_from_this());
}

void Session::Read() {
  reading_ = true;
  socket_.async_read_some(net::asio::buffer(read_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      size_t n) { self->OnRead(ec, n); });
}

void Session::OnRead(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (lingering_) {
    if (ec) {
      Close();
    } else {
      Read();  // Discard: the session takes no more requests.
    }
    return;
  }
  if (ec) {
    if (ec == net::asio::error::eof) {
      // The client is done sending; answer what it asked, then close.
      stop_reading_ = true;
      EndSubscriptions();
      CloseConsumers();
      if (ending_ == Ending::kNone) ending_ = Ending::kAfterInFlight;
      MaybeClose();
    } else {
      Close();
    }
    return;
  }
  last_activity_ = std::chrono::steady_clock::now();
  if (stop_reading_) return;
  parser_.Feed(std::span<const uint8_t>(read_buffer_.data(), n));
  Process();
}

void Session::Process() {
  // A read taken before the session stopped reading is answered still.
  if (!closed_ && waiting_read_.has_value()) {
    if (QueueFull() || ReadsFull() || !TakeRead(*waiting_read_)) return;
    waiting_read_.reset();
  }
  while (!stop_reading_ && !closed_ && !waiting_read_.has_value()) {
    if (in_flight_ >= options_.max_in_flight || QueueFull() || ReadsFull()) {
      return;  // Paused: OnWrite resumes once responses drain.
    }
    switch (parser_.Parse()) {
      case FrameParser::Next::kFrame:
        HandleFrame(parser_.frame());
        break;
      case FrameParser::Next::kNeedMore:
        if (!reading_) Read();
        return;
      case FrameParser::Next::kEmptyFrame:
        Refuse({ProtocolCode::kMalformedFrame, "frame length is 0", 0});
        return;
      case FrameParser::Next::kFrameTooLarge:
        Refuse({ProtocolCode::kFrameTooLarge,
                "frame length " + std::to_string(parser_.claimed_length()) +
                    " is above the limit of " + std::to_string(options_.max_frame_bytes) + " bytes",
                0});
        return;
    }
  }
}

void Session::HandleFrame(std::span<const uint8_t> frame) {
  std::variant<Request, ProtocolError> decoded = DecodeRequest(frame);
  if (auto* error = std::get_if<ProtocolError>(&decoded)) {
    Refuse(*error);
    return;
  }
  Request& request = std::get<Request>(decoded);
  if (!authenticated_) {
    auto* hello = std::get_if<HelloRequest>(&request.body);
    if (hello == nullptr) {
      Refuse({ProtocolCode::kUnauthenticated, "the first request of a session must be Hello",
              request.request_id});
      return;
    }
    std::variant<std::string, ProtocolError> answer = dispatcher_.Hello(request.request_id, *hello);
    if (auto* error = std::get_if<ProtocolError>(&answer)) {
      Refuse(*error);
      return;
    }
    authenticated_ = true;
    ++in_flight_;
    Send(std::move(std::get<std::string>(answer)), true);
    return;
  }
  if (std::holds_alternative<HelloRequest>(request.body)) {
    Refuse({ProtocolCode::kUnknownRequest, "the session already said Hello", request.request_id});
    return;
  }
  if (auto* subscribe = std::get_if<SubscribeRequest>(&request.body)) {
    ++in_flight_;
    Subscribe(request.request_id, std::move(*subscribe));
    return;
  }
  if (auto* credit = std::get_if<CreditRequest>(&request.body)) {
    Grant(credit->subscription, credit->credits);  // Never answered.
    return;
  }
  if (auto* unsubscribe = std::get_if<UnsubscribeRequest>(&request.body)) {
    ++in_flight_;
    EndSubscription(unsubscribe->subscription);
    Send(EncodeDone(request.request_id), true);
    return;
  }
  if (HandleConsumerRequest(request)) return;
  ++in_flight_;
  if (Paged(request)) {
    // Without a page now, it waits, and so does the socket (Process).
    if (!TakeRead(request)) waiting_read_ = std::move(request);
    return;
  }
  Dispatch(std::move(request), 0);
}

bool Session::TakeRead(Request& request) {
  const size_t page = ReservePage(options_.max_frame_bytes);
  if (page == 0) return false;
  Dispatch(std::move(request), page);
  return true;
}

void Session::Dispatch(Request request, size_t page) {
  const bool read = !std::holds_alternative<AppendRequest>(request.body);
  if (read) ++reads_in_flight_;
  // Appends reply from the writer thread: hop back to this session's
  // executor, keeping the io_context alive (tracked work) until the reply has
  // run, so a drain never closes the store under a pending append.
  // The reply hands `self` on, and is declared after `executor` so that it
  // is released first when the writer destroys the reply: the writer must
  // never hold the last reference to a session once the work is released,
  // when the io_context (whose timers the session owns) may already be gone
  // (ASan: Requests.AppendThenEveryReadSeesTheEvents).
  auto executor =
      net::asio::prefer(socket_.get_executor(), net::asio::execution::outstanding_work.tracked);
  dispatcher_.Handle(
      std::move(request),
      [executor, read, page, self = shared_from_this()](std::string response) mutable {
        net::asio::dispatch(executor, [read, page, self = std::move(self),
                                       response = std::move(response)]() mutable {
          // The answer's bytes are in the write queue now, in place of its
          // page; its write completion takes up reading again (OnWrite,
          // Process).
          if (read) --self->reads_in_flight_;
          if (self->closed_) return;
          self->ReleasePage(page);
          self->Send(std::move(response), true);
          // What the page held beyond the answer may let a waiting read or
          // push go on (the write may not complete soon).
          if (page > 0) self->Resume();
        });
      },
      page == 0 ? 0 : MessageBytes(page));
}

void Session::Send(std::string frame, bool answers_request) {
  if (closed_) return;
  queued_bytes_ += frame.size();
  registry_.AddQueued(frame.size());
  write_queue_.push_back(Outgoing{std::move(frame), answers_request});
  if (!writing_) Write();
}

void Session::Write() {
  writing_ = true;
  if (options_.write_timeout.count() > 0) {
    write_started_ = std::chrono::steady_clock::now();
    if (!write_timer_armed_) ArmWriteTimer(write_started_ + options_.write_timeout);
  }
  const size_t frames = std::min(write_queue_.size(), kMaxFramesPerWrite);
  std::vector<net::asio::const_buffer> buffers;
  buffers.reserve(frames);
  for (size_t i = 0; i < frames; ++i) buffers.push_back(net::asio::buffer(write_queue_[i].frame));
  net::asio::async_write(
      socket_, buffers,
      [self = shared_from_this(), frames](const boost::system::error_code& ec, size_t) {
        self->OnWrite(ec, frames);
      });
}

void Session::OnWrite(const boost::system::error_code& ec, size_t frames) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  for (size_t i = 0; i < frames; ++i) {
    queued_bytes_ -= write_queue_.front().frame.size();
    registry_.SubQueued(write_queue_.front().frame.size());
    if (write_queue_.front().answers_request) --in_flight_;
    write_queue_.pop_front();
  }
  last_activity_ = std::chrono::steady_clock::now();
  if (!write_queue_.empty()) Write();
  MaybeClose();
  Resume();
}

void Session::Resume() {
  Process();
  // Pushes and fetches waiting for a page go on.
  for (auto& [id, sub] : std::map(subscriptions_)) {
    if (sub->wants_page) Pump(sub);
  }
  ResumeFetches();
}

size_t Session::ReservePage(size_t most) {
  const size_t now = held();
  const size_t least = std::min(options_.min_page_bytes, most);
  const size_t own_room = now < options_.max_buffered_bytes ? options_.max_buffered_bytes - now : 0;
  const size_t room = std::min(own_room, registry_.room());
  size_t page = 0;
  if (room >= least) {
    page = std::min(room, most);
  } else if (now < options_.max_buffered_bytes_under_pressure && (now == 0 || own_room >= least)) {
    // Past the server's budget (or nearly): one page at a time, within the
    // share, so a session whose client reads goes on.
    page = least;
  } else {
    return 0;
  }
  reserved_bytes_ += page;
  registry_.AddQueued(page);
  return page;
}

void Session::ReleasePage(size_t bytes) {
  reserved_bytes_ -= bytes;
  registry_.SubQueued(bytes);
}

bool Session::ReadsFull() const {
  return reads_in_flight_ >= (registry_.over_budget() ? 1 : options_.max_reads_in_flight);
}

bool Session::QueueFull() const {
  if (held() >= options_.max_buffered_bytes) return true;
  return held() >= options_.max_buffered_bytes_under_pressure && registry_.over_budget();
}

void Session::ArmWriteTimer(std::chrono::steady_clock::time_point at) {
  write_timer_armed_ = true;
  write_timer_.expires_at(at);
  write_timer_.async_wait(
      [self = shared_from_this()](const boost::system::error_code& ec) { self->OnWriteTimer(ec); });
}

void Session::OnWriteTimer(const boost::system::error_code& ec) {
  write_timer_armed_ = false;
  if (ec || closed_ || !writing_) return;
  const auto deadline = write_started_ + options_.write_timeout;
  if (std::chrono::steady_clock::now() < deadline) {
    ArmWriteTimer(deadline);
    return;
  }
  registry_.CountSlowConsumer();
  Close();
}

void Session::MaybeClose() {
  if (closed_ || writing_ || !write_queue_.empty()) return;
  if (ending_ == Ending::kAfterFlush || (ending_ == Ending::kAfterInFlight && in_flight_ == 0)) {
    Linger();
  }
}

void Session::Linger() {
  if (lingering_) return;
  lingering_ = true;
  ShutdownQuietly(socket_, net::tcp::socket::shutdown_send);
  ArmIdleTimer(std::chrono::steady_clock::now() + options_.linger);
  if (!reading_) Read();
}

void Session::ArmIdleTimer(std::chrono::steady_clock::time_point at) {
  idle_timer_.expires_at(at);
  idle_timer_.async_wait(
      [self = shared_from_this()](const boost::system::error_code& ec) { self->OnIdleTimer(ec); });
}

void Session::OnIdleTimer(const boost::system::error_code& ec) {
  if (ec || closed_) return;
  if (lingering_) {
    Close();
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const auto deadline = authenticated_ ? last_activity_ + options_.idle_timeout
                                       : std::min(started_ + options_.hello_timeout,
                                                  last_activity_ + options_.idle_timeout);
  if (in_flight_ == 0 && now >= deadline) {
    Close();
    return;
  }
  ArmIdleTimer(std::max(deadline, now + std::chrono::milliseconds(100)));
}

}  // namespace evlog::server
