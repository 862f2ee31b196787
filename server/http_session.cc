// Invariant: at most one read and one write are outstanding, and never a
// read while a request is being handled: a session holds one request.

#include "http_session.h"

#include <strings.h>

#include "http_listener.h"

namespace evlog::server {

namespace http = net::http;
namespace beast = net::beast;

namespace {
// How long a closing session waits for the client's FIN after its own, so
// unread client bytes do not turn the close into a reset that could destroy
// the last response.
constexpr std::chrono::seconds kLinger{1};
// What a response counts besides its body.
constexpr size_t kHeadBytes = 1 << 10;
}  // namespace

HttpSession::HttpSession(net::tcp::socket socket, HttpHandler& handler, Dispatcher& dispatcher,
                         HttpListener& listener, const HttpOptions& options, const HttpGuard& guard,
                         SessionRegistry& budget)
    : stream_(std::move(socket)),
      handler_(handler),
      dispatcher_(dispatcher),
      listener_(listener),
      options_(options),
      guard_(guard),
      budget_(budget),
      poll_timer_(stream_.get_executor()) {}

void HttpSession::Start() {
  boost::system::error_code ignored;
  stream_.socket().set_option(net::tcp::no_delay(true), ignored);
  Read();
}

void HttpSession::Read() {
  state_ = State::kReading;
  cors_origin_.clear();
  parser_.emplace();
  parser_->body_limit(options_.max_body_bytes);
  parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
  // A new session's request began at the accept; a pipelined one has begun.
  if (std::exchange(first_request_, false) || buffer_.size() > 0) return ReadHeader();
  AwaitRequest();
}

void HttpSession::AwaitRequest() {
  stream_.expires_after(options_.idle_timeout);
  stream_.async_read_some(buffer_.prepare(512), [self = shared_from_this()](
                                                    const boost::system::error_code& ec, size_t n) {
    if (self->closed_) return;
    self->buffer_.commit(n);
    if (ec) return self->Close();  // The client left, or idle_timeout.
    self->ReadHeader();
  });
}

auto HttpSession::Then(void (HttpSession::*on)(const boost::system::error_code&)) {
  return [self = shared_from_this(), on](const boost::system::error_code& ec, size_t) {
    ((*self).*on)(ec);
  };
}

void HttpSession::ReadHeader() {
  // Once for the whole header: each read does not extend it (slowloris).
  stream_.expires_after(options_.header_timeout);
  http::async_read_header(stream_, buffer_, *parser_, Then(&HttpSession::OnHeader));
}

void HttpSession::OnHeader(const boost::system::error_code& ec) {
  if (closed_) return;
  if (ec) return OnReadError(ec);
  const HttpRequest& request = parser_->get();
  cors_origin_ = guard_.CorsOrigin(request);
  if (std::optional<HttpResponse> refusal = guard_.Admit(request)) {
    // The body, if any, is not read: the session cannot go on after it.
    keep_alive_ = request.keep_alive() && parser_->is_done();
    state_ = State::kHandling;
    return Respond(std::move(*refusal));
  }
  if (!handler_.Authorized(request)) {
    // Before the body: a client without the token must not make the server
    // wait for (idle_timeout) and buffer (max_body_bytes) a body it refuses.
    // A body still to come is not read, so the session closes after the 401.
    keep_alive_ = request.keep_alive() && parser_->is_done();
    state_ = State::kHandling;
    return Respond(HttpHandler::Unauthorized());
  }
  if (strcasecmp(std::string(request[http::field::expect]).c_str(), "100-continue") == 0 &&
      !parser_->is_done()) {
    // curl sends this for bodies over 1 KiB and waits a second for it.
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    ArmWriteDeadline();
    net::asio::async_write(stream_, net::asio::buffer(kContinue),
                           [self = shared_from_this()](const boost::system::error_code& e, size_t) {
                             if (self->closed_) return;
                             if (e) return self->Close();
                             self->ReadBody();
                           });
    return;
  }
  ReadBody();
}

void HttpSession::ReadBody() {
  stream_.expires_after(options_.idle_timeout);
  http::async_read(stream_, buffer_, *parser_, Then(&HttpSession::OnRead));
}

void HttpSession::OnReadError(const boost::system::error_code& ec) {
  if (ec == http::error::end_of_stream || draining_) return Close();
  keep_alive_ = false;
  if (ec == http::error::body_limit) {
    return Respond(HttpError(http::status::payload_too_large, "payload_too_large",
                             "the request body is over the limit of " +
                                 std::to_string(options_.max_body_bytes) + " bytes"));
  }
  if (ec == http::error::header_limit) {
    return Respond(HttpError(http::status::request_header_fields_too_large, "headers_too_large",
                             "the request line and headers are over the limit of " +
                                 std::to_string(options_.max_header_bytes) + " bytes"));
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return Respond(HttpError(http::status::bad_request, "bad_request",
                             "malformed HTTP request: " + ec.message()));
  }
  Close();  // Timeout, reset, or the drain cancelled the read.
}

void HttpSession::OnRead(const boost::system::error_code& ec) {
  if (closed_) return;
  if (ec) return OnReadError(ec);
  state_ = State::kHandling;
  HttpRequest request = parser_->release();
  parser_.reset();
  keep_alive_ = request.keep_alive();
  if (draining_) {
    return Respond(
        HttpError(http::status::service_unavailable, "draining", "the server is shutting down"));
  }
  stream_.expires_never();
  request_ = std::move(request);
  TakeRequest();
}

void HttpSession::TakeRequest() {
  // A read answers with up to a page of events or names: its page is
  // reserved first, and the session reads nothing more until it is.
  if (const size_t page = handler_.AnswerPage(*request_); page > 0 && !TryReserve(page)) {
    return AwaitRoom(&HttpSession::TakeRequest);
  }
  HttpRequest request = std::move(*request_);
  request_.reset();
  // Replies come from the writer or a read thread: hop back to this
  // session's executor, keeping the io_context alive (tracked work) until
  // the reply has run, so a drain never closes the store under an append.
  auto executor =
      net::asio::prefer(stream_.get_executor(), net::asio::execution::outstanding_work.tracked);
  // `self` is handed on, and released before `executor`, as in
  // Session::HandleFrame: the writer thread must not end the session's life.
  handler_.Handle(std::move(request),
                  [executor, self = shared_from_this()](HttpAnswer answer) mutable {
                    auto shared = std::make_shared<HttpAnswer>(std::move(answer));
                    net::asio::dispatch(executor, [self = std::move(self), shared] {
                      self->OnAnswer(std::move(*shared));
                    });
                  });
}

void HttpSession::ArmWriteDeadline() {
  if (options_.write_timeout.count() > 0) {
    stream_.expires_after(options_.write_timeout);
  } else {
    stream_.expires_never();
  }
}

void HttpSession::OnAnswer(HttpAnswer answer) {
  if (closed_) return;
  if (auto* start = std::get_if<SseStart>(&answer)) {
    if (draining_) {
      keep_alive_ = false;
      return Respond(
          HttpError(http::status::service_unavailable, "draining", "the server is shutting down"));
    }
    return StartStream(std::move(*start));
  }
  if (auto* poll = std::get_if<HttpLongPoll>(&answer)) return StartLongPoll(std::move(*poll));
  Respond(std::move(std::get<HttpResponse>(answer)));
}

void HttpSession::Respond(HttpResponse response) {
  state_ = State::kWriting;
  const bool keep_alive = keep_alive_ && !draining_;
  response.version(11);
  response.keep_alive(keep_alive);
  response.set(http::field::server, "evlogd");
  if (!cors_origin_.empty()) {
    response.set(http::field::access_control_allow_origin, cors_origin_);
    response.set(http::field::vary, "Origin");
  }
  response.prepare_payload();
  response_ = std::move(response);
  // The page, if any, gives way to the response's real size until written.
  Hold(response_->body().size() + kHeadBytes);
  ArmWriteDeadline();
  http::async_write(
      stream_, *response_,
      [self = shared_from_this(), keep_alive](const boost::system::error_code& ec, size_t) {
        self->OnWritten(ec, keep_alive);
      });
}

void HttpSession::OnWritten(const boost::system::error_code& ec, bool keep_alive) {
  response_.reset();
  Hold(0);
  if (closed_) return;
  if (ec) return Close();
  if (!keep_alive || draining_) return Shutdown();
  Read();
}

void HttpSession::Drain() {
  if (closed_) return;
  draining_ = true;
  switch (state_) {
    case State::kReading:
      Close();  // Between requests (or in one's headers): nothing owed.
      return;
    case State::kHandling:
      if (awaiting_room_) {
        awaiting_room_ = false;
        request_.reset();
        return Respond(HttpError(http::status::service_unavailable, "draining",
                                 "the server is shutting down"));
      }
      // A waiting fetch answers now (its last try).
      if (long_poll_ != nullptr && !polling_) {
        poll_timer_.cancel();
        LongPollAttempt();
      }
      return;  // Respond/OnWritten close after the answer.
    case State::kWriting:
      return;  // Respond/OnWritten close after the answer.
    case State::kStreaming:
      poll_timer_.cancel();
      if (!polling_ && !stream_writing_) Shutdown();
      return;
  }
}

void HttpSession::Shutdown() {
  if (closed_ || shutting_down_) return;
  shutting_down_ = true;
  boost::system::error_code ignored;
  stream_.socket().shutdown(net::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(kLinger);
  // Discard what the client still sends until its FIN (or the linger ends).
  struct Discard {
    std::shared_ptr<HttpSession> self;
    void operator()(const boost::system::error_code& ec, size_t) {
      if (ec || self->closed_) return self->Close();
      self->stream_.async_read_some(net::asio::buffer(self->discard_), std::move(*this));
    }
  };
  stream_.async_read_some(net::asio::buffer(discard_), Discard{shared_from_this()});
}

void HttpSession::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  stream_.socket().shutdown(net::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  poll_timer_.cancel();
  Hold(0);
  listener_.Remove(shared_from_this());
}

bool HttpSession::TryReserve(size_t page) {
  // With nothing queued anywhere, a page larger than the whole budget is
  // taken too, so a small budget cannot stall HTTP for good.
  if (budget_.room() < page && budget_.queued_bytes() > 0) return false;
  Hold(held_ + page);
  return true;
}

void HttpSession::Hold(size_t bytes) {
  if (closed_) bytes = 0;  // Close has given everything back.
  if (bytes > held_) budget_.AddQueued(bytes - held_);
  if (bytes < held_) budget_.SubQueued(held_ - bytes);
  held_ = bytes;
}

void HttpSession::AwaitRoom(void (HttpSession::*then)()) {
  awaiting_room_ = true;
  budget_.WaitForRoom([weak = weak_from_this(), executor = stream_.get_executor(), then] {
    net::asio::post(executor, [weak, then] {
      std::shared_ptr<HttpSession> self = weak.lock();
      if (self == nullptr || self->closed_ || !self->awaiting_room_) return;
      self->awaiting_room_ = false;
      ((*self).*then)();
    });
  });
}

}  // namespace evlog::server
