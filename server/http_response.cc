#include "http_response.h"

#include <nlohmann/json.hpp>

#include "json/event_json.h"

namespace evlog::server {

namespace http = net::http;

namespace {
std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

HttpResponse HttpJson(http::status status, std::string body) {
  HttpResponse response{status, 11};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

HttpResponse HttpError(http::status status, std::string_view code, std::string_view message) {
  nlohmann::ordered_json j;
  j["error"] = std::string(message);
  j["code"] = std::string(code);
  return HttpJson(status, Dump(j));
}

HttpResponse HttpStatusError(const Status& s) {
  const std::string message(s.message());
  if (s.IsWrongExpectedVersion()) {
    nlohmann::ordered_json j;
    j["error"] = message;
    j["code"] = "wrong_expected_version";
    j["actual_version"] = s.actual_version().value_or(0);
    HttpResponse response = HttpJson(http::status::conflict, Dump(j));
    response.set(kActualVersionHeader, std::to_string(s.actual_version().value_or(0)));
    return response;
  }
  if (s.IsInvalidArgument())
    return HttpError(http::status::bad_request, "invalid_argument", message);
  if (s.IsNotFound()) return HttpError(http::status::not_found, "not_found", message);
  if (s.IsStreamDeleted()) return HttpError(http::status::gone, "stream_deleted", message);
  if (s.IsTrimmed()) return HttpError(http::status::gone, "trimmed", message);
  if (s.IsIdempotencyConflict()) {
    return HttpError(http::status::conflict, "idempotency_conflict", message);
  }
  if (s.IsConditionFailed()) return HttpError(http::status::conflict, "condition_failed", message);
  if (s.IsBusy() || s.IsAborted() || s.IsReadOnly()) {
    return HttpError(http::status::service_unavailable, "unavailable", message);
  }
  return HttpError(http::status::internal_server_error, "internal", s.ToString());
}

std::string FormatSseEvent(const RecordedEvent& event) {
  // No `event:` field: every event is of the default type "message", so a
  // browser's EventSource.onmessage sees it; its type is in the data.
  std::string out;
  out.reserve(event.data.size() + event.metadata.size() + event.type.size() + 192);
  out += "id: ";
  out += std::to_string(event.position.value());
  out += "\ndata: ";
  // A line break in the event's text (insignificant whitespace in stored
  // JSON) would end the field: each starts a new data line, which the
  // client joins back with LF.
  const std::string text = json::EventText(event);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\ndata: ";
    } else {
      out += text[i];
    }
  }
  out += "\n\n";
  return out;
}

}  // namespace evlog::server
