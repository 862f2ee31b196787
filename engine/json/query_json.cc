#include "json/query_json.h"

#include <functional>
#include <string>

#include "json/decimal.h"
#include "json/event_json.h"
#include "json/json_text.h"
#include "json/spellings.h"

namespace evlog::json {

namespace {

// The whole of `text` is one value that `parse` takes from offset 0.
template <class Parse>
Status Whole(std::string_view text, std::string_view what, Parse parse) {
  if (Status s = Validate(text, kMaxDepth); !s.ok()) {
    return Status::InvalidArgument(std::string(what) + " " + std::string(s.message()));
  }
  size_t i = SkipSpace(text, 0);
  return parse(&i);
}

Status StringsOf(std::string_view value, std::string_view what, std::vector<std::string>* out) {
  size_t at = 0;
  if (Status s = DecodeStringArray(value, &at, out); !s.ok()) {
    return Status::InvalidArgument(std::string(what) + " " + std::string(s.message()));
  }
  return Status::OK();
}

// Calls element(&i, n) for the n-th element of the array at text[start]
// ('['), i at the element; `element` sets i past it. The array was scanned
// whole, so ',' or ']' follows each element.
template <class Element>
Status ForEachElement(std::string_view text, size_t start, Element element) {
  size_t i = SkipSpace(text, start + 1);
  if (text[i] == ']') return Status::OK();
  for (size_t n = 0;; ++n) {
    if (Status e = element(&i, n); !e.ok()) return e;
    i = SkipSpace(text, i);
    if (text[i] == ']') return Status::OK();
    i = SkipSpace(text, i + 1);  // the ','
  }
}

Status ItemAt(std::string_view text, size_t* pos, size_t n, QueryItem* item) {
  const std::string what = "query item " + std::to_string(n);
  return ForEachMember(
      text, pos, {"types", "tags"}, kMaxDepth,
      [&](std::string_view key, std::string_view value, size_t) {
        return StringsOf(value, what + " \"" + std::string(key) + "\"",
                         key == "types" ? &item->types : &item->tags);
      },
      WordedAs(what));
}

Status QueryAt(std::string_view text, size_t* pos, Query* out) {
  bool has_items = false;
  Status s = ForEachMember(
      text, pos, {"items"}, kMaxDepth,
      [&](std::string_view, std::string_view value, size_t start) -> Status {
        has_items = true;
        if (value.front() != '[') {
          return Status::InvalidArgument("the query's \"items\" must be an array of objects");
        }
        return ForEachElement(text, start, [&](size_t* at, size_t n) {
          QueryItem item;
          if (Status e = ItemAt(text, at, n, &item); !e.ok()) return e;
          out->items.push_back(std::move(item));
          return Status::OK();
        });
      },
      WordedAs("the query"));
  if (!s.ok()) return s;
  if (!has_items) return Status::InvalidArgument("the query has no \"items\"");
  return Status::OK();
}

Status ConditionAt(std::string_view text, size_t* pos, AppendCondition* out) {
  bool has_query = false;
  Status s = ForEachMember(
      text, pos, {"fail_if_events_match", "event_types", "categories", "after"}, kMaxDepth,
      [&](std::string_view key, std::string_view value, size_t start) -> Status {
        if (key == "after") {
          Result<uint64_t> after = ParseUnsigned(value, "the condition's \"after\"");
          if (!after.ok()) return after.status();
          out->after = Position(*after);
          return Status::OK();
        }
        if (key == "event_types" || key == "categories") {
          has_query = true;
          return StringsOf(value, "the condition's \"" + std::string(key) + "\"",
                           key == "event_types" ? &out->event_types : &out->categories);
        }
        has_query = true;
        Query query;
        size_t i = start;
        if (Status e = QueryAt(text, &i, &query); !e.ok()) return e;
        out->fail_if_events_match = std::move(query);
        return Status::OK();
      },
      WordedAs("the condition"));
  if (!s.ok()) return s;
  if (!has_query) {
    return Status::InvalidArgument(
        "the condition has no \"fail_if_events_match\", \"event_types\" or \"categories\"");
  }
  return Status::OK();
}

// The "condition" member of an append body at text[start].
Status ConditionMember(std::string_view text, size_t start,
                       std::optional<AppendCondition>* condition) {
  AppendCondition c;
  size_t at = start;
  if (Status e = ConditionAt(text, &at, &c); !e.ok()) return e;
  *condition = std::move(c);
  return Status::OK();
}

// The "expect" of a stream: a version number or one of the spellings.
Status ExpectAt(std::string_view text, size_t start, std::string_view value, std::string_view what,
                ExpectedVersion* out) {
  std::string word(value);
  if (value.front() == '"') {
    size_t at = start;
    if (Status s = DecodeString(text, &at, &word); !s.ok()) return s;
  }
  Result<ExpectedVersion> e = ParseExpectedVersion(word, what);
  if (!e.ok()) return e.status();
  *out = *e;
  return Status::OK();
}

// One entry of a multi-stream body's "streams": {"stream","expect","events"}.
Status StreamAt(std::string_view text, size_t* pos, size_t n, StreamAppend* out, bool* syntax,
                size_t max_depth) {
  const std::string what = "stream " + std::to_string(n);
  bool has_stream = false, has_events = false;
  Status s = ForEachMember(
      text, pos, {"stream", "expect", "events"}, SIZE_MAX,
      [&](std::string_view key, std::string_view value, size_t start) -> Status {
        if (key == "stream") {
          has_stream = true;
          size_t at = start;
          if (value.front() != '"' || !DecodeString(text, &at, &out->stream).ok()) {
            return Status::InvalidArgument(what + " \"stream\" must be a string");
          }
          return Status::OK();
        }
        if (key == "expect") {
          return ExpectAt(text, start, value, what + " \"expect\"", &out->expected);
        }
        has_events = true;
        if (value.front() != '[') {
          return Status::InvalidArgument(what + " \"events\" must be an array of events");
        }
        Status e = EventsFromBody(value, &out->events, syntax, max_depth);
        if (e.ok()) return e;
        return Status::InvalidArgument(what + " " + std::string(e.message()));
      },
      WordedAs(what));
  if (!s.ok()) return s;
  if (!has_stream) return Status::InvalidArgument(what + " has no \"stream\"");
  if (!has_events) return Status::InvalidArgument(what + " has no \"events\"");
  return Status::OK();
}

// The whole body is valid JSON, or *syntax and the error.
Status CheckBodySyntax(std::string_view body, bool* syntax) {
  *syntax = false;
  if (Status s = Validate(body, SIZE_MAX); !s.ok()) {
    *syntax = true;
    return Status::InvalidArgument("the body " + std::string(s.message()));
  }
  return Status::OK();
}

}  // namespace

Status QueryFromJson(std::string_view text, Query* out) {
  return Whole(text, "the query", [&](size_t* i) { return QueryAt(text, i, out); });
}

Status ConditionFromJson(std::string_view text, AppendCondition* out) {
  return Whole(text, "the condition", [&](size_t* i) { return ConditionAt(text, i, out); });
}

bool IsAppendEnvelope(std::string_view body) {
  size_t i = SkipSpace(body, 0);
  if (i >= body.size() || body[i] != '{') return false;
  i = SkipSpace(body, i + 1);
  return body.substr(i).starts_with("\"events\"") || body.substr(i).starts_with("\"condition\"");
}

namespace {

// Walks an append body of two members: `list`, an array of `what`, whose
// value and offset go to on_list, and an optional "condition". Sets
// *has_list when `list` is there.
Status ListAndCondition(std::string_view body, std::string_view list, std::string_view what,
                        std::optional<AppendCondition>* condition, bool* syntax, bool* has_list,
                        const std::function<Status(std::string_view value, size_t start)>& on_list) {
  if (Status s = CheckBodySyntax(body, syntax); !s.ok()) return s;
  size_t i = SkipSpace(body, 0);
  return ForEachMember(
      body, &i, {list, "condition"}, SIZE_MAX,
      [&](std::string_view key, std::string_view value, size_t start) -> Status {
        if (key == "condition") return ConditionMember(body, start, condition);
        *has_list = true;
        if (value.front() != '[') {
          *syntax = true;
          return Status::InvalidArgument("the body's \"" + std::string(list) +
                                         "\" must be an array of " + std::string(what));
        }
        return on_list(value, start);
      },
      WordedAs("the body"));
}

}  // namespace

Status AppendFromEnvelope(std::string_view body, std::vector<EventData>* events,
                          std::optional<AppendCondition>* condition, bool* syntax,
                          size_t max_depth) {
  bool has_events = false;
  Status s = ListAndCondition(body, "events", "events", condition, syntax, &has_events,
                              [&](std::string_view value, size_t) {
                                return EventsFromBody(value, events, syntax, max_depth);
                              });
  if (!s.ok()) return s;
  if (!has_events) return Status::InvalidArgument("the body has no \"events\"");
  return Status::OK();
}

Status AppendFromStreamsBody(std::string_view body, AppendRequest* out, bool* syntax,
                             size_t max_depth) {
  bool has_streams = false;
  Status s = ListAndCondition(
      body, "streams", "objects", &out->condition, syntax, &has_streams,
      [&](std::string_view, size_t start) {
        return ForEachElement(body, start, [&](size_t* at, size_t n) {
          StreamAppend stream;
          if (Status e = StreamAt(body, at, n, &stream, syntax, max_depth); !e.ok()) return e;
          out->streams.push_back(std::move(stream));
          return Status::OK();
        });
      });
  if (!s.ok()) return s;
  if (!has_streams || out->streams.empty()) {
    return Status::InvalidArgument(
        "the body has no \"streams\": send {\"streams\":[{\"stream\":..,\"expect\":..,"
        "\"events\":[..]}, ..]}");
  }
  return Status::OK();
}

}  // namespace evlog::json
