// The vocabulary of evlog: positions, versions, event ids, events as written
// and as read back, and the parts of an append request.
//
// A stream is a named, ordered sequence of events ("product-42"). The part of
// the name before the first '-' is its category ("product"). Names starting
// with '$' are reserved for the system.
//
// Every event has a version in its stream (1 for the first; an empty stream is
// at version 0) and a position in the global log (1, 2, 3, ... in commit
// order, with no gaps).

#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evlog {

// A place in the global log. Position 0 means "before the first event".
class Position {
 public:
  constexpr Position() = default;
  constexpr explicit Position(uint64_t value) : value_(value) {}
  constexpr uint64_t value() const { return value_; }
  constexpr auto operator<=>(const Position&) const = default;

 private:
  uint64_t value_ = 0;
};

// A place in one stream. Version 0 means "the stream has no events".
class Version {
 public:
  constexpr Version() = default;
  constexpr explicit Version(uint64_t value) : value_(value) {}
  constexpr uint64_t value() const { return value_; }
  constexpr auto operator<=>(const Version&) const = default;

 private:
  uint64_t value_ = 0;
};

// A 16-byte event id. All zero means "not set": the store assigns a random
// version 4 UUID.
class Uuid {
 public:
  constexpr Uuid() = default;
  constexpr explicit Uuid(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}

  // A random version 4 UUID.
  static Uuid Random();

  // Parses the canonical 36-character form ("8-4-4-4-12" hex digits, either
  // case). Returns nullopt for anything else.
  static std::optional<Uuid> Parse(std::string_view text);

  // The canonical lower-case 36-character form.
  std::string ToString() const;

  bool is_nil() const { return bytes_ == std::array<uint8_t, 16>{}; }
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  auto operator<=>(const Uuid&) const = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

// How an event's data is encoded. Stored with the event; readers such as the
// CLI use it to print JSON as JSON.
enum class ContentType : uint8_t { kBinary = 0, kJson = 1, kFlatBuffers = 2 };

// An event as the caller hands it to Append.
struct EventData {
  // Event type, 1..255 bytes, no NUL. Required.
  std::string type;
  // The payload.
  std::string data;
  // Free-form metadata; by convention JSON with correlation and causation ids.
  std::string metadata;
  // Default: binary.
  ContentType content_type = ContentType::kBinary;
  // Caller-given id for idempotent retries. Nil: the store assigns a random
  // v4 id (such an append cannot be retried idempotently).
  Uuid id;
  // Tags: what the event is about ("student:42", "course:c1"), for queries
  // and append conditions (see Query). Each 1..kMaxTagBytes of any bytes
  // (NUL and non-UTF-8 included), at most Options::max_tags_per_event of
  // them; stored and read back byte for byte, in the order given. A tag
  // given twice is stored twice and indexed once. Default: none.
  std::vector<std::string> tags;
};

// The longest tag, in bytes.
inline constexpr size_t kMaxTagBytes = 255;

// An event as read back. The string_views point into memory owned by the
// iterator that produced it: valid until that iterator moves or is destroyed.
// Copy what you keep (see OwnedEvent).
struct RecordedEvent {
  std::string_view stream;
  std::string_view type;
  std::string_view data;
  std::string_view metadata;
  ContentType content_type = ContentType::kBinary;
  Uuid id;
  Version version;
  Position position;
  // Commit time, microseconds since the Unix epoch (UTC).
  int64_t timestamp_us = 0;
  // The event's tags, in the order appended. Empty for events appended
  // without tags (and for every event of a store made before tags).
  std::vector<std::string_view> tags;
};

// A RecordedEvent that owns its bytes.
struct OwnedEvent {
  std::string stream;
  std::string type;
  std::string data;
  std::string metadata;
  ContentType content_type = ContentType::kBinary;
  Uuid id;
  Version version;
  Position position;
  int64_t timestamp_us = 0;
  std::vector<std::string> tags;

  static OwnedEvent From(const RecordedEvent& e);
  // A RecordedEvent viewing this one; valid while this OwnedEvent lives.
  RecordedEvent view() const;
};

// The version an append expects its stream to be at. Checked against the
// stream's current version at commit time; on mismatch the whole append fails
// with WrongExpectedVersion and nothing of it is written.
class ExpectedVersion {
 public:
  enum class Kind : uint8_t { kAny, kNoStream, kStreamExists, kExact };

  // No check.
  static constexpr ExpectedVersion Any() { return ExpectedVersion(Kind::kAny, 0); }
  // The stream must have no events (version 0).
  static constexpr ExpectedVersion NoStream() { return ExpectedVersion(Kind::kNoStream, 0); }
  // The stream must have at least one event.
  static constexpr ExpectedVersion StreamExists() {
    return ExpectedVersion(Kind::kStreamExists, 0);
  }
  // The stream must be exactly at `v`. Exact(Version(0)) is the same as NoStream().
  static constexpr ExpectedVersion Exact(Version v) {
    return ExpectedVersion(Kind::kExact, v.value());
  }

  constexpr Kind kind() const { return kind_; }
  // REQUIRES: kind() == kExact
  constexpr Version version() const { return Version(version_); }

  // Whether a stream currently at `current` satisfies this expectation.
  constexpr bool Matches(Version current) const {
    switch (kind_) {
      case Kind::kAny:
        return true;
      case Kind::kNoStream:
        return current.value() == 0;
      case Kind::kStreamExists:
        return current.value() > 0;
      case Kind::kExact:
        return current.value() == version_;
    }
    return false;
  }

  // "any", "no_stream", "stream_exists" or the number.
  std::string ToString() const;

 private:
  constexpr ExpectedVersion(Kind kind, uint64_t version) : kind_(kind), version_(version) {}
  Kind kind_;
  uint64_t version_;
};

// When an append is acknowledged.
enum class Durability : uint8_t {
  // After the write-ahead log is synced to disk. Survives power loss.
  kSync = 0,
  // After the write reaches the operating system. Survives a process crash;
  // a power loss may lose the last few milliseconds (the store syncs the log
  // every Options::buffered_sync_interval_ms).
  kBuffered = 1,
};

// What an append does with events whose ids were already committed (within
// the idempotency window, Options::dedup_window_*).
enum class DuplicatePolicy : uint8_t {
  // A retry must repeat the original append exactly: when every event was
  // committed, as one append, nothing is written and the result is the
  // original's (AppendResult::deduplicated); when only some were, the
  // append fails with IdempotencyConflict.
  kError = 0,
  // Committed events are left out and the rest is appended atomically (a
  // CDC mapper that re-reads its source with other batch boundaries).
  // StreamAppendResult::skipped names the events left out.
  kSkip = 1,
};

// Events to append to one stream, with the version the stream must be at.
struct StreamAppend {
  std::string stream;
  ExpectedVersion expected = ExpectedVersion::Any();
  std::vector<EventData> events;
};

// One part of a Query. It matches an event whose type is one of `types`
// (any type if `types` is empty) and that carries every one of `tags` (no
// tag needed if `tags` is empty). An item with neither matches every event.
struct QueryItem {
  std::vector<std::string> types;
  std::vector<std::string> tags;
};

// Which events a decision depends on (the DCB specification's query, see
// docs/dcb.md): an event matches when any item matches it. A query with no
// items matches every event (the specification's "all" query). Each type
// is 1..Options::max_event_type_bytes without NUL, each tag
// 1..kMaxTagBytes; at most Options::max_query_items items, each with at
// most Options::max_tags_per_event tags and max_query_items types.
struct Query {
  std::vector<QueryItem> items;

  // The query that matches every event.
  static Query All() { return Query{}; }
};

// A dynamic consistency boundary: the append fails with ConditionFailed if an
// event committed after position `after` matches. An event matches when its
// type is in `event_types`, its stream's category is in `categories`, or it
// matches `fail_if_events_match` (if set). Without any of them the condition
// matches nothing. With `after` at 0 (the default) any matching event fails
// the append: a uniqueness guard. Events a trim, delete or stream rule hides
// from reads do not match.
struct AppendCondition {
  std::vector<std::string> event_types;
  std::vector<std::string> categories;
  Position after;
  // The DCB form: fails if any event after `after` matches this query.
  std::optional<Query> fail_if_events_match;
};

// What an append wrote, for one stream.
struct StreamAppendResult {
  std::string stream;
  // The versions and positions of the events written. When none was (every
  // one skipped), the range is empty: first_version is last_version + 1,
  // last_version the stream's version, and likewise the positions.
  Version first_version;
  Version last_version;
  Position first_position;
  Position last_position;
  // DuplicatePolicy::kSkip: the ids of this stream's events left out
  // because they were already committed, in request order.
  std::vector<Uuid> skipped;
};

// What an append wrote: one entry per StreamAppend, in request order.
struct AppendResult {
  std::vector<StreamAppendResult> streams;
  // True when every event id was already committed and nothing was written:
  // the entries are the original append's (with DuplicatePolicy::kSkip,
  // when the events were committed by other appends, the entries are empty
  // ranges whose `skipped` lists every event).
  bool deduplicated = false;
};

// Rules a stream's reads honour at once (the bytes are reclaimed later).
// Changes are events of type "$metadata" in the stream "$meta-<stream>", so
// the change feed carries them.
struct StreamMetadata {
  // Only the newest `max_count` events are readable.
  std::optional<uint64_t> max_count;
  // Only events younger than this are readable.
  std::optional<uint64_t> max_age_seconds;
  // Events before this version are gone (set by trims and soft deletes).
  std::optional<Version> truncate_before;
  // Soft-deleted: reads as not found until new events arrive; versions
  // continue where they were.
  bool deleted = false;
  // Hard-deleted: not found, and the name can never be written again.
  bool hard_deleted = false;
};

// One row of ListStreams.
struct StreamInfo {
  std::string name;
  Version version;
};

// The category of a stream: the part of its name before the first '-', or the
// whole name if there is none.
std::string_view CategoryOf(std::string_view stream);

}  // namespace evlog
