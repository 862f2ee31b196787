// query_json: the JSON of DCB queries and append conditions (docs/dcb.md),
// shared by the `evlog` CLI (--fail-if, query --query) and evlogd's HTTP
// routes (POST /query, the envelope form of an append body).
//
//   query:     {"items":[{"types":["T",..],"tags":["t",..]}, ..]}
//   condition: {"fail_if_events_match": <query>, "event_types":["T",..],
//               "categories":["c",..], "after": <position>}
//   envelope:  {"events":[<event>, ..], "condition": <condition>}
//   streams:   {"streams":[{"stream":"s","expect":<expected>,"events":[<event>, ..]}, ..],
//               "condition": <condition>}
//
// Every member is optional except "items", "streams", a stream's "stream"
// and "events", and one of a condition's "fail_if_events_match",
// "event_types" and "categories"; no other member is taken, none twice. An
// <expected> is a version number or one of spellings.h's words. All of it is checked with json_text.h
// first, so nothing recurses on hostile nesting. The limits on items, types
// and tags are the store's (Options), checked where the query is used.

#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "evlog/event_store.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog::json {

// Parses a query. InvalidArgument naming what is wrong.
Status QueryFromJson(std::string_view text, Query* out);

// Parses a condition; `after` defaults to 0 (a uniqueness guard).
Status ConditionFromJson(std::string_view text, AppendCondition* out);

// Whether an HTTP append body is the envelope form: an object whose first
// member is "events" or "condition". (An event object starts with another.)
bool IsAppendEnvelope(std::string_view body);

// Parses the envelope form of an append body into its events (each as
// EventsFromBody's) and its condition (nullopt when absent). `syntax` as
// EventsFromBody's.
Status AppendFromEnvelope(std::string_view body, std::vector<EventData>* events,
                          std::optional<AppendCondition>* condition, bool* syntax,
                          size_t max_depth);

// Parses a multi-stream append body (the streams form) into out->streams
// and out->condition; errors name the stream ("stream 1 event 0: ...").
// `syntax` as EventsFromBody's.
Status AppendFromStreamsBody(std::string_view body, AppendRequest* out, bool* syntax,
                             size_t max_depth);

}  // namespace evlog::json
