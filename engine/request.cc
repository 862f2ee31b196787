#include "request.h"

#include <algorithm>
#include <set>
#include <vector>

#include "codec.h"
#include "json/json_text.h"

namespace evlog {

namespace {

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

Status ValidateName(std::string_view what, std::string_view name, size_t max_bytes) {
  if (name.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (name.size() > max_bytes) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(name.size()) +
                                   " bytes; the limit is " + std::to_string(max_bytes));
  }
  if (name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + " contains a NUL byte");
  }
  if (!IsUtf8(name)) return Status::InvalidArgument(std::string(what) + " is not valid UTF-8");
  return Status::OK();
}

// JSON data must be valid JSON within the depth limit; metadata only when it
// looks like a JSON object or array (it is free bytes otherwise).
Status ValidateJson(const Options& options, const EventData& e) {
  Status s = json::ValidateEventJson(e.content_type == ContentType::kJson, e.data, e.metadata,
                                     options.max_json_depth);
  if (s.ok()) return s;
  return Status::InvalidArgument("event of type '" + e.type + "': " + std::string(s.message()));
}

Status ValidateTags(const Options& options, std::string_view what,
                    const std::vector<std::string>& tags) {
  if (tags.size() > options.max_tags_per_event) {
    return Status::InvalidArgument(std::string(what) + " has " + std::to_string(tags.size()) +
                                   " tags; the limit is " +
                                   std::to_string(options.max_tags_per_event));
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    if (tags[i].empty() || tags[i].size() > kMaxTagBytes) {
      return Status::InvalidArgument(std::string(what) + ": tag " + std::to_string(i + 1) + " is " +
                                     std::to_string(tags[i].size()) + " bytes; a tag is 1.." +
                                     std::to_string(kMaxTagBytes) + " bytes");
    }
  }
  return Status::OK();
}

Status ValidateQueryItem(const Options& options, const QueryItem& item, std::string_view what) {
  if (item.types.size() > options.max_query_items) {
    return Status::InvalidArgument(std::string(what) + " has " + std::to_string(item.types.size()) +
                                   " types; the limit is " +
                                   std::to_string(options.max_query_items));
  }
  for (const std::string& t : item.types) {
    if (ValidateName("event type", t, options.max_event_type_bytes).ok()) continue;
    // Again, to name the item: only a rejected type pays for the name.
    return ValidateName(std::string(what) + " event type", t, options.max_event_type_bytes);
  }
  return ValidateTags(options, what, item.tags);
}

}  // namespace

Status ValidateQuery(const Options& options, const Query& query) {
  if (query.items.size() > options.max_query_items) {
    return Status::InvalidArgument("query has " + std::to_string(query.items.size()) +
                                   " items; the limit is " +
                                   std::to_string(options.max_query_items));
  }
  for (size_t i = 0; i < query.items.size(); ++i) {
    if (ValidateQueryItem(options, query.items[i], "query item").ok()) continue;
    // Again, to name the item by its number: only a rejected query pays
    // for building the name (a read validates its query each time).
    return ValidateQueryItem(options, query.items[i], "query item " + std::to_string(i + 1));
  }
  return Status::OK();
}

Status ValidateStreamName(std::string_view name, size_t max_bytes, bool allow_reserved) {
  if (Status s = ValidateName("stream name", name, max_bytes); !s.ok()) return s;
  if (!allow_reserved && name.front() == '$') {
    return Status::InvalidArgument("stream name '" + std::string(name) +
                                   "' starts with '$', which is reserved for the system");
  }
  return Status::OK();
}

Status PrepareAppend(const Options& options, AppendRequest request, PendingAppend* out,
                     bool system) {
  if (request.streams.empty()) return Status::InvalidArgument("append has no streams");
  if (request.streams.size() > options.max_streams_per_append) {
    return Status::InvalidArgument("append names " + std::to_string(request.streams.size()) +
                                   " streams; the limit is " +
                                   std::to_string(options.max_streams_per_append));
  }
  size_t total_events = 0, total_bytes = 0, caller_ids = 0;
  std::set<std::string_view> names;
  std::vector<Uuid> ids;  // the caller's ids, when the append has more than one event
  const bool many_events = request.streams.size() > 1 || request.streams.front().events.size() > 1;
  for (const StreamAppend& sa : request.streams) {
    if (Status s = ValidateStreamName(sa.stream, options.max_stream_name_bytes, system); !s.ok()) {
      return s;
    }
    // One stream (most appends) cannot repeat itself: no set to fill.
    if (request.streams.size() > 1 && !names.insert(sa.stream).second) {
      return Status::InvalidArgument("stream '" + sa.stream + "' appears twice in one append");
    }
    if (sa.events.empty()) {
      return Status::InvalidArgument("append to '" + sa.stream + "' has no events");
    }
    total_events += sa.events.size();
    if (total_events > options.max_events_per_append) {
      return Status::InvalidArgument("append has more than " +
                                     std::to_string(options.max_events_per_append) +
                                     " events (the per-append limit)");
    }
    for (const EventData& e : sa.events) {
      if (Status s = ValidateName("event type", e.type, options.max_event_type_bytes); !s.ok()) {
        return s;
      }
      // No tags, nothing to check: and no message built for each event.
      if (!e.tags.empty()) {
        if (Status s = ValidateTags(options, "event of type '" + e.type + "'", e.tags); !s.ok()) {
          return s;
        }
      }
      size_t size = e.type.size() + e.data.size() + e.metadata.size();
      for (const std::string& t : e.tags) size += t.size();
      if (size > options.max_event_bytes) {
        return Status::InvalidArgument("event of type '" + e.type + "' is " + std::to_string(size) +
                                       " bytes; the limit is " +
                                       std::to_string(options.max_event_bytes));
      }
      // Binary data without metadata holds no JSON to check.
      if (e.content_type == ContentType::kJson || !e.metadata.empty()) {
        if (Status s = ValidateJson(options, e); !s.ok()) return s;
      }
      total_bytes += size;
      if (!e.id.is_nil()) {
        ++caller_ids;
        // One event (most appends) cannot repeat its id: nothing to collect.
        if (many_events) ids.push_back(e.id);
      }
    }
  }
  // Sorted, a repeated id sits beside its twin: one allocation, no node per id.
  std::sort(ids.begin(), ids.end());
  if (auto twin = std::adjacent_find(ids.begin(), ids.end()); twin != ids.end()) {
    return Status::IdempotencyConflict("event id " + twin->ToString() +
                                       " appears twice in one append");
  }
  if (total_bytes > options.max_append_bytes) {
    return Status::InvalidArgument("append is " + std::to_string(total_bytes) +
                                   " bytes; the limit is " +
                                   std::to_string(options.max_append_bytes));
  }
  if (request.condition) {
    for (const std::string& t : request.condition->event_types) {
      if (Status s = ValidateName("condition event type", t, options.max_event_type_bytes);
          !s.ok()) {
        return s;
      }
    }
    for (const std::string& c : request.condition->categories) {
      if (Status s = ValidateName("condition category", c, options.max_stream_name_bytes);
          !s.ok()) {
        return s;
      }
    }
    if (request.condition->fail_if_events_match) {
      if (Status s = ValidateQuery(options, *request.condition->fail_if_events_match); !s.ok()) {
        return Status::InvalidArgument("append condition: " + s.message());
      }
    }
  }

  out->records.clear();
  out->records.reserve(total_events);
  out->caller_id.clear();
  if (caller_ids > 0) out->caller_id.reserve(total_events);
  for (StreamAppend& sa : request.streams) {
    for (EventData& e : sa.events) {
      if (caller_ids > 0) out->caller_id.push_back(!e.id.is_nil());
      if (e.id.is_nil()) e.id = Uuid::Random();
      out->records.emplace_back();
      codec::EncodeEvent(sa.stream, e, e.id, &out->records.back());
      // The record holds the payload now; free the caller's copy early.
      std::string().swap(e.data);
      std::string().swap(e.metadata);
    }
  }
  out->caller_ids = caller_ids;
  out->total_events = total_events;
  out->bytes = total_bytes;
  out->request = std::move(request);
  return Status::OK();
}

}  // namespace evlog
