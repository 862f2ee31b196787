// Hosted subscriptions over HTTP (issue #17): define, list and delete them,
// and consume them through pull consumers (HttpConsumers), leases a
// stateless client opens, fetches from, acknowledges through and closes.
//
//   GET    /subscriptions                               list (as `evlog subscriptions`)
//   PUT    /subscriptions/{name}                        create (idempotent)
//   DELETE /subscriptions/{name}                        delete
//   POST   /subscriptions/{name}/consumers              open a consumer
//   DELETE /subscriptions/{name}/consumers/{id}         close it
//   POST   /subscriptions/{name}/consumers/{id}/fetch   take events (?max=&wait_ms=)
//   POST   /subscriptions/{name}/consumers/{id}/ack     {"positions":[..]}
//   POST   /subscriptions/{name}/consumers/{id}/nack    {"position":P,"reason":".."}
//   GET    /subscriptions/{name}/events                 a consumer as server-sent events (?ack=)
//
// Every call runs on a read thread and none waits there: a fetch that finds
// nothing and may wait answers with an HttpLongPoll, which the session
// retries on a timer (http_session.cc).

#include <algorithm>
#include <limits>

#include "http_handler.h"
#include "json/event_json.h"
#include "json/json_text.h"
#include "json/spellings.h"
#include "response_bytes.h"

namespace evlog::server {

namespace http = net::http;
using json::Json;

namespace {

enum class HostedRoute { kNone, kList, kOne, kEvents, kConsumers, kConsumer, kFetch, kAck, kNack };

struct HostedMatch {
  HostedRoute route = HostedRoute::kNone;
  std::string name;
  std::string id;
};

// `s` starts with "subscriptions".
HostedMatch MatchHosted(const std::vector<std::string>& s) {
  if (s.size() == 1) return {HostedRoute::kList};
  if (s.size() == 2) return {HostedRoute::kOne, s[1]};
  if (s.size() == 3 && s[2] == "events") return {HostedRoute::kEvents, s[1]};
  if (s[2] != "consumers") return {};
  if (s.size() == 3) return {HostedRoute::kConsumers, s[1]};
  if (s.size() == 4) return {HostedRoute::kConsumer, s[1], s[3]};
  if (s.size() != 5) return {};
  if (s[4] == "fetch") return {HostedRoute::kFetch, s[1], s[3]};
  if (s[4] == "ack") return {HostedRoute::kAck, s[1], s[3]};
  if (s[4] == "nack") return {HostedRoute::kNack, s[1], s[3]};
  return {};
}

// The methods a route takes, as an Allow header.
std::string_view Allowed(HostedRoute route) {
  switch (route) {
    case HostedRoute::kList:
    case HostedRoute::kEvents:
      return "GET";
    case HostedRoute::kOne:
      return "PUT, DELETE";
    case HostedRoute::kConsumer:
      return "DELETE";
    default:
      return "POST";
  }
}

// The most positions one ack takes.
constexpr size_t kMaxAckPositions = 10'000;
// The most events one fetch takes (?max=), and the default.
constexpr uint64_t kMaxFetchEvents = 1'000;
constexpr uint64_t kDefaultFetchEvents = 100;
// The longest a fetch waits for events (?wait_ms=).
constexpr uint64_t kMaxFetchWaitMs = 30'000;
// The longest nack reason kept.
constexpr size_t kMaxReasonBytes = 4'096;
// The most a spec's durations (ms) and max_in_flight may be.
constexpr uint64_t kMaxSpecMs = 86'400'000;
constexpr uint64_t kMaxInFlight = 100'000;
// What an event's fixed fields cost in a fetch's JSON (see http_handler.cc),
// with "attempt" and "replayed".
constexpr size_t kFetchEventBytes = 160 + 40;

HttpResponse Bad(const Status& s) { return HttpStatusError(s); }
HttpResponse BadJson(std::string_view message) {
  return HttpError(http::status::bad_request, "bad_json", message);
}
HttpResponse Invalid(std::string message) { return Bad(Status::InvalidArgument(message)); }

// `body` as a JSON object (a few levels deep at most, as every body here
// is) whose members are among `known`, each once; an empty body is `{}`.
// The 400 to answer otherwise.
std::optional<HttpResponse> ParseObject(std::string_view body,
                                        std::initializer_list<std::string_view> known, Json* out) {
  const size_t start = json::SkipSpace(body, 0);
  if (start == body.size()) {
    *out = Json::object();
    return std::nullopt;
  }
  if (Status s = json::Validate(body, 4); !s.ok()) {
    return BadJson("the body " + std::string(s.message()));
  }
  if (body[start] != '{') return BadJson("the body must be a JSON object");
  size_t at = start;
  const auto any = [](std::string_view, std::string_view, size_t) { return Status::OK(); };
  if (Status s = json::ForEachMember(body, &at, known, 4, any, json::WordedAs("the body"));
      !s.ok()) {
    return Bad(s);
  }
  *out = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  return std::nullopt;
}

// Member `key` of `j`, an unsigned integer up to `max`, into *out.
std::optional<HttpResponse> UnsignedMember(const Json& j, const char* key, uint64_t max,
                                           uint64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (!it->is_number_unsigned() || it->get<uint64_t>() > max) {
    return Invalid(std::string("\"") + key + "\" must be a whole number from 0 to " +
                   std::to_string(max));
  }
  *out = it->get<uint64_t>();
  return std::nullopt;
}

std::optional<HttpResponse> StringMember(const Json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (!it->is_string()) return Invalid(std::string("\"") + key + "\" must be a string");
  *out = it->get<std::string>();
  return std::nullopt;
}

// A PUT body: the subscription's definition.
std::optional<HttpResponse> SpecFromBody(std::string_view body, HostedSubscriptionSpec* spec) {
  Json j;
  if (auto bad = ParseObject(body,
                             {"category", "type", "prefix", "from", "max_attempts",
                              "ack_timeout_ms", "initial_backoff_ms", "max_backoff_ms",
                              "max_in_flight"},
                             &j)) {
    return bad;
  }
  if (auto bad = StringMember(j, "category", &spec->category)) return bad;
  if (auto bad = StringMember(j, "type", &spec->event_type)) return bad;
  if (auto bad = StringMember(j, "prefix", &spec->stream_prefix)) return bad;
  if (auto it = j.find("from"); it != j.end()) {
    // "oldest", "latest" or a position, as a number or in a string (the
    // CLI's --from and /subscribe's ?from=).
    if (it->is_number_unsigned()) {
      spec->start = FeedStart::At(Position(it->get<uint64_t>()));
    } else if (it->is_string()) {
      Result<FeedStart> start = json::ParseFeedStart(it->get<std::string>(), "\"from\"");
      if (!start.ok()) return Bad(start.status());
      spec->start = *start;
    } else {
      return Invalid("\"from\" must be oldest, latest or a position");
    }
  }
  uint64_t n = spec->max_attempts;
  if (auto bad = UnsignedMember(j, "max_attempts", std::numeric_limits<uint32_t>::max(), &n)) {
    return bad;
  }
  spec->max_attempts = static_cast<uint32_t>(n);
  n = spec->max_in_flight;
  if (auto bad = UnsignedMember(j, "max_in_flight", kMaxInFlight, &n)) return bad;
  spec->max_in_flight = static_cast<uint32_t>(n);
  for (auto [key, field] : {std::pair{"ack_timeout_ms", &spec->ack_timeout},
                            std::pair{"initial_backoff_ms", &spec->initial_backoff},
                            std::pair{"max_backoff_ms", &spec->max_backoff}}) {
    n = static_cast<uint64_t>(field->count());
    if (auto bad = UnsignedMember(j, key, kMaxSpecMs, &n)) return bad;
    *field = std::chrono::milliseconds(n);
  }
  return std::nullopt;
}

// ?name= as an unsigned integer from `lo` to `hi`; `fallback` when absent.
Result<uint64_t> RangedParam(const HttpTarget& target, const std::string& name, uint64_t lo,
                             uint64_t hi, uint64_t fallback) {
  std::optional<std::string_view> text = target.Get(name);
  if (!text) return fallback;
  Result<uint64_t> n = ParseUnsigned(*text, name);
  if (!n.ok()) return n.status();
  if (*n < lo || *n > hi) {
    return Status::InvalidArgument(name + " must be from " + std::to_string(lo) + " to " +
                                   std::to_string(hi));
  }
  return *n;
}

// The answer when HttpConsumers::Open fails.
HttpResponse OpenError(const Status& s) {
  if (s.IsBusy()) {
    return HttpError(http::status::service_unavailable, "too_many_consumers", s.message());
  }
  return Bad(s);
}

HttpResponse NoContent() { return HttpResponse{http::status::no_content, 11}; }

}  // namespace

void HttpHandler::Hosted(HttpTarget target, HttpRequest request, Reply reply) {
  HostedMatch m = MatchHosted(target.segments);
  if (m.route == HostedRoute::kNone) {
    return reply(HttpError(http::status::not_found, "not_found",
                           "no route for " + std::string(request.target())));
  }
  const std::string_view allowed = Allowed(m.route);
  const std::string method(request.method_string());
  bool ok = false;
  for (size_t at = 0; at < allowed.size();) {
    const size_t end = std::min(allowed.find(", ", at), allowed.size());
    ok = ok || allowed.substr(at, end - at) == method;
    at = end + 2;
  }
  if (!ok) {
    HttpResponse response =
        HttpError(http::status::method_not_allowed, "method_not_allowed",
                  method + " is not allowed on " + std::string(request.target()));
    response.set(http::field::allow, allowed);
    return reply(std::move(response));
  }
  const bool del = request.method() == http::verb::delete_;
  dispatcher_.RunBlocking([this, m = std::move(m), del, target = std::move(target),
                           request = std::move(request), reply = std::move(reply)]() mutable {
    switch (m.route) {
      case HostedRoute::kList:
        return reply(ListHosted(target));
      case HostedRoute::kOne:
        return reply(del ? DeleteHosted(m.name, target)
                         : CreateHosted(m.name, target, request.body()));
      case HostedRoute::kEvents:
        return reply(HostedEvents(m.name, target));
      case HostedRoute::kConsumers:
        return reply(OpenConsumer(m.name, target));
      case HostedRoute::kConsumer:
        return reply(CloseConsumer(m.name, m.id, target));
      case HostedRoute::kFetch:
        return reply(Fetch(m.name, m.id, target));
      case HostedRoute::kAck:
        return reply(Ack(m.name, m.id, target, request.body()));
      case HostedRoute::kNack:
        return reply(Nack(m.name, m.id, target, request.body()));
      case HostedRoute::kNone:
        break;
    }
    reply(HttpError(http::status::not_found, "not_found", "no route"));
  });
}

HttpResponse HttpHandler::ListHosted(const HttpTarget& target) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  Result<std::vector<SubscriptionInfo>> list = dispatcher_.store().ListSubscriptions();
  if (!list.ok()) return Bad(list.status());
  return HttpJsonList("subscriptions", *list, [](const SubscriptionInfo& info, json::ObjectText& row) {
    row.String("name", info.name)
        .Number("checkpoint", info.checkpoint.value())
        .Number("lag", info.lag)
        .Number("parked", info.parked);
  });
}

HttpResponse HttpHandler::CreateHosted(const std::string& name, const HttpTarget& target,
                                       std::string_view body) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  HostedSubscriptionSpec spec{.name = name};
  if (auto bad = SpecFromBody(body, &spec)) return std::move(*bad);
  Store& store = dispatcher_.store();
  // Creating it again with the same definition is a 200 (with another one
  // the engine refuses it).
  Result<bool> created = store.CreateSubscription(spec);
  if (!created.ok()) return Bad(created.status());
  const bool existed = !*created;
  Result<Position> checkpoint = store.GetCheckpoint(name);
  if (!checkpoint.ok()) return Bad(checkpoint.status());
  json::ObjectText j;
  j.String("subscription", name)
      .Bool("created", !existed)
      .Number("checkpoint", checkpoint->value());
  return HttpJson(existed ? http::status::ok : http::status::created, j.Finish());
}

HttpResponse HttpHandler::DeleteHosted(const std::string& name, const HttpTarget& target) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  // Its HTTP consumers go with it; consumers elsewhere (the binary protocol)
  // keep it (409).
  consumers_.CloseAll(name);
  if (Status s = dispatcher_.store().DeleteSubscription(name); !s.ok()) {
    if (s.IsBusy()) return HttpError(http::status::conflict, "busy", s.message());
    return Bad(s);
  }
  json::ObjectText j;
  j.String("subscription", name).Bool("deleted", true);
  return HttpJson(http::status::ok, j.Finish());
}

HttpResponse HttpHandler::OpenConsumer(const std::string& name, const HttpTarget& target) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  Result<std::string> id = consumers_.Open(name);
  if (!id.ok()) return OpenError(id.status());
  json::ObjectText j;
  j.String("subscription", name).String("consumer", *id);
  return HttpJson(http::status::created, j.Finish());
}

HttpResponse HttpHandler::CloseConsumer(const std::string& name, const std::string& id,
                                        const HttpTarget& target) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  if (Status s = consumers_.Close(name, id); !s.ok()) return Bad(s);
  return NoContent();
}

HttpAnswer HttpHandler::Fetch(const std::string& name, const std::string& id,
                              const HttpTarget& target) {
  if (auto bad = CheckParams(target, {"max", "wait_ms"})) return std::move(*bad);
  Result<uint64_t> max = RangedParam(target, "max", 1, kMaxFetchEvents, kDefaultFetchEvents);
  if (!max.ok()) return Bad(max.status());
  Result<uint64_t> wait = RangedParam(target, "wait_ms", 0, kMaxFetchWaitMs, 0);
  if (!wait.ok()) return Bad(wait.status());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(*wait);
  if (std::optional<HttpResponse> now = FetchAttempt(name, id, *max, *wait == 0)) {
    return std::move(*now);
  }
  return HttpLongPoll{
      [this, name, id, max = *max](bool last) { return FetchAttempt(name, id, max, last); },
      deadline};
}

Status HttpHandler::TakeBatch(HttpConsumers::Lease& lease, size_t max,
                              std::vector<std::pair<Position, std::string>>* out) {
  SubscriptionConsumer& consumer = lease.consumer();
  std::optional<HostedEvent>& leftover = lease.leftover();
  size_t bytes = 0;
  // One event at a time, so the batch stays within its page: an event that
  // would pass it waits for the next batch (leftover).
  while (out->size() < max) {
    HostedEvent e;
    if (leftover) {
      e = std::move(*leftover);
      leftover.reset();
    } else {
      Result<std::vector<HostedEvent>> next = consumer.Next(1, std::chrono::milliseconds(0));
      if (!next.ok()) return next.status();
      if (next->empty()) break;
      e = std::move(next->front());
    }
    const size_t size = EventResponseBytes(e.event.view(), kFetchEventBytes);
    if (!out->empty() && bytes + size > sse_batch_bytes_) {
      leftover = std::move(e);
      break;
    }
    // An event stored beyond the JSON limits is never rendered: it is
    // given back as failed (so it is parked in the end), and ends the
    // batch after the events before it.
    if (Status bad = json::CheckRenderable(e.event.view()); !bad.ok()) {
      (void)consumer.Nack(e.event.position, bad.ToString());
      return bad;
    }
    std::string text = json::EventText(e.event.view());
    text.pop_back();  // its '}'
    text += ",\"attempt\":" + std::to_string(e.attempt) +
            ",\"replayed\":" + (e.replayed ? "true" : "false") + "}";
    out->emplace_back(e.event.position, std::move(text));
    bytes += size;
  }
  return Status::OK();
}

std::optional<HttpResponse> HttpHandler::FetchAttempt(const std::string& name,
                                                      const std::string& id, size_t max,
                                                      bool last) {
  Result<HttpConsumers::Lease> lease = consumers_.Use(name, id);
  if (!lease.ok()) return Bad(lease.status());
  std::vector<std::pair<Position, std::string>> batch;
  const Status s = TakeBatch(*lease, max, &batch);
  // An error after some events: they are answered; the error comes again.
  if (batch.empty() && !s.ok()) return Bad(s);
  if (batch.empty() && !last) return std::nullopt;
  std::string events = "[";
  for (const auto& [position, text] : batch) {
    if (events.size() > 1) events += ',';
    events += text;
  }
  events += ']';
  json::ObjectText j;
  j.Raw("events", events).Bool("caught_up", !lease->leftover() && lease->consumer().CaughtUp());
  return HttpJson(http::status::ok, j.Finish());
}

namespace {

// The consumer of one GET /subscriptions/{name}/events, closed with it.
struct HostedStream {
  explicit HostedStream(HttpConsumers& c) : consumers(c) {}
  HostedStream(const HostedStream&) = delete;
  HostedStream& operator=(const HostedStream&) = delete;
  HttpConsumers& consumers;
  std::string name;
  std::string id;
  bool auto_ack = false;
  // With auto_ack: the positions of the batch last written.
  std::vector<Position> written;
  ~HostedStream() { (void)consumers.Close(name, id); }
};

}  // namespace

HttpAnswer HttpHandler::HostedEvents(const std::string& name, const HttpTarget& target) {
  if (auto bad = CheckParams(target, {"ack"})) return std::move(*bad);
  const std::string_view ack = target.Get("ack").value_or("manual");
  if (ack != "manual" && ack != "auto") {
    return Invalid("ack must be manual or auto, got '" + std::string(ack) + "'");
  }
  Result<std::string> id = consumers_.Open(name);
  if (!id.ok()) return OpenError(id.status());
  auto stream = std::make_shared<HostedStream>(consumers_);
  stream->name = name;
  stream->id = *id;
  stream->auto_ack = ack == "auto";
  json::ObjectText announce;
  announce.String("subscription", name).String("consumer", stream->id);
  SseStart start;
  // The consumer's id first, for the acks: as an event of its own type (a
  // browser's EventSource.addEventListener("consumer", ..)).
  start.head =
      ": consumer " + stream->id + "\n\nevent: consumer\ndata: " + announce.Finish() + "\n\n";
  start.poll = [this, stream](std::string* text) -> Status {
    Result<HttpConsumers::Lease> lease = consumers_.Use(stream->name, stream->id);
    if (!lease.ok()) return lease.status();  // detached: its subscription was deleted
    // The session polls only once the last batch has been written.
    if (!stream->written.empty()) {
      Status s = lease->consumer().Ack(stream->written);
      stream->written.clear();
      if (!s.ok()) return s;
    }
    std::vector<std::pair<Position, std::string>> batch;
    const Status s = TakeBatch(*lease, sse_batch_events_, &batch);
    for (const auto& [position, json] : batch) {
      *text += FormatSseEvent(position.value(), json);
      if (stream->auto_ack) stream->written.push_back(position);
    }
    return s;
  };
  return start;
}

HttpResponse HttpHandler::Ack(const std::string& name, const std::string& id,
                              const HttpTarget& target, std::string_view body) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  Json j;
  if (auto bad = ParseObject(body, {"positions"}, &j)) return std::move(*bad);
  auto it = j.find("positions");
  if (it == j.end() || !it->is_array()) {
    return Invalid("the body must be {\"positions\":[..]}, the positions to acknowledge");
  }
  if (it->size() > kMaxAckPositions) {
    return Invalid("at most " + std::to_string(kMaxAckPositions) + " positions per ack");
  }
  std::vector<Position> positions;
  positions.reserve(it->size());
  for (const Json& p : *it) {
    if (!p.is_number_unsigned())
      return Invalid("\"positions\" must hold positions (whole numbers)");
    positions.emplace_back(p.get<uint64_t>());
  }
  Result<HttpConsumers::Lease> lease = consumers_.Use(name, id);
  if (!lease.ok()) return Bad(lease.status());
  if (Status s = lease->consumer().Ack(positions); !s.ok()) return Bad(s);
  return NoContent();
}

HttpResponse HttpHandler::Nack(const std::string& name, const std::string& id,
                               const HttpTarget& target, std::string_view body) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  Json j;
  if (auto bad = ParseObject(body, {"position", "reason"}, &j)) return std::move(*bad);
  auto it = j.find("position");
  if (it == j.end() || !it->is_number_unsigned()) {
    return Invalid("the body must name the \"position\" of the event that failed");
  }
  const Position position(it->get<uint64_t>());
  std::string reason;
  if (auto bad = StringMember(j, "reason", &reason)) return std::move(*bad);
  if (reason.size() > kMaxReasonBytes) {
    return Invalid("\"reason\" is longer than " + std::to_string(kMaxReasonBytes) + " bytes");
  }
  Result<HttpConsumers::Lease> lease = consumers_.Use(name, id);
  if (!lease.ok()) return Bad(lease.status());
  if (Status s = lease->consumer().Nack(position, reason); !s.ok()) return Bad(s);
  return NoContent();
}

}  // namespace evlog::server
