// HttpHandler: evlogd's HTTP/JSON routes. Turns one parsed request into an
// engine call and its result into a response; it never sees a socket (the
// HttpSession reads and writes, and decides where a reply runs).
//
//   POST /streams/{stream}        append one event (object) or several (array)
//   GET  /streams/{stream}        read a stream (?from=&count=&direction=)
//   GET  /streams                 list streams (?category=&after=&count=)
//   GET  /all                     read the global log (?from=&count=&category=&type=)
//   GET  /subscribe               server-sent events (?from=&category=&type=&prefix=)
//   GET  /views/{name}/{key}      one key of a view
//   GET  /stats                   the store's totals (http_operator.cc)
//   POST /subscriptions/{name}/replay-parked   replay parked events (same)
//   GET /subscriptions, PUT|DELETE /subscriptions/{name}, the pull
//   consumers under /subscriptions/{name}/consumers and the event stream
//   GET /subscriptions/{name}/events: hosted subscriptions (http_hosted.cc,
//   http_consumers.h)
//   GET  /ui/...                  the web console (http_ui.h)
//
// docs/http.md is the reference: bodies, headers, codes, limits. To add a
// route (e.g. GET /metrics), add it to Route and Match in http_handler.cc
// and a case in Handle.
//
// Thread-safety: Handle may be called from any thread. Replies run on the
// store's writer thread (appends) or wherever the Dispatcher runs reads:
// keep them short (the session posts them back to its own executor).

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <variant>

#include "dispatcher.h"
#include "evlog/change_feed.h"
#include "http_access_tokens.h"
#include "http_consumers.h"
#include "http_response.h"
#include "http_target.h"
#include "prometheus.h"

namespace evlog::server {

// The answer to GET /subscribe (an opened feed) or GET
// /subscriptions/{name}/events (`poll` and `head`, no feed): what the
// session streams as server-sent events.
struct SseStart {
  std::unique_ptr<ChangeFeed> feed;
  // Without a feed: called where reads run, one call at a time, whenever the
  // session may write a batch (the previous one has been taken by the
  // socket); appends the batch's text to *text, nothing when there is none
  // yet. An error ends the stream after that text. Destroyed with the
  // session.
  std::function<Status(std::string* text)> poll;
  // Without a feed: written first, after the headers.
  std::string head;
};

// The answer to a fetch that found no event and may wait for some (a long
// poll): the session calls `attempt` where reads run, every poll interval,
// holding no thread in between, until it returns a response. `last` is
// true once `deadline` has passed (or the server drains): the attempt must
// answer then.
struct HttpLongPoll {
  std::function<std::optional<HttpResponse>(bool last)> attempt;
  std::chrono::steady_clock::time_point deadline;
};

using HttpAnswer = std::variant<HttpResponse, SseStart, HttpLongPoll>;

class HttpHandler {
 public:
  // Uses the dispatcher's store, token, read limits and read threads.
  // `dispatcher` must outlive the handler and every reply it has yet to make.
  // A /subscribe feed hands out at most `sse_batch_events` events and
  // `sse_batch_bytes` bytes (one event however large) per batch.
  // `daemon_gauges`, when set, adds evlogd's own gauges to /metrics; it may
  // be called from any thread. `consumers` bounds the hosted
  // subscriptions' HTTP consumers; a fetch answers at most
  // `sse_batch_bytes` of events too (one event however large).
  HttpHandler(Dispatcher& dispatcher, size_t sse_batch_events, size_t sse_batch_bytes,
              std::function<DaemonGauges()> daemon_gauges = nullptr,
              HttpConsumerOptions consumers = {})
      : dispatcher_(dispatcher),
        sse_batch_events_(sse_batch_events),
        sse_batch_bytes_(sse_batch_bytes),
        daemon_gauges_(std::move(daemon_gauges)),
        consumers_(dispatcher.store(), consumers) {}

  using Reply = std::function<void(HttpAnswer answer)>;

  // Handles `request`; calls `reply` exactly once (see the thread-safety
  // note above). Requests without the right Bearer token (when the daemon
  // has one) get 401 before anything else is looked at.
  void Handle(HttpRequest request, Reply reply);

  // Whether `request` may be served: always when the daemon has no token;
  // else for a GET of the web console's files (http_ui.h); else when its
  // Authorization header carries the token (compared in
  // constant time), or, for a GET, when its `?access_token=` is one that
  // POST /token issued and has not expired (AccessTokens).
  bool Authorized(const HttpRequest& request) const;

  // The query parameter that carries an access token.
  static constexpr std::string_view kAccessTokenParam = "access_token";

  // The most bytes the answer to `request` may take when it reads events or
  // stream names (GET /streams/{stream}, /all, /streams, a consumer's
  // fetch): the page a session reserves against the server-wide budget
  // before handing it over.
  // 0 for any other request, whose answer is small.
  size_t AnswerPage(const HttpRequest& request) const;

  // The 401 (with WWW-Authenticate) for a request that is not Authorized.
  static HttpResponse Unauthorized();

 private:
  // Whether `authorization` (a header value) is "Bearer <the daemon's token>".
  bool BearerMatches(std::string_view authorization) const;
  // POST /streams/{stream} and POST /append (http_append.cc).
  void Append(const std::string& stream, const HttpTarget& target, HttpRequest request,
              Reply reply);
  void AppendStreams(const HttpTarget& target, HttpRequest request, Reply reply);
  // Whether a deduplicated (or partly committed) append under Idempotency-Key
  // `key` retried the same request: sets `reused` to why not when the
  // committed events are not the ones `body` holds. An error only if they
  // cannot be read.
  Status CheckIdempotentRetry(const std::string& key, std::string_view body,
                              const Result<AppendResult>& result, std::string* reused);
  static HttpResponse AppendAnswer(const AppendResult& result);
  HttpResponse ReadStream(const std::string& stream, const HttpTarget& target);
  HttpResponse ReadAll(const HttpTarget& target);
  // GET /query (?query=JSON, or one item from ?type= and ?tag=) and POST
  // /query (the query JSON is the body); ?from=, ?count=, ?direction=.
  HttpResponse Query(const HttpTarget& target, std::optional<std::string_view> body);
  HttpResponse ListStreams(const HttpTarget& target);
  HttpResponse ListViews(const HttpTarget& target);
  HttpResponse ViewGet(const std::string& view, const std::string& key);
  // The store's metrics in the Prometheus text format (server/prometheus.h).
  HttpResponse Metrics(const HttpTarget& target);
  HttpAnswer Subscribe(const HttpTarget& target, std::string_view last_event_id);
  // GET /stats and POST /subscriptions/{name}/replay-parked (http_operator.cc).
  HttpResponse Stats(const HttpTarget& target);
  HttpResponse ReplayParked(const std::string& subscription, const HttpTarget& target);

  // Hosted subscriptions (http_hosted.cc): the routes under /subscriptions
  // but replay-parked. Matches the path and checks the method, then runs
  // the call where reads run.
  void Hosted(HttpTarget target, HttpRequest request, Reply reply);
  HttpResponse ListHosted(const HttpTarget& target);
  HttpResponse CreateHosted(const std::string& name, const HttpTarget& target,
                            std::string_view body);
  HttpResponse DeleteHosted(const std::string& name, const HttpTarget& target);
  HttpResponse OpenConsumer(const std::string& name, const HttpTarget& target);
  HttpResponse CloseConsumer(const std::string& name, const std::string& id,
                             const HttpTarget& target);
  HttpAnswer Fetch(const std::string& name, const std::string& id, const HttpTarget& target);
  // GET /subscriptions/{name}/events: a consumer of its own, streamed.
  HttpAnswer HostedEvents(const std::string& name, const HttpTarget& target);
  // Takes up to `max` events (and about sse_batch_bytes_) for the consumer
  // of `lease`: each event's JSON (with attempt and replayed) and position.
  // An error only when it took none.
  Status TakeBatch(HttpConsumers::Lease& lease, size_t max,
                   std::vector<std::pair<Position, std::string>>* out);
  // One try of a fetch of up to `max` events: nullopt when it found none
  // and `last` is false.
  std::optional<HttpResponse> FetchAttempt(const std::string& name, const std::string& id,
                                           size_t max, bool last);
  HttpResponse Ack(const std::string& name, const std::string& id, const HttpTarget& target,
                   std::string_view body);
  HttpResponse Nack(const std::string& name, const std::string& id, const HttpTarget& target,
                    std::string_view body);

  Dispatcher& dispatcher_;
  const size_t sse_batch_events_;
  const size_t sse_batch_bytes_;
  const std::function<DaemonGauges()> daemon_gauges_;
  AccessTokens access_tokens_;
  HttpConsumers consumers_;
};

}  // namespace evlog::server
