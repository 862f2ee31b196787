// event_json: the CLI's JSON shapes. Input events are JSON objects
// {"type":..., "data":..., "metadata":..., "id":...}; output events are
// one JSON object per line with stream, version, position, id, type, data,
// metadata and time.

#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "evlog/status.h"
#include "evlog/store.h"

namespace evlog::cli {

using Json = nlohmann::ordered_json;

// Builds an event from JSON text values. `data` and `metadata` must be valid
// JSON (metadata may be empty); `id` empty or a UUID. InvalidArgument
// otherwise.
Status EventFromArgs(std::string_view type, std::string_view data, std::string_view metadata,
                     std::string_view id, EventData* out);

// Builds an event from a parsed object {"type":..,"data":..,"metadata":..,"id":..}.
// InvalidArgument, its message starting with `where`, if `j` is not such an
// object.
Status EventFromJson(const Json& j, std::string_view where, EventData* out);

// Parses one input line {"type":..,"data":..,"metadata":..,"id":..}.
// InvalidArgument, naming `line_number`, if it is not such an object.
Status EventFromLine(std::string_view line, size_t line_number, EventData* out);

// The output shape of one event.
Json EventToJson(const RecordedEvent& event);

// {"stream":..,"first_version":..,"last_version":..,"first_position":..,"last_position":..}
Json AppendResultToJson(const StreamAppendResult& result);

// One compact line, never throwing on invalid UTF-8.
std::string Dump(const Json& j);

// "2026-11-24T15:30:50.123456Z"
std::string FormatTime(int64_t timestamp_us);

}  // namespace evlog::cli
