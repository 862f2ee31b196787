// Reads, feed opening and append bodies run where the Dispatcher runs reads
// (evlogd: its read threads), never on the network thread; appends go through
// Store::AppendAsync and reply from the writer's callback, so no fsync is
// waited for on the io_context.

#include "http_handler.h"

#include <algorithm>
#include <initializer_list>

#include "http_ui.h"
#include "json/event_json.h"
#include "json/query_json.h"
#include "json/spellings.h"
#include "prometheus.h"
#include "response_bytes.h"

namespace evlog::server {

namespace http = net::http;
using json::Json;

namespace {

enum class Route {
  kNone, kStreams, kStream, kAll, kQuery, kSubscribe, kViews, kView, kMetrics, kToken, kAppend,
  kStats, kReplayParked, kHosted
};

struct Matched {
  Route route = Route::kNone;
  std::string first;   // stream or view name
  std::string second;  // view key
};

Matched Match(const HttpTarget& target) {
  const std::vector<std::string>& s = target.segments;
  if (s.empty()) return {};
  if (s[0] == "streams" && s.size() == 1) return {Route::kStreams};
  if (s[0] == "streams" && s.size() == 2) return {Route::kStream, s[1]};
  if (s[0] == "all" && s.size() == 1) return {Route::kAll};
  if (s[0] == "query" && s.size() == 1) return {Route::kQuery};
  if (s[0] == "subscribe" && s.size() == 1) return {Route::kSubscribe};
  if (s[0] == "metrics" && s.size() == 1) return {Route::kMetrics};
  if (s[0] == "token" && s.size() == 1) return {Route::kToken};
  if (s[0] == "append" && s.size() == 1) return {Route::kAppend};
  if (s[0] == "stats" && s.size() == 1) return {Route::kStats};
  if (s[0] == "subscriptions" && s.size() == 3 && s[2] == "replay-parked") {
    return {Route::kReplayParked, s[1]};
  }
  if (s[0] == "subscriptions") return {Route::kHosted};  // http_hosted.cc matches the rest
  if (s[0] == "views" && s.size() == 1) return {Route::kViews};
  if (s[0] == "views" && s.size() >= 3) {
    // A key may hold '/', written as is or as %2F.
    std::string key = s[2];
    for (size_t i = 3; i < s.size(); ++i) key += "/" + s[i];
    return {Route::kView, s[1], std::move(key)};
  }
  return {};
}

HttpResponse Bad(const Status& s) { return HttpStatusError(s); }

// What an event's fixed fields cost in its JSON text beyond its strings:
// the member names and punctuation, version and position in decimal, the
// id as 36 characters and the time as 27 (more than FlatBuffers' binary
// fields: see dispatcher.cc).
constexpr size_t kJsonEventBytes = 160;

// A page of events as a JSON array's text (see PageFill).
struct EventsPage {
  std::string events;
  Position last;  // of the last event in the page; 0 when empty
  bool truncated = false;
};

// Renders events as a JSON array into a page, one Take at a time, until
// `count` events or the dispatcher's read limits (event count, response
// bytes) would be passed. The JSON twin of the dispatcher's ResponseFill.
class PageFill {
 public:
  PageFill(size_t count, const DispatcherOptions& options, EventsPage* page)
      : count_(count),
        limit_(std::min(count, options.max_read_events)),
        max_bytes_(options.max_response_bytes),
        page_(*page) {
    page_.events += '[';
  }

  // Renders `e`; false, rendering nothing, once the page is full (with `e`
  // left over: truncated) or `e` cannot be rendered (json::CheckRenderable's
  // error, which Finish returns).
  bool Take(const RecordedEvent& e) {
    const size_t next_bytes = EventResponseBytes(e, kJsonEventBytes);
    if (n_ == count_ || n_ == limit_ || (n_ > 0 && bytes_ + next_bytes > max_bytes_)) {
      page_.truncated = true;
      return false;
    }
    if (status_ = json::CheckRenderable(e); !status_.ok()) return false;
    if (n_ > 0) page_.events += ',';
    page_.events += json::EventText(e);
    page_.last = e.position;
    bytes_ += next_bytes;
    ++n_;
    return true;
  }

  // Closes the array; the error of an event that could not be rendered.
  Status Finish() {
    page_.events += ']';
    return status_;
  }

 private:
  const size_t count_;
  const size_t limit_;
  const size_t max_bytes_;
  EventsPage& page_;
  size_t bytes_ = 0;
  size_t n_ = 0;
  Status status_;
};

// What a page of `count` events asks the iterator for: one more, to know
// whether the page stopped before the end.
size_t OneMore(size_t count) { return count == SIZE_MAX ? count : count + 1; }

// ?count=: 1 or more; SIZE_MAX when absent.
Result<size_t> CountParam(const HttpTarget& target) {
  std::optional<std::string_view> text = target.Get("count");
  if (!text) return SIZE_MAX;
  Result<uint64_t> n = ParseUnsigned(*text, "count");
  if (!n.ok()) return n.status();
  if (*n == 0) return Status::InvalidArgument("count must be at least 1");
  return static_cast<size_t>(std::min<uint64_t>(*n, SIZE_MAX));
}

// A read's ?from= (nullopt when absent) and ?count= (see CountParam).
struct PageParams {
  std::optional<uint64_t> from;
  size_t count = SIZE_MAX;
};
Result<PageParams> ParsePageParams(const HttpTarget& target) {
  PageParams page;
  if (std::optional<std::string_view> from = target.Get("from")) {
    Result<uint64_t> v = ParseUnsigned(*from, "from");
    if (!v.ok()) return v.status();
    page.from = *v;
  }
  Result<size_t> count = CountParam(target);
  if (!count.ok()) return count.status();
  page.count = *count;
  return page;
}

// The page `it` (opened for OneMore(count) events) gives; its error or the
// iterator's.
Result<EventsPage> ReadPage(Result<std::unique_ptr<EventIterator>> it, size_t count,
                            const DispatcherOptions& options) {
  if (!it.ok()) return it.status();
  EventsPage page;
  PageFill fill(count, options, &page);
  for (EventIterator& events = **it; events.Valid() && fill.Take(events.event()); events.Next()) {
  }
  if (Status s = fill.Finish(); !s.ok()) return s;
  if (Status s = (*it)->status(); !s.ok()) return s;
  return page;
}

// ?direction=forward (the default) or backward.
Result<Direction> DirectionParam(const HttpTarget& target) {
  std::optional<std::string_view> d = target.Get("direction");
  if (!d || *d == "forward") return Direction::kForward;
  if (*d == "backward") return Direction::kBackward;
  return Status::InvalidArgument("direction must be forward or backward, got '" + std::string(*d) +
                                 "'");
}

}  // namespace

bool HttpHandler::Authorized(const HttpRequest& request) const {
  if (dispatcher_.options().token.empty()) return true;
  // The console's files are public: the page asks for the token.
  if (request.method() == http::verb::get && IsUiTarget(request.target())) return true;
  if (BearerMatches(request[http::field::authorization])) return true;
  // An EventSource cannot send headers: a GET may carry an access token
  // from POST /token instead.
  if (request.method() != http::verb::get) return false;
  HttpTarget target;
  if (!ParseHttpTarget(request.target(), &target).ok()) return false;
  std::optional<std::string_view> access = target.Get(std::string(kAccessTokenParam));
  // An event stream of a hosted subscription that acknowledges what it
  // delivers (?ack=auto) writes: it needs the token itself.
  const std::vector<std::string>& s = target.segments;
  if (s.size() == 3 && s[0] == "subscriptions" && s[2] == "events" &&
      target.Get("ack").value_or("") == "auto") {
    return false;
  }
  return access.has_value() && access_tokens_.Valid(*access);
}

bool HttpHandler::BearerMatches(std::string_view authorization) const {
  const std::string& token = dispatcher_.options().token;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() < kBearer.size()) return false;
  // The scheme is case-insensitive.
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kBearer[i]))) {
      return false;
    }
  }
  return ConstantTimeEquals(token, authorization.substr(kBearer.size()));
}

size_t HttpHandler::AnswerPage(const HttpRequest& request) const {
  HttpTarget target;
  if (!ParseHttpTarget(request.target(), &target).ok()) return 0;
  // A consumer's fetch: a batch of events, as an event stream's.
  const std::vector<std::string>& s = target.segments;
  if (request.method() == http::verb::post && s.size() == 5 && s[0] == "subscriptions" &&
      s[2] == "consumers" && s[4] == "fetch") {
    return sse_batch_bytes_ + (64 << 10);
  }
  if (request.method() != http::verb::get) return 0;
  const Route route = Match(target).route;
  if (route != Route::kStream && route != Route::kStreams && route != Route::kAll) return 0;
  // The events' bytes, and their JSON and the headers around them.
  return dispatcher_.options().max_response_bytes + (64 << 10);
}

HttpResponse HttpHandler::Unauthorized() {
  HttpResponse response =
      HttpStatusError(Status::Unauthenticated("missing or wrong bearer token"));
  response.set(http::field::www_authenticate, "Bearer realm=\"evlog\"");
  return response;
}

void HttpHandler::Handle(HttpRequest request, Reply reply) {
  if (!Authorized(request)) {
    reply(Unauthorized());
    return;
  }
  if (IsUiTarget(request.target())) return reply(UiResponse(request));
  HttpTarget target;
  if (Status s = ParseHttpTarget(request.target(), &target); !s.ok()) {
    reply(Bad(s));
    return;
  }
  // Checked above; not a parameter of any route.
  target.query.erase(std::string(kAccessTokenParam));
  Matched m = Match(target);
  if (m.route == Route::kToken) {
    if (request.method() != http::verb::post) {
      HttpResponse response = HttpError(http::status::method_not_allowed, "method_not_allowed",
                                        "POST /token only");
      response.set(http::field::allow, "POST");
      return reply(std::move(response));
    }
    if (auto bad = CheckParams(target, {})) return reply(std::move(*bad));
    json::ObjectText j;
    j.String("access_token", access_tokens_.Issue())
        .Number("expires_in", static_cast<uint64_t>(AccessTokens::kLifetime.count()));
    HttpResponse response = HttpJson(http::status::created, j.Finish());
    response.set(http::field::cache_control, "no-store");
    return reply(std::move(response));
  }
  if (m.route == Route::kNone) {
    reply(HttpError(http::status::not_found, "not_found",
                    "no route for " + std::string(request.target())));
    return;
  }
  if (m.route == Route::kHosted) {
    return Hosted(std::move(target), std::move(request), std::move(reply));
  }
  const bool get = request.method() == http::verb::get;
  const bool post = request.method() == http::verb::post;
  const bool takes_post = m.route == Route::kStream || m.route == Route::kQuery;
  const bool only_post = m.route == Route::kAppend || m.route == Route::kReplayParked;
  if (only_post ? !post : takes_post ? !(get || post) : !get) {
    HttpResponse response = HttpError(http::status::method_not_allowed, "method_not_allowed",
                                      std::string(request.method_string()) + " is not allowed on " +
                                          std::string(request.target()));
    response.set(http::field::allow, only_post ? "POST" : takes_post ? "GET, POST" : "GET");
    reply(std::move(response));
    return;
  }
  if (m.route == Route::kQuery) {
    dispatcher_.RunBlocking([this, target = std::move(target), request = std::move(request),
                             post, reply = std::move(reply)]() mutable {
      reply(Query(target, post ? std::optional<std::string_view>(request.body()) : std::nullopt));
    });
    return;
  }
  if (post) {
    // Parsing a body of up to a MiB is work for a read thread, not the
    // network thread; the append itself completes on the writer's.
    dispatcher_.RunBlocking([this, route = m.route, stream = std::move(m.first),
                             target = std::move(target), request = std::move(request),
                             reply = std::move(reply)]() mutable {
      if (route == Route::kAppend) return AppendStreams(target, std::move(request), std::move(reply));
      if (route == Route::kReplayParked) return reply(ReplayParked(stream, target));
      Append(stream, target, std::move(request), std::move(reply));
    });
    return;
  }
  const std::string last_event_id(request["Last-Event-ID"]);
  dispatcher_.RunBlocking([this, m = std::move(m), target = std::move(target), last_event_id,
                           reply = std::move(reply)]() mutable {
    switch (m.route) {
      case Route::kStreams:
        reply(ListStreams(target));
        return;
      case Route::kStream:
        reply(ReadStream(m.first, target));
        return;
      case Route::kAll:
        reply(ReadAll(target));
        return;
      case Route::kSubscribe:
        reply(Subscribe(target, last_event_id));
        return;
      case Route::kViews:
        reply(ListViews(target));
        return;
      case Route::kView:
        reply(ViewGet(m.first, m.second));
        return;
      case Route::kMetrics:
        reply(Metrics(target));
        return;
      case Route::kStats:
        reply(Stats(target));
        return;
      case Route::kQuery:
      case Route::kToken:
      case Route::kAppend:
      case Route::kReplayParked:
      case Route::kHosted:
      case Route::kNone:
        break;
    }
    reply(HttpError(http::status::not_found, "not_found", "no route"));
  });
}

HttpResponse HttpHandler::ReadStream(const std::string& stream, const HttpTarget& target) {
  if (auto bad = CheckParams(target, {"from", "count", "direction"})) return std::move(*bad);
  Result<PageParams> params = ParsePageParams(target);
  if (!params.ok()) return Bad(params.status());
  ReadStreamOptions options;
  if (params->from) options.from = Version(*params->from);
  options.max_count = OneMore(params->count);
  Result<Direction> direction = DirectionParam(target);
  if (!direction.ok()) return Bad(direction.status());
  options.direction = *direction;
  Store& store = dispatcher_.store();
  Result<Version> version = store.StreamVersion(stream);
  if (!version.ok()) return Bad(version.status());
  Result<EventsPage> page =
      ReadPage(store.ReadStream(stream, options), params->count, dispatcher_.options());
  if (!page.ok()) return Bad(page.status());
  json::ObjectText j;
  j.String("stream", stream)
      .Number("version", version->value())
      .Raw("events", page->events)
      .Bool("truncated", page->truncated);
  HttpResponse response = HttpJson(http::status::ok, j.Finish());
  response.set(http::field::etag, EntityTag(version->value()));
  return response;
}

HttpResponse HttpHandler::ReadAll(const HttpTarget& target) {
  if (auto bad = CheckParams(target, {"from", "count", "category", "type", "system"})) {
    return std::move(*bad);
  }
  Result<PageParams> params = ParsePageParams(target);
  if (!params.ok()) return Bad(params.status());
  Result<bool> system = ParseSystemParam(target);
  if (!system.ok()) return Bad(system.status());
  ReadAllOptions options{.include_system = *system};
  if (params->from) options.from = Position(*params->from);
  options.max_count = OneMore(params->count);
  options.category = std::string(target.Get("category").value_or(""));
  options.event_type = std::string(target.Get("type").value_or(""));
  if (!options.category.empty() && !options.event_type.empty()) {
    return Bad(Status::InvalidArgument("give category or type, not both"));
  }
  // A read that ends has passed every event up to here, filtered out or not.
  const uint64_t head = dispatcher_.store().LastPosition().value();
  Result<EventsPage> page =
      ReadPage(dispatcher_.store().ReadAll(options), params->count, dispatcher_.options());
  if (!page.ok()) return Bad(page.status());
  json::ObjectText j;
  j.Raw("events", page->events).Bool("truncated", page->truncated);
  // Where the next page starts: past hidden events too, so a poller of a
  // filtered read never reads them again.
  uint64_t next = page->last.value() == 0 ? options.from.value() : page->last.value() + 1;
  if (!page->truncated) next = std::max(next, head + 1);
  j.Number("next", next);
  return HttpJson(http::status::ok, j.Finish());
}

HttpResponse HttpHandler::Query(const HttpTarget& target, std::optional<std::string_view> body) {
  // A POST's query is its body; a GET's is in the target.
  if (auto bad = body ? CheckParams(target, {"from", "count", "direction"})
                      : CheckParams(target, {"query", "type", "tag", "from", "count", "direction"})) {
    return std::move(*bad);
  }
  evlog::Query query;
  std::optional<std::string_view> text = body ? body : target.Get("query");
  if (text) {
    if (target.Get("type") || target.Get("tag")) {
      return Bad(Status::InvalidArgument("?query= gives the whole query: no ?type= or ?tag="));
    }
    if (Status s = json::QueryFromJson(*text, &query); !s.ok()) return Bad(s);
  } else {
    QueryItem item;
    if (auto type = target.Get("type")) item.types.emplace_back(*type);
    if (auto tag = target.Get("tag")) item.tags.emplace_back(*tag);
    query.items.push_back(std::move(item));
  }
  Result<PageParams> params = ParsePageParams(target);
  if (!params.ok()) return Bad(params.status());
  QueryOptions options;
  if (params->from) options.from = Position(*params->from);
  Result<Direction> direction = DirectionParam(target);
  if (!direction.ok()) return Bad(direction.status());
  options.direction = *direction;
  // One more than the page, to know whether there is more; the page's
  // Take stops the read once it is full.
  options.max_count = OneMore(params->count);
  EventsPage page;
  PageFill fill(params->count, dispatcher_.options(), &page);
  // Each event goes from the store's read straight into the page.
  Result<Position> head = dispatcher_.store().ReadEach(
      query, options, [&](const RecordedEvent& e) { return fill.Take(e); });
  if (!head.ok()) return Bad(head.status());
  if (Status s = fill.Finish(); !s.ok()) return Bad(s);
  json::ObjectText j;
  j.Raw("events", page.events).Number("head", head->value()).Bool("truncated", page.truncated);
  if (page.truncated) {
    // Where the next page starts (in the read's direction).
    j.Number("next", options.direction == Direction::kForward ? page.last.value() + 1
                                                              : page.last.value() - 1);
  }
  return HttpJson(http::status::ok, j.Finish());
}

HttpResponse HttpHandler::ListStreams(const HttpTarget& target) {
  if (auto bad = CheckParams(target, {"category", "after", "count", "system"})) {
    return std::move(*bad);
  }
  Result<bool> system = ParseSystemParam(target);
  if (!system.ok()) return Bad(system.status());
  ListStreamsOptions options{.include_system = *system};
  options.category = std::string(target.Get("category").value_or(""));
  options.start_after = std::string(target.Get("after").value_or(""));
  Result<size_t> count = CountParam(target);
  if (!count.ok()) return Bad(count.status());
  // One more than fits, to know whether the answer is truncated.
  const size_t limit = std::min(*count, dispatcher_.options().max_list_streams);
  options.max_count = limit + 1;
  Result<std::vector<StreamInfo>> streams = dispatcher_.store().ListStreams(options);
  if (!streams.ok()) return Bad(streams.status());
  const bool truncated = streams->size() > limit;
  if (truncated) streams->resize(limit);
  Json j;
  j["streams"] = Json::array();
  for (const StreamInfo& s : *streams) {
    Json row;
    row["stream"] = s.name;
    row["version"] = s.version.value();
    j["streams"].push_back(std::move(row));
  }
  j["truncated"] = truncated;
  return HttpJson(http::status::ok, json::Dump(j));
}

HttpResponse HttpHandler::ListViews(const HttpTarget& target) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  Result<std::vector<Store::ViewInfo>> views = dispatcher_.store().ListViews();
  if (!views.ok()) return Bad(views.status());
  return HttpJsonList("views", *views, [](const Store::ViewInfo& v, json::ObjectText& row) {
    row.String("view", v.name)
        .Number("generation", v.progress.generation)
        .Number("position", v.progress.position.value())
        .Number("lag", v.lag);
  });
}

HttpResponse HttpHandler::ViewGet(const std::string& view, const std::string& key) {
  Result<std::optional<std::string>> value = dispatcher_.store().ViewGet(view, key);
  if (!value.ok()) return Bad(value.status());
  if (!value->has_value()) {
    return HttpError(http::status::not_found, "not_found",
                     "view '" + view + "' has no key '" + key + "'");
  }
  json::ObjectText j;
  j.String("view", view).String("key", key).Value("value", **value);
  return HttpJson(http::status::ok, j.Finish());
}

HttpResponse HttpHandler::Metrics(const HttpTarget& target) {
  if (auto bad = CheckParams(target, {})) return std::move(*bad);
  Result<MetricsSnapshot> metrics = dispatcher_.store().Metrics();
  if (!metrics.ok()) return Bad(metrics.status());
  HttpResponse response{http::status::ok, 11};
  response.set(http::field::content_type, kPrometheusContentType);
  if (daemon_gauges_) {
    DaemonGauges daemon = daemon_gauges_();
    daemon.http_consumers = consumers_.size();
    response.body() = RenderPrometheus(*metrics, &daemon);
  } else {
    response.body() = RenderPrometheus(*metrics);
  }
  return response;
}

HttpAnswer HttpHandler::Subscribe(const HttpTarget& target, std::string_view last_event_id) {
  if (auto bad = CheckParams(target, {"from", "category", "type", "prefix", "system"})) {
    return std::move(*bad);
  }
  Result<bool> system = ParseSystemParam(target);
  if (!system.ok()) return Bad(system.status());
  ChangeFeedOptions options{.start = FeedStart::Latest(),
                            .category = std::string(target.Get("category").value_or("")),
                            .stream_prefix = std::string(target.Get("prefix").value_or("")),
                            .event_type = std::string(target.Get("type").value_or("")),
                            .include_system = *system,
                            .max_batch_events = sse_batch_events_,
                            .max_batch_bytes = sse_batch_bytes_};
  if (!last_event_id.empty()) {
    // A reconnecting EventSource sends the id of the last event it got:
    // resume after it, whatever ?from= says.
    Result<uint64_t> p = ParseUnsigned(last_event_id, "Last-Event-ID");
    if (!p.ok()) return Bad(p.status());
    options.start = FeedStart::After(Position(*p));
  } else if (std::optional<std::string_view> from = target.Get("from")) {
    Result<FeedStart> start = json::ParseFeedStart(*from, "from");
    if (!start.ok()) return Bad(start.status());
    options.start = *start;
  }
  Result<std::unique_ptr<ChangeFeed>> feed = dispatcher_.store().OpenFeed(options);
  if (!feed.ok()) return Bad(feed.status());
  return SseStart{std::move(feed).value()};
}

}  // namespace evlog::server
