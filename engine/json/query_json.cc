#include "json/query_json.h"

#include <algorithm>
#include <set>
#include <string>

#include "json/decimal.h"
#include "json/event_json.h"
#include "json/json_text.h"

namespace evlog::json {

namespace {

// Calls on_member(key, value, value_offset) for each member of the object
// at text[*pos] ('{'); refuses keys not in `known` and keys given twice.
// Sets *pos past the object. `what` names the object in errors.
template <class OnMember>
Status ForEachMember(std::string_view text, size_t* pos, std::string_view what,
                     std::initializer_list<std::string_view> known, size_t max_depth,
                     OnMember on_member) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(std::string(what) + " " + why);
  };
  size_t i = *pos;
  if (i >= text.size() || text[i] != '{') return bad("must be a JSON object");
  i = SkipSpace(text, i + 1);
  std::set<std::string, std::less<>> seen;
  if (i < text.size() && text[i] == '}') {
    *pos = i + 1;
    return Status::OK();
  }
  for (;;) {
    std::string key;
    if (i >= text.size() || text[i] != '"') return bad("must be a JSON object");
    if (Status s = DecodeString(text, &i, &key); !s.ok()) return bad(std::string(s.message()));
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return bad("has an unknown member \"" + key + "\"");
    }
    if (!seen.insert(key).second) return bad("has \"" + key + "\" twice");
    i = SkipSpace(text, i);
    if (i >= text.size() || text[i] != ':') return bad("must be a JSON object");
    i = SkipSpace(text, i + 1);
    const size_t start = i;
    if (Status s = ScanValue(text, &i, max_depth); !s.ok()) {
      return bad("member \"" + key + "\" " + std::string(s.message()));
    }
    if (Status s = on_member(key, text.substr(start, i - start), start); !s.ok()) return s;
    i = SkipSpace(text, i);
    if (i < text.size() && text[i] == ',') {
      i = SkipSpace(text, i + 1);
      continue;
    }
    if (i < text.size() && text[i] == '}') break;
    return bad("must be a JSON object");
  }
  *pos = i + 1;
  return Status::OK();
}

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

Status ItemAt(std::string_view text, size_t* pos, size_t n, QueryItem* item) {
  const std::string what = "query item " + std::to_string(n);
  return ForEachMember(text, pos, what, {"types", "tags"}, kMaxDepth,
                       [&](std::string_view key, std::string_view value, size_t) {
                         return StringsOf(value, what + " \"" + std::string(key) + "\"",
                                          key == "types" ? &item->types : &item->tags);
                       });
}

Status QueryAt(std::string_view text, size_t* pos, Query* out) {
  bool has_items = false;
  Status s = ForEachMember(
      text, pos, "the query", {"items"}, kMaxDepth,
      [&](std::string_view, std::string_view value, size_t start) -> Status {
        has_items = true;
        size_t i = start;
        if (value.front() != '[') {
          return Status::InvalidArgument("the query's \"items\" must be an array of objects");
        }
        i = SkipSpace(text, i + 1);
        if (i < text.size() && text[i] == ']') return Status::OK();
        for (size_t n = 0;; ++n) {
          QueryItem item;
          if (Status e = ItemAt(text, &i, n, &item); !e.ok()) return e;
          out->items.push_back(std::move(item));
          i = SkipSpace(text, i);
          if (text[i] == ']') return Status::OK();
          i = SkipSpace(text, i + 1);  // the ',' (the array was scanned whole)
        }
      });
  if (!s.ok()) return s;
  if (!has_items) return Status::InvalidArgument("the query has no \"items\"");
  return Status::OK();
}

Status ConditionAt(std::string_view text, size_t* pos, AppendCondition* out) {
  bool has_query = false;
  Status s = ForEachMember(
      text, pos, "the condition", {"fail_if_events_match", "after"}, kMaxDepth,
      [&](std::string_view key, std::string_view value, size_t start) -> Status {
        if (key == "after") {
          Result<uint64_t> after = ParseUnsigned(value, "the condition's \"after\"");
          if (!after.ok()) return after.status();
          out->after = Position(*after);
          return Status::OK();
        }
        has_query = true;
        Query query;
        size_t i = start;
        if (Status e = QueryAt(text, &i, &query); !e.ok()) return e;
        out->fail_if_events_match = std::move(query);
        return Status::OK();
      });
  if (!s.ok()) return s;
  if (!has_query) return Status::InvalidArgument("the condition has no \"fail_if_events_match\"");
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

Status AppendFromEnvelope(std::string_view body, std::vector<EventData>* events,
                          std::optional<AppendCondition>* condition, bool* syntax,
                          size_t max_depth) {
  *syntax = false;
  if (Status s = Validate(body, SIZE_MAX); !s.ok()) {
    *syntax = true;
    return Status::InvalidArgument("the body " + std::string(s.message()));
  }
  bool has_events = false;
  size_t i = SkipSpace(body, 0);
  Status s = ForEachMember(
      body, &i, "the body", {"events", "condition"}, SIZE_MAX,
      [&](std::string_view key, std::string_view value, size_t start) -> Status {
        if (key == "events") {
          has_events = true;
          if (value.front() != '[') {
            *syntax = true;
            return Status::InvalidArgument("the body's \"events\" must be an array of events");
          }
          return EventsFromBody(value, events, syntax, max_depth);
        }
        AppendCondition c;
        size_t at = start;
        if (Status e = ConditionAt(body, &at, &c); !e.ok()) return e;
        *condition = std::move(c);
        return Status::OK();
      });
  if (!s.ok()) return s;
  if (!has_events) return Status::InvalidArgument("the body has no \"events\"");
  return Status::OK();
}

}  // namespace evlog::json
