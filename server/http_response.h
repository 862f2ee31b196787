// The responses of evlogd's HTTP routes: JSON bodies and the mapping of an
// engine Status to an HTTP status code and a machine-readable error code.
// Pure: no sockets, no engine calls.

#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "evlog/status.h"
#include "evlog/types.h"
#include "json/event_json.h"
#include "http_net.h"
#include "http_target.h"

namespace evlog::server {

using HttpRequest = net::http::request<net::http::string_body>;
using HttpResponse = net::http::response<net::http::string_body>;

// A response with a JSON `body` (compact text) and Content-Type
// application/json.
HttpResponse HttpJson(net::http::status status, std::string body);

// 200 {"<key>":[..]}: one object per element, filled by row(element, object).
template <class Elements, class Row>
HttpResponse HttpJsonList(std::string_view key, const Elements& elements, Row row) {
  std::string rows = "[";
  for (const auto& e : elements) {
    json::ObjectText object;
    row(e, object);
    if (rows.size() > 1) rows += ',';
    rows += object.Finish();
  }
  rows += ']';
  json::ObjectText j;
  j.Raw(key, rows);
  return HttpJson(net::http::status::ok, j.Finish());
}

// {"error":<code>,"message":<message>} with `status`.
HttpResponse HttpError(net::http::status status, std::string_view code, std::string_view message);

// 400 invalid_argument for a query parameter of `target` not in `allowed`
// (a typo would otherwise be ignored silently); nullopt when all are.
std::optional<HttpResponse> CheckParams(const HttpTarget& target,
                                        std::initializer_list<std::string_view> allowed);

// A version as the entity tag of an ETag header: "\"7\"".
std::string EntityTag(uint64_t version);

// The response for a failed engine call:
//   InvalidArgument                  400 invalid_argument
//   NotFound                         404 not_found
//   StreamDeleted                    410 stream_deleted
//   Trimmed                          410 trimmed
//   WrongExpectedVersion             409 wrong_expected_version, with
//                                    "actual_version" in the body and the
//                                    Evlog-Actual-Version header
//   IdempotencyConflict              409 idempotency_conflict
//   ConditionFailed                  409 condition_failed
//   Busy, Aborted, ReadOnly          503 unavailable
//   anything else                    500 internal
// REQUIRES: !status.ok()
HttpResponse HttpStatusError(const Status& status);

// One server-sent event: "id: <position>\ndata: <json>\n\n", the data being
// the event as the CLI's `read` prints it, its type included. There is no
// `event:` field, so every event is of the default type `message` and a
// browser's EventSource.onmessage receives it. A line break (CR, LF or
// CRLF) in the event's JSON, which can only be whitespace between tokens of
// stored JSON data or metadata, starts a further "data: " line; a client
// joins them with LF, so the data is still that JSON.
std::string FormatSseEvent(const RecordedEvent& event);
// The same for an event of id `id` whose data is the JSON text `json`.
std::string FormatSseEvent(uint64_t id, std::string_view json);

// The header a 409 on a version conflict carries the actual version in.
inline constexpr std::string_view kActualVersionHeader = "Evlog-Actual-Version";

}  // namespace evlog::server
