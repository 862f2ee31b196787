#include "http_response.h"

#include <algorithm>

#include "json/event_json.h"

namespace evlog::server {

namespace http = net::http;

HttpResponse HttpJson(http::status status, std::string body) {
  HttpResponse response{status, 11};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

HttpResponse HttpError(http::status status, std::string_view code, std::string_view message) {
  json::ObjectText j;
  j.String("error", code).String("message", message);
  return HttpJson(status, j.Finish());
}

std::optional<HttpResponse> CheckParams(const HttpTarget& target,
                                        std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : target.query) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return HttpError(http::status::bad_request, "invalid_argument",
                       "unknown query parameter '" + name + "'" +
                           (list.empty() ? "" : " (this route takes " + list + ")"));
    }
  }
  return std::nullopt;
}

std::string EntityTag(uint64_t version) { return "\"" + std::to_string(version) + "\""; }

namespace {

// The one table from a Status code to an HTTP status; the error's code is
// the Status's own name (Status::CodeName), as the CLI prints it. Codes not
// listed are 500.
struct HttpStatusFor {
  Status::Code code;
  http::status status;
};
constexpr HttpStatusFor kHttpStatuses[] = {
    {Status::Code::kInvalidArgument, http::status::bad_request},
    {Status::Code::kNotFound, http::status::not_found},
    {Status::Code::kStreamDeleted, http::status::gone},
    {Status::Code::kTrimmed, http::status::gone},
    {Status::Code::kWrongExpectedVersion, http::status::conflict},
    {Status::Code::kIdempotencyConflict, http::status::conflict},
    {Status::Code::kConditionFailed, http::status::conflict},
    {Status::Code::kBusy, http::status::service_unavailable},
    {Status::Code::kAborted, http::status::service_unavailable},
    {Status::Code::kReadOnly, http::status::service_unavailable},
    {Status::Code::kUnauthenticated, http::status::unauthorized},
};

}  // namespace

HttpResponse HttpStatusError(const Status& s) {
  http::status status = http::status::internal_server_error;
  for (const HttpStatusFor& e : kHttpStatuses) {
    if (e.code == s.code()) status = e.status;
  }
  HttpResponse response = HttpJson(status, json::ErrorText(s));
  if (s.actual_version()) {
    response.set(kActualVersionHeader, std::to_string(*s.actual_version()));
  }
  return response;
}

std::string FormatSseEvent(const RecordedEvent& event) {
  return FormatSseEvent(event.position.value(), json::EventText(event));
}

std::string FormatSseEvent(uint64_t id, std::string_view text) {
  // No `event:` field: every event is of the default type "message", so a
  // browser's EventSource.onmessage sees it; its type is in the data.
  std::string out;
  out.reserve(text.size() + 32);
  out += "id: ";
  out += std::to_string(id);
  out += "\ndata: ";
  // A line break in the event's text (insignificant whitespace in stored
  // JSON) would end the field: each starts a new data line, which the
  // client joins back with LF.
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
