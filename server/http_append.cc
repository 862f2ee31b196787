// evlogd's append routes: POST /streams/{stream} (one stream; the body one
// event, an array of them, or the envelope with a condition) and POST
// /append (the streams form: several streams, atomically). Both parse on a
// read thread and reply from the writer's callback.

#include <algorithm>

#include "http_handler.h"
#include "json/event_json.h"
#include "json/query_json.h"
#include "json/spellings.h"

namespace evlog::server {

namespace http = net::http;
using json::Json;

namespace {

// The events of an append's body (one event, an array of them, or the
// envelope {"events":[..],"condition":..}), their data and metadata the
// body's exact bytes; with an Idempotency-Key, each event without an id
// gets the one the key gives its index. `syntax` is set when the body is
// not JSON.
Status EventsOfBody(std::string_view body, const std::string& key, const std::string& stream,
                    std::vector<EventData>* events, std::optional<AppendCondition>* condition,
                    bool* syntax) {
  Status parsed = json::IsAppendEnvelope(body)
                      ? json::AppendFromEnvelope(body, events, condition, syntax, json::kMaxDepth)
                      : json::EventsFromBody(body, events, syntax);
  if (!parsed.ok()) return parsed;
  for (size_t i = 0; i < events->size() && !key.empty(); ++i) {
    EventData& event = (*events)[i];
    if (event.id.is_nil()) event.id = IdempotentEventId(key, stream, i);
  }
  return Status::OK();
}

bool SameExpectation(const ExpectedVersion& a, const ExpectedVersion& b) {
  if (a.kind() != b.kind()) return false;
  return a.kind() != ExpectedVersion::Kind::kExact || a.version() == b.version();
}


// ?durability= and ?duplicates=, the options every append route takes.
Status AppendOptions(const HttpTarget& target, AppendRequest* out) {
  if (std::optional<std::string_view> d = target.Get("durability")) {
    Result<Durability> parsed = json::ParseDurability(*d, "durability");
    if (!parsed.ok()) return parsed.status();
    out->durability = *parsed;
  }
  if (std::optional<std::string_view> d = target.Get("duplicates")) {
    Result<DuplicatePolicy> parsed = json::ParseDuplicatePolicy(*d, "duplicates");
    if (!parsed.ok()) return parsed.status();
    out->duplicates = *parsed;
  }
  return Status::OK();
}

}  // namespace

void HttpHandler::Append(const std::string& stream, const HttpTarget& target, HttpRequest request,
                         Reply reply) {
  if (auto bad = CheckParams(target, {"expect", "durability", "duplicates"})) {
    reply(std::move(*bad));
    return;
  }
  StreamAppend append{.stream = stream};
  std::optional<ExpectedVersion> expected;
  if (std::optional<std::string_view> text = target.Get("expect")) {
    Result<ExpectedVersion> e = json::ParseExpectedVersion(*text, "expect");
    if (!e.ok()) return reply(HttpStatusError(e.status()));
    expected = *e;
  }
  if (auto it = request.find(http::field::if_match); it != request.end()) {
    Result<ExpectedVersion> e = ParseIfMatch(it->value());
    if (!e.ok()) return reply(HttpStatusError(e.status()));
    if (expected && !SameExpectation(*expected, *e)) {
      return reply(HttpStatusError(Status::InvalidArgument("If-Match (" + e->ToString() + ") and ?expect= (" +
                                               expected->ToString() + ") disagree")));
    }
    expected = *e;
  }
  if (auto it = request.find(http::field::if_none_match); it != request.end()) {
    Result<ExpectedVersion> e = ParseIfNoneMatch(it->value());
    if (!e.ok()) return reply(HttpStatusError(e.status()));
    if (expected && !SameExpectation(*expected, *e)) {
      return reply(HttpStatusError(Status::InvalidArgument("If-None-Match (" + e->ToString() +
                                               ") and If-Match or ?expect= (" +
                                               expected->ToString() + ") disagree")));
    }
    expected = *e;
  }
  append.expected = expected.value_or(ExpectedVersion::Any());
  AppendRequest engine_request;
  if (Status s = AppendOptions(target, &engine_request); !s.ok()) {
    return reply(HttpStatusError(s));
  }
  std::string key;
  if (auto it = request.find("Idempotency-Key"); it != request.end()) {
    key = std::string(it->value());
    if (key.empty() || key.size() > 255) {
      return reply(HttpStatusError(Status::InvalidArgument("Idempotency-Key must be 1..255 bytes")));
    }
    if (engine_request.duplicates == DuplicatePolicy::kSkip) {
      return reply(HttpStatusError(Status::InvalidArgument(
          "Idempotency-Key makes the request one retryable unit; duplicates=skip is for events "
          "that carry their own ids: use one or the other")));
    }
  }

  bool syntax = false;
  if (Status s = EventsOfBody(request.body(), key, stream, &append.events,
                              &engine_request.condition, &syntax);
      !s.ok()) {
    if (syntax) return reply(HttpError(http::status::bad_request, "bad_json", s.message()));
    return reply(HttpStatusError(s));
  }
  // With an Idempotency-Key, a retry must carry the request it retries: the
  // events the key's ids name are compared with the body (parsed again, on
  // that rare path only) once the store says they were committed before.
  std::string sent;
  if (!key.empty()) sent = std::move(request.body());
  engine_request.streams.push_back(std::move(append));
  dispatcher_.store().AppendAsync(
      std::move(engine_request), [this, key, sent = std::move(sent),
                                  reply = std::move(reply)](Result<AppendResult> result) mutable {
        if (!key.empty() && (result.ok() ? result->deduplicated
                                         : result.status().IsIdempotencyConflict())) {
          // Comparing reads the store: not on the writer's thread.
          dispatcher_.RunBlocking([this, key = std::move(key), sent = std::move(sent),
                                   result = std::move(result), reply = std::move(reply)]() mutable {
            std::string reused;
            if (Status s = CheckIdempotentRetry(key, sent, result, &reused); !s.ok()) {
              return reply(HttpStatusError(s));
            }
            if (!reused.empty()) {
              return reply(HttpError(http::status::unprocessable_entity, "idempotency_conflict",
                                     reused));
            }
            reply(AppendAnswer(*result));
          });
          return;
        }
        if (!result.ok()) return reply(HttpStatusError(result.status()));
        reply(AppendAnswer(*result));
      });
}

Status HttpHandler::CheckIdempotentRetry(const std::string& key, std::string_view body,
                                         const Result<AppendResult>& result,
                                         std::string* reused) {
  const std::string prefix =
      "Idempotency-Key '" + key + "' was used before with another request body";
  // Some of the key's events were committed, not all: another body.
  if (!result.ok()) {
    *reused = prefix + " (" + result.status().message() + ")";
    return Status::OK();
  }
  const StreamAppendResult& r = result->streams.at(0);
  std::vector<EventData> sent;
  std::optional<AppendCondition> condition;
  bool syntax = false;
  if (Status s = EventsOfBody(body, key, r.stream, &sent, &condition, &syntax); !s.ok()) return s;
  ReadStreamOptions options;
  options.from = r.first_version;
  options.max_count = sent.size() + 1;
  Result<std::unique_ptr<EventIterator>> it = dispatcher_.store().ReadStream(r.stream, options);
  if (!it.ok()) return it.status();
  size_t i = 0;
  for (; (*it)->Valid() && i < sent.size(); (*it)->Next(), ++i) {
    const RecordedEvent& e = (*it)->event();
    if (e.position > r.last_position) break;
    const EventData& s = sent[i];
    if (e.id != s.id || e.type != s.type || e.content_type != s.content_type ||
        e.data != s.data || e.metadata != s.metadata ||
        !std::ranges::equal(e.tags, s.tags)) {
      *reused = prefix + " (its event " + std::to_string(i) + " differs)";
      return Status::OK();
    }
  }
  // The key's request had more events if the next one carries the id the
  // key gives the next index.
  const bool more = (*it)->Valid() && (*it)->event().id == IdempotentEventId(key, r.stream, i);
  if (Status s = (*it)->status(); !s.ok()) return s;
  if (more || i != sent.size() ||
      r.last_version.value() - r.first_version.value() + 1 != sent.size()) {
    *reused = prefix + " (another number of events)";
  }
  return Status::OK();
}

HttpResponse HttpHandler::AppendAnswer(const AppendResult& result) {
  const StreamAppendResult& r = result.streams.at(0);
  Json j = json::AppendResultToJson(r, result.deduplicated);
  HttpResponse response = HttpJson(http::status::created, json::Dump(j));
  response.set(http::field::etag, EntityTag(r.last_version.value()));
  return response;
}


void HttpHandler::AppendStreams(const HttpTarget& target, HttpRequest request, Reply reply) {
  if (auto bad = CheckParams(target, {"durability", "duplicates"})) return reply(std::move(*bad));
  AppendRequest append;
  if (Status s = AppendOptions(target, &append); !s.ok()) return reply(HttpStatusError(s));
  if (request.find("Idempotency-Key") != request.end()) {
    return reply(HttpStatusError(Status::InvalidArgument(
        "POST /append takes no Idempotency-Key: give each event its \"id\" to make the "
        "append retryable")));
  }
  bool syntax = false;
  if (Status s = json::AppendFromStreamsBody(request.body(), &append, &syntax, json::kMaxDepth);
      !s.ok()) {
    if (syntax) return reply(HttpError(http::status::bad_request, "bad_json", s.message()));
    return reply(HttpStatusError(s));
  }
  dispatcher_.store().AppendAsync(std::move(append),
                                  [reply = std::move(reply)](Result<AppendResult> result) {
                                    if (!result.ok()) return reply(HttpStatusError(result.status()));
                                    Json streams = Json::array();
                                    for (const StreamAppendResult& r : result->streams) {
                                      streams.push_back(
                                          json::AppendResultToJson(r, result->deduplicated));
                                    }
                                    Json j;
                                    j["streams"] = std::move(streams);
                                    reply(HttpJson(http::status::created, json::Dump(j)));
                                  });
}

}  // namespace evlog::server
