// The C API (evlog/c.h): each function converts its arguments, calls the
// Store and converts the result back. No exception crosses it: the Store
// returns statuses, and an allocation failure ends the process as it would
// in C.

#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "evlog/c.h"
#include "evlog/store.h"

struct evlog_store_t {
  std::unique_ptr<evlog::Store> store;
};

struct evlog_events_t {
  std::vector<evlog::OwnedEvent> events;
};

static_assert(EVLOG_NOT_FOUND == static_cast<int>(evlog::Status::Code::kNotFound) &&
                  EVLOG_BUSY == static_cast<int>(evlog::Status::Code::kBusy) &&
                  EVLOG_TRIMMED == static_cast<int>(evlog::Status::Code::kTrimmed),
              "evlog_code_t numbers the codes as evlog::Status::Code");

namespace {

evlog_code_t Fail(const evlog::Status& status, char** errptr) {
  if (errptr != nullptr) {
    free(*errptr);
    const std::string text = status.ToString();
    *errptr = static_cast<char*>(malloc(text.size() + 1));
    memcpy(*errptr, text.c_str(), text.size() + 1);
  }
  return static_cast<evlog_code_t>(status.code());
}

// Collects what `it` yields: the read's options bound it (max_count).
evlog_code_t Drain(evlog::EventIterator& it, evlog_events_t** result, char** errptr) {
  auto out = std::make_unique<evlog_events_t>();
  for (; it.Valid(); it.Next()) {
    out->events.push_back(evlog::OwnedEvent::From(it.event()));
  }
  if (!it.status().ok()) return Fail(it.status(), errptr);
  *result = out.release();
  return EVLOG_OK;
}

evlog_code_t ReadStream(evlog_store_t* store, const char* stream, uint64_t from,
                        size_t max_count, evlog::Direction direction, evlog_events_t** result,
                        char** errptr) {
  if (store == nullptr || stream == nullptr || result == nullptr) {
    return Fail(evlog::Status::InvalidArgument("store, stream or result is NULL"), errptr);
  }
  evlog::ReadStreamOptions options;
  if (from > 0) options.from = evlog::Version(from);
  options.max_count = max_count;
  options.direction = direction;
  auto it = store->store->ReadStream(stream, options);
  if (!it.ok()) return Fail(it.status(), errptr);
  return Drain(**it, result, errptr);
}

}  // namespace

extern "C" {

evlog_store_t* evlog_open(const char* path, char** errptr) {
  if (path == nullptr) {
    Fail(evlog::Status::InvalidArgument("path is NULL"), errptr);
    return nullptr;
  }
  auto store = evlog::Store::Open(evlog::Options{}, path);
  if (!store.ok()) {
    Fail(store.status(), errptr);
    return nullptr;
  }
  return new evlog_store_t{std::move(store).value()};
}

void evlog_close(evlog_store_t* store) { delete store; }

}  // extern "C"

namespace {

// The bytes of tags[0..n); InvalidArgument naming `what` for a NULL.
evlog::Status Tags(const evlog_tag_t* tags, size_t n, const std::string& what,
                   std::vector<std::string>* out) {
  if (tags == nullptr && n > 0) return evlog::Status::InvalidArgument(what + " tags are NULL");
  for (size_t t = 0; t < n; ++t) {
    if (tags[t].data == nullptr && tags[t].len > 0) {
      return evlog::Status::InvalidArgument(what + " tag " + std::to_string(t) + " is NULL");
    }
    out->emplace_back(tags[t].data == nullptr ? "" : std::string(tags[t].data, tags[t].len));
  }
  return evlog::Status::OK();
}

// The C strings strings[0..n); InvalidArgument "<what>s are NULL" or
// "<what> <i> is NULL" for a NULL.
evlog::Status StringsOf(const char* const* strings, size_t n, const std::string& what,
                        std::vector<std::string>* out) {
  if (strings == nullptr && n > 0) return evlog::Status::InvalidArgument(what + "s are NULL");
  for (size_t t = 0; t < n; ++t) {
    if (strings[t] == nullptr) {
      return evlog::Status::InvalidArgument(what + " " + std::to_string(t) + " is NULL");
    }
    out->emplace_back(strings[t]);
  }
  return evlog::Status::OK();
}

evlog::Status QueryOf(const evlog_query_item_t* items, size_t n, evlog::Query* out) {
  if (items == nullptr && n > 0) return evlog::Status::InvalidArgument("query items are NULL");
  for (size_t i = 0; i < n; ++i) {
    const evlog_query_item_t& item = items[i];
    const std::string what = "query item " + std::to_string(i);
    evlog::QueryItem q;
    if (evlog::Status s = StringsOf(item.types, item.n_types, what + " type", &q.types); !s.ok()) {
      return s;
    }
    if (evlog::Status s = Tags(item.tags, item.n_tags, what, &q.tags); !s.ok()) return s;
    out->items.push_back(std::move(q));
  }
  return evlog::Status::OK();
}

// evlog_query's and evlog_query_each's from, max_count and backward.
evlog::QueryOptions QueryOptionsOf(uint64_t from, size_t max_count, int backward) {
  evlog::QueryOptions options;
  if (from > 0) options.from = evlog::Position(from);
  options.max_count = max_count;
  options.direction = backward ? evlog::Direction::kBackward : evlog::Direction::kForward;
  return options;
}

// A view's bytes: never NULL, "" for none (as the accessors' strings).
const char* BytesOf(std::string_view s) { return s.empty() ? "" : s.data(); }

evlog::Status ExpectedOf(int64_t expected_version, evlog::ExpectedVersion* out) {
  switch (expected_version) {
    case EVLOG_EXPECT_ANY:
      *out = evlog::ExpectedVersion::Any();
      return evlog::Status::OK();
    case EVLOG_EXPECT_NO_STREAM:
      *out = evlog::ExpectedVersion::NoStream();
      return evlog::Status::OK();
    case EVLOG_EXPECT_STREAM_EXISTS:
      *out = evlog::ExpectedVersion::StreamExists();
      return evlog::Status::OK();
    default:
      if (expected_version < 0) {
        return evlog::Status::InvalidArgument("expected_version " +
                                              std::to_string(expected_version) +
                                              " is neither a version nor an EVLOG_EXPECT_");
      }
      *out = evlog::ExpectedVersion::Exact(evlog::Version(static_cast<uint64_t>(expected_version)));
      return evlog::Status::OK();
  }
}

// `n` events, the i-th from event_at(i) and its tags from tags_at(i, &tags),
// appended to *out; `what` names them in errors ("event 3", "stream 1 event 3").
template <class EventAt, class TagsAt>
evlog::Status EventsOf(size_t n, EventAt event_at, TagsAt tags_at, evlog::ContentType content_type,
                       const std::string& what, std::vector<evlog::EventData>* out) {
  out->reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const evlog_event_t& e = event_at(i);
    if (e.type == nullptr || (e.data == nullptr && e.data_len > 0)) {
      return evlog::Status::InvalidArgument(what + std::to_string(i) +
                                            " has a NULL type or data");
    }
    evlog::EventData d;
    d.type = e.type;
    d.content_type = content_type;
    if (e.data_len > 0) d.data.assign(e.data, e.data_len);
    if (e.id != nullptr) {
      std::array<uint8_t, 16> bytes;
      memcpy(bytes.data(), e.id, bytes.size());
      d.id = evlog::Uuid(bytes);
    }
    if (evlog::Status s = tags_at(i, &d.tags); !s.ok()) return s;
    out->push_back(std::move(d));
  }
  return evlog::Status::OK();
}

// Appends `request`; on failure sets *conflicting_position (if not NULL) to
// a failed condition's first match.
evlog::Result<evlog::AppendResult> Commit(evlog_store_t* store, evlog::AppendRequest request,
                                          uint64_t* conflicting_position) {
  auto result = store->store->Append(std::move(request));
  if (!result.ok() && conflicting_position != nullptr &&
      result.status().conflicting_position()) {
    *conflicting_position = *result.status().conflicting_position();
  }
  return result;
}

// An append of `n` events to one stream (see EventsOf); `condition` may be
// NULL.
template <class EventAt, class TagsAt>
evlog_code_t Append(evlog_store_t* store, const char* stream, int64_t expected_version, size_t n,
                    EventAt event_at, TagsAt tags_at, evlog::ContentType content_type,
                    const evlog_condition_t* condition, uint64_t* first_position,
                    uint64_t* conflicting_position, char** errptr) {
  if (store == nullptr || stream == nullptr) {
    return Fail(evlog::Status::InvalidArgument("store, stream or events is NULL"), errptr);
  }
  evlog::StreamAppend append{.stream = stream};
  if (evlog::Status s = ExpectedOf(expected_version, &append.expected); !s.ok()) {
    return Fail(s, errptr);
  }
  if (evlog::Status s = EventsOf(n, event_at, tags_at, content_type, "event ", &append.events);
      !s.ok()) {
    return Fail(s, errptr);
  }
  evlog::AppendRequest request{.streams = {std::move(append)}};
  if (condition != nullptr) {
    evlog::Query query;
    if (evlog::Status s = QueryOf(condition->items, condition->n_items, &query); !s.ok()) {
      return Fail(s, errptr);
    }
    request.condition = evlog::AppendCondition{.after = evlog::Position(condition->after),
                                               .fail_if_events_match = std::move(query)};
  }
  auto result = Commit(store, std::move(request), conflicting_position);
  if (!result.ok()) return Fail(result.status(), errptr);
  if (first_position != nullptr) *first_position = result->streams[0].first_position.value();
  return EVLOG_OK;
}

// evlog_append and evlog_append_json: events without tags or condition.
evlog_code_t AppendPlain(evlog_store_t* store, const char* stream, int64_t expected_version,
                         const evlog_event_t* events, size_t n, evlog::ContentType content_type,
                         uint64_t* first_position, char** errptr) {
  if (events == nullptr && n > 0) {
    return Fail(evlog::Status::InvalidArgument("store, stream or events is NULL"), errptr);
  }
  return Append(
      store, stream, expected_version, n, [&](size_t i) -> const evlog_event_t& { return events[i]; },
      [](size_t, std::vector<std::string>*) { return evlog::Status::OK(); }, content_type, nullptr,
      first_position, nullptr, errptr);
}

// The append condition `c` asks for, if any.
evlog::Status ConditionOf(const evlog_append_condition_t& c,
                          std::optional<evlog::AppendCondition>* out) {
  if (c.n_types == 0 && c.n_categories == 0 && !c.has_query) return evlog::Status::OK();
  evlog::AppendCondition condition{.after = evlog::Position(c.after)};
  if (evlog::Status s = StringsOf(c.types, c.n_types, "condition type", &condition.event_types);
      !s.ok()) {
    return s;
  }
  if (evlog::Status s =
          StringsOf(c.categories, c.n_categories, "condition category", &condition.categories);
      !s.ok()) {
    return s;
  }
  if (c.has_query) {
    evlog::Query query;
    if (evlog::Status s = QueryOf(c.items, c.n_items, &query); !s.ok()) return s;
    condition.fail_if_events_match = std::move(query);
  }
  *out = std::move(condition);
  return evlog::Status::OK();
}

evlog::Status RequestOf(const evlog_stream_append_t* streams, size_t n_streams,
                        const evlog_append_options_t& options, evlog::AppendRequest* out) {
  if (streams == nullptr && n_streams > 0) {
    return evlog::Status::InvalidArgument("streams are NULL");
  }
  const auto content_type = options.json ? evlog::ContentType::kJson : evlog::ContentType::kBinary;
  for (size_t k = 0; k < n_streams; ++k) {
    const evlog_stream_append_t& sa = streams[k];
    const std::string what = "stream " + std::to_string(k);
    if (sa.stream == nullptr || (sa.events == nullptr && sa.n > 0)) {
      return evlog::Status::InvalidArgument(what + " has a NULL name or events");
    }
    evlog::StreamAppend append{.stream = sa.stream};
    if (evlog::Status s = ExpectedOf(sa.expected_version, &append.expected); !s.ok()) return s;
    const std::string event = what + " event ";
    evlog::Status s = EventsOf(
        sa.n, [&](size_t i) -> const evlog_event_t& { return sa.events[i].event; },
        [&](size_t i, std::vector<std::string>* tags) {
          return Tags(sa.events[i].tags, sa.events[i].n_tags, event + std::to_string(i), tags);
        },
        content_type, event, &append.events);
    if (!s.ok()) return s;
    out->streams.push_back(std::move(append));
  }
  out->durability = options.buffered ? evlog::Durability::kBuffered : evlog::Durability::kSync;
  out->duplicates =
      options.skip_duplicates ? evlog::DuplicatePolicy::kSkip : evlog::DuplicatePolicy::kError;
  return ConditionOf(options.condition, &out->condition);
}

}  // namespace

extern "C" {

evlog_code_t evlog_append_multi(evlog_store_t* store, const evlog_stream_append_t* streams,
                                size_t n_streams, const evlog_append_options_t* options,
                                evlog_stream_result_t* results, int* deduplicated,
                                uint64_t* conflicting_position, char** errptr) {
  return evlog_append_multi_skipped(store, streams, n_streams, options, results, deduplicated,
                                    conflicting_position, nullptr, errptr);
}

evlog_code_t evlog_append_multi_skipped(evlog_store_t* store,
                                        const evlog_stream_append_t* streams, size_t n_streams,
                                        const evlog_append_options_t* options,
                                        evlog_stream_result_t* results, int* deduplicated,
                                        uint64_t* conflicting_position, uint8_t* skipped,
                                        char** errptr) {
  if (store == nullptr) return Fail(evlog::Status::InvalidArgument("store is NULL"), errptr);
  evlog::AppendRequest request;
  if (evlog::Status s =
          RequestOf(streams, n_streams, options != nullptr ? *options : evlog_append_options_t{},
                    &request);
      !s.ok()) {
    return Fail(s, errptr);
  }
  auto result = Commit(store, std::move(request), conflicting_position);
  if (!result.ok()) return Fail(result.status(), errptr);
  if (deduplicated != nullptr) *deduplicated = result->deduplicated ? 1 : 0;
  size_t flag = 0;  // streams[k]'s events start at skipped[flag]
  for (size_t k = 0; k < result->streams.size(); ++k) {
    const evlog::StreamAppendResult& r = result->streams[k];
    if (results != nullptr) {
      results[k] = evlog_stream_result_t{r.first_version.value(), r.last_version.value(),
                                         r.first_position.value(), r.last_position.value(),
                                         r.skipped.size()};
    }
    if (skipped == nullptr) continue;
    // Sorted, so each event's id is a binary search (an append may hold
    // max_events_per_append events, all of them skipped).
    std::vector<evlog::Uuid> left_out(r.skipped.begin(), r.skipped.end());
    std::sort(left_out.begin(), left_out.end());
    // RequestOf accepted every stream, so streams[k] is the k-th result's.
    for (size_t i = 0; i < streams[k].n; ++i, ++flag) {
      const uint8_t* id = streams[k].events[i].event.id;
      if (id == nullptr) {
        skipped[flag] = 0;
        continue;
      }
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), id, bytes.size());
      skipped[flag] =
          std::binary_search(left_out.begin(), left_out.end(), evlog::Uuid(bytes)) ? 1 : 0;
    }
  }
  return EVLOG_OK;
}

evlog_code_t evlog_append(evlog_store_t* store, const char* stream, int64_t expected_version,
                          const evlog_event_t* events, size_t n, uint64_t* first_position,
                          char** errptr) {
  return AppendPlain(store, stream, expected_version, events, n, evlog::ContentType::kBinary,
                     first_position, errptr);
}

evlog_code_t evlog_append_json(evlog_store_t* store, const char* stream, int64_t expected_version,
                               const evlog_event_t* events, size_t n, uint64_t* first_position,
                               char** errptr) {
  return AppendPlain(store, stream, expected_version, events, n, evlog::ContentType::kJson,
                     first_position, errptr);
}

evlog_code_t evlog_append_tagged(evlog_store_t* store, const char* stream, int64_t expected_version,
                                 const evlog_tagged_event_t* events, size_t n, int json,
                                 const evlog_condition_t* condition, uint64_t* first_position,
                                 uint64_t* conflicting_position, char** errptr) {
  if (events == nullptr && n > 0) {
    return Fail(evlog::Status::InvalidArgument("store, stream or events is NULL"), errptr);
  }
  return Append(
      store, stream, expected_version, n,
      [&](size_t i) -> const evlog_event_t& { return events[i].event; },
      [&](size_t i, std::vector<std::string>* tags) {
        return Tags(events[i].tags, events[i].n_tags, "event " + std::to_string(i), tags);
      },
      json ? evlog::ContentType::kJson : evlog::ContentType::kBinary, condition, first_position,
      conflicting_position, errptr);
}

evlog_code_t evlog_query(evlog_store_t* store, const evlog_query_item_t* items, size_t n_items,
                         uint64_t from, size_t max_count, int backward, evlog_events_t** result,
                         uint64_t* head, char** errptr) {
  if (store == nullptr || result == nullptr) {
    return Fail(evlog::Status::InvalidArgument("store or result is NULL"), errptr);
  }
  evlog::Query query;
  if (evlog::Status s = QueryOf(items, n_items, &query); !s.ok()) return Fail(s, errptr);
  auto read = store->store->Read(query, QueryOptionsOf(from, max_count, backward));
  if (!read.ok()) return Fail(read.status(), errptr);
  if (head != nullptr) *head = read->head.value();
  *result = new evlog_events_t{std::move(read->events)};
  return EVLOG_OK;
}

evlog_code_t evlog_query_each(evlog_store_t* store, const evlog_query_item_t* items,
                              size_t n_items, uint64_t from, size_t max_count, int backward,
                              evlog_event_visitor_t visit, void* arg, uint64_t* head,
                              char** errptr) {
  if (store == nullptr || visit == nullptr) {
    return Fail(evlog::Status::InvalidArgument("store or visit is NULL"), errptr);
  }
  evlog::Query query;
  if (evlog::Status s = QueryOf(items, n_items, &query); !s.ok()) return Fail(s, errptr);
  std::vector<evlog_tag_t> tags;  // each event's, reusing one allocation
  auto read = store->store->ReadEach(
      query, QueryOptionsOf(from, max_count, backward), [&](const evlog::RecordedEvent& e) {
        tags.clear();
        for (std::string_view t : e.tags) tags.push_back(evlog_tag_t{t.data(), t.size()});
        const evlog_event_view_t view{
            .stream = BytesOf(e.stream),
            .stream_len = e.stream.size(),
            .type = BytesOf(e.type),
            .type_len = e.type.size(),
            .data = BytesOf(e.data),
            .data_len = e.data.size(),
            .metadata = BytesOf(e.metadata),
            .metadata_len = e.metadata.size(),
            .id = e.id.bytes().data(),
            .version = e.version.value(),
            .position = e.position.value(),
            .timestamp_us = e.timestamp_us,
            .tags = tags.data(),
            .n_tags = tags.size(),
        };
        return visit(arg, &view) != 0;
      });
  if (!read.ok()) return Fail(read.status(), errptr);
  if (head != nullptr) *head = read->value();
  return EVLOG_OK;
}

evlog_code_t evlog_read_stream(evlog_store_t* store, const char* stream, uint64_t from,
                               size_t max_count, evlog_events_t** result, char** errptr) {
  return ReadStream(store, stream, from, max_count, evlog::Direction::kForward, result, errptr);
}

evlog_code_t evlog_read_stream_backward(evlog_store_t* store, const char* stream, uint64_t from,
                                        size_t max_count, evlog_events_t** result, char** errptr) {
  return ReadStream(store, stream, from, max_count, evlog::Direction::kBackward, result, errptr);
}

evlog_code_t evlog_stream_version(evlog_store_t* store, const char* stream, uint64_t* version,
                                  char** errptr) {
  if (store == nullptr || stream == nullptr || version == nullptr) {
    return Fail(evlog::Status::InvalidArgument("store, stream or version is NULL"), errptr);
  }
  auto v = store->store->StreamVersion(stream);
  if (!v.ok()) return Fail(v.status(), errptr);
  *version = v->value();
  return EVLOG_OK;
}

evlog_code_t evlog_read_all(evlog_store_t* store, uint64_t from, size_t max_count,
                            evlog_events_t** result, char** errptr) {
  if (store == nullptr || result == nullptr) {
    return Fail(evlog::Status::InvalidArgument("store or result is NULL"), errptr);
  }
  evlog::ReadAllOptions options;
  options.from = evlog::Position(from);
  options.max_count = max_count;
  auto it = store->store->ReadAll(options);
  if (!it.ok()) return Fail(it.status(), errptr);
  return Drain(**it, result, errptr);
}

size_t evlog_events_count(const evlog_events_t* result) {
  return result == nullptr ? 0 : result->events.size();
}

const char* evlog_events_stream(const evlog_events_t* result, size_t i) {
  return result->events[i].stream.c_str();
}

const char* evlog_events_type(const evlog_events_t* result, size_t i) {
  return result->events[i].type.c_str();
}

const char* evlog_events_data(const evlog_events_t* result, size_t i, size_t* len) {
  if (len != nullptr) *len = result->events[i].data.size();
  return result->events[i].data.c_str();
}

const char* evlog_events_metadata(const evlog_events_t* result, size_t i, size_t* len) {
  if (len != nullptr) *len = result->events[i].metadata.size();
  return result->events[i].metadata.c_str();
}

const uint8_t* evlog_events_id(const evlog_events_t* result, size_t i) {
  return result->events[i].id.bytes().data();
}

uint64_t evlog_events_version(const evlog_events_t* result, size_t i) {
  return result->events[i].version.value();
}

uint64_t evlog_events_position(const evlog_events_t* result, size_t i) {
  return result->events[i].position.value();
}

int64_t evlog_events_timestamp_us(const evlog_events_t* result, size_t i) {
  return result->events[i].timestamp_us;
}

size_t evlog_events_tag_count(const evlog_events_t* result, size_t i) {
  return result->events[i].tags.size();
}

const char* evlog_events_tag(const evlog_events_t* result, size_t i, size_t t, size_t* len) {
  const std::string& tag = result->events[i].tags[t];
  if (len != nullptr) *len = tag.size();
  return tag.c_str();
}

void evlog_events_free(evlog_events_t* result) { delete result; }

void evlog_free(void* ptr) { free(ptr); }

}  // extern "C"
