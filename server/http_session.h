// HttpSession: one HTTP/1.1 client connection of evlogd's HTTP listener.
//
// Requests are taken one at a time (read, handle, write, read again), so a
// session holds at most one request body (`max_body_bytes`) and one
// response. A body over the limit gets 413, headers over theirs 431, a
// request Beast cannot parse 400; each then closes the session. A session
// whose request line and headers have not all arrived `header_timeout`
// after the request began (the accept, or its first byte on a kept-alive
// session) closes, however slowly bytes trickle in; one that sends nothing
// for `idle_timeout` between requests, whose body takes longer than that,
// or that does not take a response within `write_timeout`, closes. Every
// request passes HttpGuard (Host, Origin, CORS preflight) as soon as its
// headers are in, before its body is read and before authentication; the
// bearer token is checked next, also before the body: a request without it
// gets 401 and, when a body was to follow, the session closes unread.
//
// GET /subscribe (and GET /subscriptions/{name}/events, whose SseStart
// polls a hosted subscription's consumer instead of a feed) turns the
// session into a server-sent event stream (http_session_sse.cc): the feed
// is polled on the read threads only when
// no write is in flight, so a slow reader pauses its feed and the session
// holds at most one batch (HttpOptions::sse_batch_*) — never unbounded
// memory. A comment line (": keepalive") goes out when nothing else has
// for `sse_heartbeat`, which also finds clients that went away.
//
// A fetch that waits for events (HttpLongPoll; http_session_poll.cc) is
// retried on a timer, every `fetch_poll`, on the read threads: no thread is
// held while it waits, and the session stays in kHandling (a drain makes
// its next try the last one, answered at once).
//
// Responses count against the server-wide budget of queued bytes
// (ServerOptions::max_queued_bytes, shared with the binary protocol's
// sessions; SessionRegistry): a read is handed to the handler, and an event
// stream polls its feed, only once a page (the most its answer should take:
// HttpHandler::AnswerPage, or sse_batch_bytes plus 64 KiB) fits in the
// budget's room, or nothing at all is queued; meanwhile the
// session reads nothing more (backpressure). Once built, the answer counts
// at its real size until written. So HTTP sessions hold at most the budget
// between them, but for answers that JSON escaping made larger than their
// page.
//
// Drain(): a session waiting for a request closes; one waiting for room
// answers 503; one handling a request
// answers it with "Connection: close" and closes; an event stream ends. A
// request read while draining gets 503.
//
// Thread-safety: every member runs on the session's executor (the server's
// io_context thread). Replies arrive from other threads and are posted back.

#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http_guard.h"
#include "http_handler.h"
#include "http_net.h"
#include "session_registry.h"

namespace evlog::server {

class HttpListener;

struct HttpOptions {
  // Where to listen (evlogd: --http).
  // Default: 127.0.0.1:7412
  net::tcp::endpoint endpoint{net::asio::ip::make_address_v4("127.0.0.1"), 7412};
  // Most HTTP sessions at once (event streams included); one more gets 503.
  // Default: 256
  size_t max_sessions = 256;
  // Largest request body; a larger one gets 413 (evlogd: --http-max-body-bytes).
  // Default: 1 MiB, the store's default Options::max_append_bytes
  size_t max_body_bytes = 1 << 20;
  // Largest request line and headers together; larger gets 431.
  // Default: 16 KiB
  size_t max_header_bytes = 16 << 10;
  // A session that sends nothing this long between requests closes; a
  // request body must arrive within it, counted from the end of the headers.
  // Default: 300 s
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(300);
  // A request line and headers must arrive within this, counted from the
  // connection's accept (first request) or the next request's first byte;
  // bytes that trickle in do not extend it. Then the session closes
  // (evlogd: --http-header-timeout). Must be more than zero.
  // Default: 10 s
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  // Most HTTP sessions open at once from one client IP address; one more is
  // answered 503 and closed (evlogd: --http-max-connections-per-ip).
  // Default: 32
  size_t max_sessions_per_ip = 32;
  // Host header values accepted besides the listen address's own
  // (HttpGuard): "host" (any port) or "host:port" (evlogd:
  // --http-allowed-hosts).
  // Default: none
  std::vector<std::string> allowed_hosts;
  // Origins ("http://app.example:8080") allowed to write and to make CORS
  // requests besides same-origin ones (evlogd: --http-allowed-origins).
  // Default: none
  std::vector<std::string> allowed_origins;
  // A response (or event stream write) the client does not take this long
  // closes the session. Zero: never.
  // Default: 30 s
  std::chrono::milliseconds write_timeout = std::chrono::seconds(30);
  // An event stream with nothing to send writes ": keepalive" this often.
  // Default: 15 s
  std::chrono::milliseconds sse_heartbeat = std::chrono::seconds(15);
  // How often a caught-up event stream looks for new commits.
  // Default: 10 ms
  std::chrono::milliseconds sse_poll = std::chrono::milliseconds(10);
  // Most events, and bytes of event data and metadata, an event stream
  // takes from its feed per write (at least one event however large).
  // Default: 256 events, 1 MiB
  size_t sse_batch_events = 256;
  size_t sse_batch_bytes = 1 << 20;
  // How often a waiting fetch (POST .../consumers/{id}/fetch?wait_ms=) looks
  // for events again.
  // Default: 20 ms
  std::chrono::milliseconds fetch_poll = std::chrono::milliseconds(20);
  // The hosted subscriptions' HTTP consumers (HttpConsumers).
  HttpConsumerOptions consumers;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `handler`, `dispatcher` and `listener` must outlive the session's last
  // handler.
  // `guard` must outlive it too.
  // `budget` must outlive it too.
  HttpSession(net::tcp::socket socket, HttpHandler& handler, Dispatcher& dispatcher,
              HttpListener& listener, const HttpOptions& options, const HttpGuard& guard,
              SessionRegistry& budget);
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Starts reading requests. The listener holds the session until it closes.
  void Start();
  // See the head comment.
  void Drain();
  // Closes at once.
  void Close();

 private:
  // Starts the write deadline (options_.write_timeout) for a write to come.
  void ArmWriteDeadline();
  enum class State { kReading, kHandling, kWriting, kStreaming };

  void Read();
  // Waits (up to idle_timeout) for the first byte of the next request.
  void AwaitRequest();
  // Reads the request line and headers, within header_timeout.
  // A read's completion handler: keeps the session alive and calls `on`.
  auto Then(void (HttpSession::*on)(const boost::system::error_code&));
  void ReadHeader();
  void OnHeader(const boost::system::error_code& ec);
  void ReadBody();
  void OnRead(const boost::system::error_code& ec);
  // Answers a request Beast could not read (413, 431, 400), or closes.
  void OnReadError(const boost::system::error_code& ec);
  // Hands the request read (request_) to the handler, once a read's page
  // is reserved.
  void TakeRequest();
  void OnAnswer(HttpAnswer answer);
  // Writes `response`; then reads the next request, or closes.
  void Respond(HttpResponse response);
  void OnWritten(const boost::system::error_code& ec, bool keep_alive);
  // Sends FIN and closes (after a short wait for the client's FIN).
  void Shutdown();

  // The server-wide budget. Reserves `page` more bytes if they fit (or
  // nothing is queued at all); false, reserving nothing, if not.
  bool TryReserve(size_t page);
  // What this session counts against the budget becomes `bytes`.
  void Hold(size_t bytes);
  // Runs `then` once the budget has freed bytes (awaiting_room_ meanwhile).
  void AwaitRoom(void (HttpSession::*then)());

  // A waiting fetch (http_session_poll.cc).
  void StartLongPoll(HttpLongPoll poll);
  void ArmLongPoll();
  void LongPollAttempt();
  void OnLongPolled(std::optional<HttpResponse> response);

  // Event stream (http_session_sse.cc).
  void StartStream(SseStart start);
  void Pump();
  void OnPolled(const Status& status, std::string text);
  void StreamWrite(std::string text);
  void OnStreamWritten(const boost::system::error_code& ec);

  net::beast::tcp_stream stream_;
  HttpHandler& handler_;
  Dispatcher& dispatcher_;
  HttpListener& listener_;
  const HttpOptions options_;
  const HttpGuard& guard_;
  net::beast::flat_buffer buffer_;
  std::optional<net::http::request_parser<net::http::string_body>> parser_;
  std::optional<HttpResponse> response_;
  // A request read and not yet handed to the handler (waiting for room).
  std::optional<HttpRequest> request_;
  SessionRegistry& budget_;
  // Bytes this session counts against the budget (a page, or what it writes).
  size_t held_ = 0;
  bool awaiting_room_ = false;
  State state_ = State::kReading;
  bool keep_alive_ = true;
  bool first_request_ = true;
  // The request's Origin when HttpGuard lets it see responses (CORS).
  std::string cors_origin_;
  bool draining_ = false;
  bool shutting_down_ = false;
  bool closed_ = false;
  std::array<char, 1024> discard_;

  // Event stream state.
  std::unique_ptr<ChangeFeed> feed_;
  std::function<Status(std::string* text)> stream_poll_;  // without feed_
  std::string stream_out_;
  bool polling_ = false;
  bool stream_writing_ = false;
  bool stream_ending_ = false;
  std::chrono::steady_clock::time_point last_write_;
  net::asio::steady_timer poll_timer_;

  // Waiting fetch state; `long_poll_` is set while one waits.
  std::shared_ptr<std::function<std::optional<HttpResponse>(bool last)>> long_poll_;
  std::chrono::steady_clock::time_point long_poll_deadline_;
};

}  // namespace evlog::server
