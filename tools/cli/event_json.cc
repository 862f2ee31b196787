#include "cli/event_json.h"

#include <ctime>

namespace evlog::cli {

namespace {

// A stored JSON text as JSON, anything else as a string, nothing as null.
Json BytesToJson(std::string_view bytes, bool try_json) {
  if (bytes.empty()) return nullptr;
  if (try_json) {
    Json parsed = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) return parsed;
  }
  return std::string(bytes);
}

}  // namespace

Status EventFromArgs(std::string_view type, std::string_view data, std::string_view metadata,
                     std::string_view id, EventData* out) {
  // The store refuses it too, but only here can the error name the line.
  if (type.empty()) return Status::InvalidArgument("event type is empty");
  out->type = std::string(type);
  if (!Json::accept(data)) {
    return Status::InvalidArgument("event data is not valid JSON: " + std::string(data));
  }
  out->data = std::string(data);
  out->content_type = ContentType::kJson;
  if (!metadata.empty() && !Json::accept(metadata)) {
    return Status::InvalidArgument("event metadata is not valid JSON: " + std::string(metadata));
  }
  out->metadata = std::string(metadata);
  if (!id.empty()) {
    std::optional<Uuid> parsed = Uuid::Parse(id);
    if (!parsed) return Status::InvalidArgument("event id is not a UUID: " + std::string(id));
    out->id = *parsed;
  }
  return Status::OK();
}

Status EventFromLine(std::string_view line, size_t line_number, EventData* out) {
  const std::string where = "line " + std::to_string(line_number) + ": ";
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument(where + "not valid JSON");
  return EventFromJson(j, where, out);
}

Status EventFromJson(const Json& j, std::string_view where_view, EventData* out) {
  const std::string where(where_view);
  if (!j.is_object()) return Status::InvalidArgument(where + "not a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "type" && key != "data" && key != "metadata" && key != "id") {
      return Status::InvalidArgument(where + "unknown field \"" + key + "\"");
    }
  }
  if (!j.contains("type") || !j.at("type").is_string()) {
    return Status::InvalidArgument(where + "\"type\" must be a string");
  }
  if (!j.contains("data")) return Status::InvalidArgument(where + "\"data\" is missing");
  std::string metadata;
  if (j.contains("metadata") && !j["metadata"].is_null()) metadata = Dump(j["metadata"]);
  std::string id;
  if (j.contains("id")) {
    if (!j["id"].is_string()) return Status::InvalidArgument(where + "\"id\" must be a string");
    id = j["id"].get<std::string>();
  }
  Status s = EventFromArgs(j["type"].get<std::string>(), Dump(j["data"]), metadata, id, out);
  if (!s.ok()) return Status::InvalidArgument(where + s.message());
  return Status::OK();
}

Json EventToJson(const RecordedEvent& e) {
  Json j;
  j["stream"] = std::string(e.stream);
  j["version"] = e.version.value();
  j["position"] = e.position.value();
  j["id"] = e.id.ToString();
  j["type"] = std::string(e.type);
  j["data"] = BytesToJson(e.data, e.content_type == ContentType::kJson);
  j["metadata"] = BytesToJson(e.metadata, /*try_json=*/true);
  j["time"] = FormatTime(e.timestamp_us);
  return j;
}

Json AppendResultToJson(const StreamAppendResult& r) {
  Json j;
  j["stream"] = r.stream;
  j["first_version"] = r.first_version.value();
  j["last_version"] = r.last_version.value();
  j["first_position"] = r.first_position.value();
  j["last_position"] = r.last_position.value();
  return j;
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FormatTime(int64_t timestamp_us) {
  std::time_t seconds = static_cast<std::time_t>(timestamp_us / 1'000'000);
  int micros = static_cast<int>(timestamp_us % 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%06dZ", micros);
  return buf;
}

}  // namespace evlog::cli
