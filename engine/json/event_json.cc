#include "json/event_json.h"

#include <cstdint>
#include <ctime>
#include <functional>

#include "json/json_text.h"

namespace evlog::json {

namespace {

// "not valid JSON: <why>" from json_text's "is not valid JSON: <why>".
std::string NotValid(const Status& s) {
  constexpr std::string_view kPrefix = "is not valid JSON: ";
  std::string_view m = s.message();
  if (m.substr(0, kPrefix.size()) == kPrefix) m.remove_prefix(kPrefix.size());
  return "not valid JSON: " + std::string(m);
}

// A member's value as an event field: "event data ...", "field \"x\" ...".
std::string Field(std::string_view key) {
  if (key == "data" || key == "metadata") return "event " + std::string(key) + " ";
  return "field \"" + std::string(key) + "\" ";
}

// What follows an element of an array.
enum class After { kComma, kClose, kOther };

// Skips the space after an element at text[*i] and takes a ',' (kComma, with
// the space after it) or the closing `close` (kClose); kOther leaves *i at
// whatever else is there.
After TakeSeparator(std::string_view text, size_t* i, char close) {
  *i = SkipSpace(text, *i);
  if (*i < text.size() && text[*i] == ',') {
    *i = SkipSpace(text, *i + 1);
    return After::kComma;
  }
  if (*i < text.size() && text[*i] == close) {
    ++*i;
    return After::kClose;
  }
  return After::kOther;
}

// Words ForEachMember's faults in an event object, `where` first. The
// result holds `where` by reference: use it while `where` lives.
WordFault Worded(const std::string& where) {
  return [&where](const MemberFault& f) {
    const std::string key(f.key);
    const std::string at = std::to_string(f.offset);
    switch (f.kind) {
      case MemberFault::kNotObject:
        return Status::InvalidArgument(where + "not a JSON object");
      case MemberFault::kNoKey:
        return Status::InvalidArgument(where + "not valid JSON: expected a string key at offset " +
                                       at);
      case MemberFault::kBadKey:
        return Status::InvalidArgument(where + NotValid(f.cause));
      case MemberFault::kUnknownKey:
        return Status::InvalidArgument(where + "unknown field \"" + key + "\"");
      case MemberFault::kRepeatedKey:
        return Status::InvalidArgument(where + "field \"" + key + "\" is given twice");
      case MemberFault::kNoColon:
        return Status::InvalidArgument(where + "not valid JSON: expected ':' after \"" + key +
                                       "\"");
      case MemberFault::kBadValue:
        return Status::InvalidArgument(where + Field(key) + std::string(f.cause.message()));
      case MemberFault::kNoSeparator:
        break;
    }
    return Status::InvalidArgument(where + "not valid JSON: expected ',' or '}' at offset " + at);
  };
}

// Parses the event object at text[*pos] ('{') and sets *pos past it.
// With `stream` not null, the object must also name its "stream", set there.
Status EventFromObject(std::string_view text, size_t* pos, const std::string& where,
                       size_t max_depth, EventData* out, std::string* stream = nullptr) {
  std::string type, id;
  std::string_view data, metadata;
  std::vector<std::string> tags;
  bool has_type = false, has_data = false, has_stream = false;
  Status members = ForEachMember(
      text, pos, {"type", "data", "metadata", "id", "tags", "stream"}, max_depth,
      [&](std::string_view key, std::string_view value, size_t start) -> Status {
        if (key == "stream" && stream == nullptr) {
          return Status::InvalidArgument(where + "unknown field \"stream\"");
        }
        if (key == "type" || key == "id" || key == "stream") {
          if (value.front() != '"') {
            return Status::InvalidArgument(where + "\"" + std::string(key) + "\" must be a string");
          }
          size_t at = start;
          std::string* into = key == "type" ? &type : key == "id" ? &id : stream;
          if (Status s = DecodeString(text, &at, into); !s.ok()) return s;
          has_type = has_type || key == "type";
          has_stream = has_stream || key == "stream";
        } else if (key == "tags") {
          size_t at = start;
          if (Status s = DecodeStringArray(text, &at, &tags); !s.ok()) {
            return Status::InvalidArgument(where + "\"tags\" " + std::string(s.message()));
          }
        } else if (key == "data") {
          data = value;
          has_data = true;
        } else if (value != "null") {
          metadata = value;
        }
        return Status::OK();
      },
      Worded(where));
  if (!members.ok()) return members;
  if (stream != nullptr && !has_stream) {
    return Status::InvalidArgument(where + "\"stream\" is missing: without a STREAM argument "
                                   "each line names its stream");
  }
  if (!has_type) return Status::InvalidArgument(where + "\"type\" must be a string");
  if (!has_data) return Status::InvalidArgument(where + "\"data\" is missing");
  Status s = EventFromArgs(type, data, metadata, id, out, max_depth);
  if (!s.ok()) return Status::InvalidArgument(where + std::string(s.message()));
  out->tags = std::move(tags);
  return Status::OK();
}

}  // namespace

Status EventFromArgs(std::string_view type, std::string_view data, std::string_view metadata,
                     std::string_view id, EventData* out, size_t max_depth) {
  // The store refuses it too, but only here can the error name the line.
  if (type.empty()) return Status::InvalidArgument("event type is empty");
  out->type = std::string(type);
  if (Status s = Validate(data, max_depth); !s.ok()) {
    return Status::InvalidArgument("event data " + std::string(s.message()));
  }
  out->data = std::string(data);
  out->content_type = ContentType::kJson;
  if (!metadata.empty()) {
    if (Status s = Validate(metadata, max_depth); !s.ok()) {
      return Status::InvalidArgument("event metadata " + std::string(s.message()));
    }
  }
  out->metadata = std::string(metadata);
  if (!id.empty()) {
    std::optional<Uuid> parsed = Uuid::Parse(id);
    if (!parsed) return Status::InvalidArgument("event id is not a UUID: " + std::string(id));
    out->id = *parsed;
  }
  return Status::OK();
}

Status EventFromLine(std::string_view line, size_t line_number, EventData* out,
                     size_t max_depth) {
  return EventFromLine(line, line_number, out, nullptr, max_depth);
}

Status EventFromLine(std::string_view line, size_t line_number, EventData* out,
                     std::string* stream, size_t max_depth) {
  const std::string where = "line " + std::to_string(line_number) + ": ";
  size_t i = SkipSpace(line, 0);
  if (i >= line.size() || line[i] != '{') {
    Status s = Validate(line, max_depth);
    return Status::InvalidArgument(where + (s.ok() ? "not a JSON object" : NotValid(s)));
  }
  if (Status s = EventFromObject(line, &i, where, max_depth, out, stream); !s.ok()) return s;
  i = SkipSpace(line, i);
  if (i != line.size()) {
    const bool nul = line[i] == '\0';
    return Status::InvalidArgument(where + "not valid JSON: " +
                                   (nul ? "NUL byte" : "unexpected bytes") +
                                   " after the object at offset " + std::to_string(i));
  }
  return Status::OK();
}

Status EventsFromBody(std::string_view body, std::vector<EventData>* out, bool* syntax,
                      size_t max_depth) {
  *syntax = false;
  const auto bad_json = [&](std::string message) {
    *syntax = true;
    return Status::InvalidArgument(std::move(message));
  };
  // Syntax first, with no depth bound (the stack is a byte per level of a
  // body already bounded in size): nesting is the events' error, below.
  if (Status s = Validate(body, SIZE_MAX); !s.ok()) {
    return bad_json("the body " + std::string(s.message()) +
                    ": send one event object {\"type\":..,\"data\":..} or an array of them");
  }
  size_t i = SkipSpace(body, 0);
  const bool array = i < body.size() && body[i] == '[';
  if (i >= body.size() || (body[i] != '{' && !array)) {
    return bad_json("the body must be an event object or an array of them");
  }
  if (array) i = SkipSpace(body, i + 1);
  for (size_t n = 0;; ++n) {
    if (array && n == 0 && i < body.size() && body[i] == ']') {
      ++i;
      break;
    }
    if (i >= body.size() || body[i] != '{') {
      return bad_json("the body must be an event object or an array of them");
    }
    EventData event;
    const std::string where = "event " + std::to_string(n) + ": ";
    if (Status s = EventFromObject(body, &i, where, max_depth, &event); !s.ok()) return s;
    out->push_back(std::move(event));
    if (!array) break;
    const After after = TakeSeparator(body, &i, ']');
    if (after == After::kComma) continue;
    if (after == After::kClose) break;
    return bad_json("the body is not valid JSON: expected ',' or ']' after event " +
                    std::to_string(n));
  }
  i = SkipSpace(body, i);
  if (i != body.size()) {
    return bad_json("the body is not valid JSON: unexpected bytes after the events at offset " +
                    std::to_string(i));
  }
  return Status::OK();
}

ObjectText& ObjectText::String(std::string_view key, std::string_view value) {
  Key(key);
  text_ += StringText(value);
  return *this;
}

ObjectText& ObjectText::Number(std::string_view key, uint64_t value) {
  Key(key);
  text_ += std::to_string(value);
  return *this;
}

ObjectText& ObjectText::Bool(std::string_view key, bool value) {
  Key(key);
  text_ += value ? "true" : "false";
  return *this;
}

ObjectText& ObjectText::Raw(std::string_view key, std::string_view json) {
  Key(key);
  text_ += json;
  return *this;
}

ObjectText& ObjectText::Value(std::string_view key, std::string_view bytes, size_t max_depth) {
  if (Validate(bytes, max_depth).ok()) return Raw(key, bytes);
  return String(key, bytes);
}

ObjectText& ObjectText::Stored(std::string_view key, std::string_view bytes, bool try_json,
                               size_t max_depth) {
  if (bytes.empty()) return Raw(key, "null");
  if (try_json) return Value(key, bytes, max_depth);
  return String(key, bytes);
}

std::string ObjectText::Finish() {
  std::string out = std::move(text_);
  out += '}';
  text_ = "{";
  return out;
}

void ObjectText::Key(std::string_view key) {
  if (text_.size() > 1) text_ += ',';
  text_ += '"';
  text_ += key;
  text_ += "\":";
}

Status CheckRenderable(const RecordedEvent& e, size_t max_depth) {
  Status s = ValidateEventJson(e.content_type == ContentType::kJson, e.data, e.metadata, max_depth);
  if (s.ok()) return s;
  return Status::Corruption("the event of stream '" + std::string(e.stream) + "' version " +
                            std::to_string(e.version.value()) + " (position " +
                            std::to_string(e.position.value()) +
                            ") cannot be read: its " + std::string(s.message()));
}

void AddEventFields(const RecordedEvent& e, ObjectText* object, size_t max_depth) {
  object->String("stream", e.stream)
      .Number("version", e.version.value())
      .Number("position", e.position.value())
      .String("id", e.id.ToString())
      .String("type", e.type)
      .Stored("data", e.data, e.content_type == ContentType::kJson, max_depth)
      .Stored("metadata", e.metadata, /*try_json=*/true, max_depth)
      .String("time", FormatTime(e.timestamp_us));
  if (!e.tags.empty()) {
    std::string tags = "[";
    for (std::string_view tag : e.tags) {
      if (tags.size() > 1) tags += ',';
      tags += StringText(tag);
    }
    object->Raw("tags", tags + "]");
  }
}

std::string ErrorText(const Status& s) {
  ObjectText j;
  j.String("error", s.CodeName()).String("message", s.message());
  if (s.actual_version()) {
    j.String("stream", s.stream()).Number("actual_version", *s.actual_version());
  }
  if (s.conflicting_position()) j.Number("conflicting_position", *s.conflicting_position());
  return j.Finish();
}

std::string EventText(const RecordedEvent& event, size_t max_depth) {
  ObjectText object;
  AddEventFields(event, &object, max_depth);
  return object.Finish();
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string StringText(std::string_view bytes) { return Dump(Json(std::string(bytes))); }

Json AppendResultToJson(const StreamAppendResult& r, bool deduplicated) {
  Json j;
  j["stream"] = r.stream;
  j["first_version"] = r.first_version.value();
  j["last_version"] = r.last_version.value();
  j["first_position"] = r.first_position.value();
  j["last_position"] = r.last_position.value();
  j["deduplicated"] = deduplicated;
  if (!r.skipped.empty()) {
    Json& skipped = j["skipped"] = Json::array();
    for (const Uuid& id : r.skipped) skipped.push_back(id.ToString());
  }
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

}  // namespace evlog::json
