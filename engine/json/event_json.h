// event_json: the JSON shape of an event, shared by the `evlog` CLI and
// evlogd's HTTP routes (so a curl body looks like an `append` line and a
// response like `read` output). The library evlog_json, below both.
//
// Input events are JSON objects {"type":..,"data":..,"metadata":..,"id":..,
// "tags":[..]}; output events are one object with stream, version,
// position, id, type, data, metadata and time, in that order, then "tags"
// when the event has any (so events without tags print as they always
// have). Tags are JSON strings: any bytes a JSON string can spell, NUL
// included; a tag that is not valid UTF-8 (appended through the C++ or C
// API) prints with U+FFFD in place of the bad bytes.
//
// Exact bytes: the `data` and `metadata` values of an input object are
// stored as the bytes of their JSON text, never parsed into numbers and
// re-serialised (1180591620717411303424 stays so, {"k":1,"k":2} keeps both
// members, whitespace stays); output embeds stored JSON as those bytes. All
// of it is checked with json_text.h, so nothing here recurses on the input's
// nesting.

#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "evlog/options.h"
#include "evlog/status.h"
#include "evlog/store.h"

namespace evlog::json {

using Json = nlohmann::ordered_json;

// The nesting limit the CLI and evlogd parse and render with: the store's
// default (Options::max_json_depth).
inline constexpr size_t kMaxDepth = Options{}.max_json_depth;

// Builds an event from JSON text values. `data` must be valid JSON and
// `metadata` empty or valid JSON, each nesting at most `max_depth` levels;
// `id` empty or a UUID. They are stored as given. InvalidArgument otherwise.
Status EventFromArgs(std::string_view type, std::string_view data, std::string_view metadata,
                     std::string_view id, EventData* out, size_t max_depth = kMaxDepth);

// Parses one input line {"type":..,"data":..,"metadata":..,"id":..,
// "tags":[..]}: type a string, data any JSON value, metadata any JSON value
// (null for none), id a UUID string, tags an array of strings (their limits
// are the store's: Options::max_tags_per_event, 1..255 bytes each); no
// other field, none twice. InvalidArgument, its message
// starting "line <line_number>: ", if it is not such an object or has
// anything after it (a NUL byte included).
Status EventFromLine(std::string_view line, size_t line_number, EventData* out,
                     size_t max_depth = kMaxDepth);

// The same for a line of a multi-stream append: it must also name its
// "stream" (a string), set in *stream.
Status EventFromLine(std::string_view line, size_t line_number, EventData* out,
                     std::string* stream, size_t max_depth = kMaxDepth);

// Parses an HTTP append body: one event object as EventFromLine's, or a JSON
// array of them. InvalidArgument; *syntax is set when the body itself is not
// JSON (checked first, at any depth, without recursion), not an object or
// array, or not an array of objects ("bad_json"),
// left false when an event in it is wrong (messages "event <i>: ...").
Status EventsFromBody(std::string_view body, std::vector<EventData>* out, bool* syntax,
                      size_t max_depth = kMaxDepth);

// A compact JSON object built as text, members in the order added. Keys are
// written as given (they are ours); string values are escaped, invalid UTF-8
// replaced by U+FFFD.
class ObjectText {
 public:
  ObjectText& String(std::string_view key, std::string_view value);
  ObjectText& Number(std::string_view key, uint64_t value);
  ObjectText& Bool(std::string_view key, bool value);
  // REQUIRES: `json` is one valid JSON text.
  ObjectText& Raw(std::string_view key, std::string_view json);
  // Stored bytes: their own text when they are valid JSON within
  // `max_depth`; otherwise a string (a view value, a snapshot's state).
  ObjectText& Value(std::string_view key, std::string_view bytes, size_t max_depth = kMaxDepth);
  // Stored bytes of an event: null when empty, else as Value when
  // `try_json`, else a string.
  ObjectText& Stored(std::string_view key, std::string_view bytes, bool try_json,
                     size_t max_depth = kMaxDepth);
  // The object's text; the builder is left empty.
  std::string Finish();

 private:
  void Key(std::string_view key);
  std::string text_ = "{";
};

// Whether `event` can be rendered: its JSON data (and metadata that looks
// like JSON) valid within `max_depth`, as every append checks. Corruption
// naming the stream, version and position otherwise — an event stored
// beyond the limit (by another program, or an older evlog) reads as this
// error, never as a string or a crash. Every renderer of events (the CLI,
// HTTP pages and SSE) checks it first.
Status CheckRenderable(const RecordedEvent& event, size_t max_depth = kMaxDepth);

// Adds the output fields of `event` (stream .. time) to `object`. Data whose
// content type is JSON and metadata are embedded as their stored text when
// they are valid JSON within `max_depth`, else as strings (metadata that is
// free bytes; see CheckRenderable for what must not be rendered at all).
void AddEventFields(const RecordedEvent& event, ObjectText* object, size_t max_depth = kMaxDepth);

// {"error":<code name>,"message":..} for `status`, plus "stream" and
// "actual_version" for a WrongExpectedVersion and "conflicting_position"
// for a ConditionFailed that names one: the one error shape of the CLI
// (stderr) and evlogd's HTTP bodies.
std::string ErrorText(const Status& status);

// The output object of one event (AddEventFields alone).
std::string EventText(const RecordedEvent& event, size_t max_depth = kMaxDepth);

// `text` as one line of JSON lines: CR and LF become spaces. Applied to our
// own rendering, where raw CR and LF can only be insignificant whitespace
// inside embedded stored JSON, so the value is unchanged.
std::string OneLine(std::string text);

// `bytes` as a JSON string literal (invalid UTF-8 replaced by U+FFFD).
std::string StringText(std::string_view bytes);

// {"stream":..,"first_version":..,"last_version":..,"first_position":..,"last_position":..,
//  "deduplicated":..[,"skipped":[ids]]}: one stream's part of an append,
// whether the whole append was an already committed one
// (AppendResult::deduplicated), and the ids the duplicate policy skip left
// out (only when there are any).
Json AppendResultToJson(const StreamAppendResult& result, bool deduplicated);

// One compact line of a parsed value, never throwing on invalid UTF-8.
// Only for values we build (they nest a few levels), never for user JSON.
std::string Dump(const Json& j);

// "2026-11-24T15:30:50.123456Z"
std::string FormatTime(int64_t timestamp_us);

}  // namespace evlog::json
