// keys: the one place that knows the byte layout of every RocksDB key and of
// the small fixed-size values. Integers that must sort numerically are stored
// big-endian. See docs/format.md.

#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "evlog/types.h"

namespace evlog::keys {

// Keys of the "default" column family.
inline constexpr std::string_view kFormatVersion = "evlog.format_version";
inline constexpr std::string_view kLastPosition = "evlog.last_position";
inline constexpr std::string_view kNextStreamId = "evlog.next_stream_id";
inline constexpr std::string_view kTrimHorizon = "evlog.trim_horizon";

// Inline: readers decode a key per event (a stream read: two per record).
inline void PutU64BE(char* out, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(out, &v, 8);
}
inline uint64_t GetU64BE(const char* in) {
  uint64_t v;
  std::memcpy(&v, in, 8);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

// "log": position (8 bytes BE).
std::string LogKey(Position position);
// Decodes a log key; false if it is not 8 bytes.
bool ParseLogKey(std::string_view key, Position* position);

// "stream": stream id (8 bytes BE) + version (8 bytes BE).
std::string StreamKey(uint64_t stream_id, Version version);
// The same key written into `out` (kStreamKeyBytes), for the writer, which
// makes one per append and keeps no heap string for it.
inline constexpr size_t kStreamKeyBytes = 16;
void PutStreamKey(uint64_t stream_id, Version version, char* out);
bool ParseStreamKey(std::string_view key, uint64_t* stream_id, Version* version);

// "by_category" and "by_type": name + '\0' + position (8 bytes BE). Names
// never contain NUL, so one name's entries form a contiguous range.
std::string IndexKey(std::string_view name, Position position);
// The prefix shared by all of `name`'s entries: name + '\0'.
std::string IndexPrefix(std::string_view name);
// The position of an index key; false if it is shorter than 9 bytes.
bool ParseIndexKey(std::string_view key, Position* position);

// "by_tag": tag length (1 byte, 1..255) + tag bytes + position (8 bytes
// BE) -> the event's record, the same bytes as its `log` value (a covering
// posting; empty in entries written before postings carried records). Tags
// may hold any byte, NUL included: the length prefix keeps one tag's
// entries a contiguous range that no other tag's share.
std::string TagKey(std::string_view tag, Position position);
// The prefix shared by all of `tag`'s entries: length + tag.
// REQUIRES: 1 <= tag.size() <= 255.
std::string TagPrefix(std::string_view tag);
// Splits a tag key; false unless its length byte matches its size.
bool ParseTagKey(std::string_view key, std::string_view* tag, Position* position);

// "dedup": event id (16 bytes) -> position (8 bytes BE) + commit time (8
// bytes BE, microseconds since the epoch).
std::string DedupKey(const Uuid& id);
std::string DedupValue(Position position, int64_t timestamp_us);
bool ParseDedupValue(std::string_view value, Position* position, int64_t* timestamp_us);

// "streams": the stream name (UTF-8 bytes) -> StreamRecord.
// "snapshots": StreamKey(stream id, version) -> SnapshotRecord.

// "checkpoints": the progress of durable consumers (subscriptions, views,
// feed readers through GetCheckpoint). Consumer names contain neither NUL
// nor '/' (checkpoint::ValidateName), so the kinds never collide:
//   name, or name + '/' + member (decimal)   -> position handled up to (u64 BE)
//   name + '\0' + "replay_to"                -> version of "$parked-<name>"
//                                              replay was asked up to (u64 BE)
//   name + '\0' + "replayed"                 -> version replayed up to (u64 BE)
//   name + '\0' + "view"                     -> generation (u64 BE) + position (u64 BE)
//   name + '\0' + "rebuild"                  -> rebuild position (u64 BE) + target (u64 BE)
//   name + '\0' + "hosted"                   -> a hosted subscription's definition
//                                              (JSON, hosted_spec.h)
//   name + '\0' + "handled"                  -> positions above its checkpoint a
//                                              hosted subscription has handled
//                                              (acknowledged or parked), u64 BE each
//   name + '\0' + "attempts"                -> deliveries of a hosted subscription's
//                                              events in flight: position (u64 BE)
//                                              + attempt (u32 BE) each
enum class CheckpointKind : uint8_t {
  kProgress,
  kReplayTo,
  kReplayed,
  kViewState,
  kViewRebuild,
  kHosted,
  kHandled,
  kAttempts,
  // A key with a NUL and a suffix this build does not know.
  kUnknown,
};

// The member suffix appears only in a consumer group of more than one.
std::string ProgressKey(std::string_view name, uint32_t group_size, uint32_t member);
std::string ReplayToKey(std::string_view name);
std::string ReplayedKey(std::string_view name);
std::string ViewStateKey(std::string_view name);
std::string ViewRebuildKey(std::string_view name);
std::string HostedKey(std::string_view name);
std::string HandledKey(std::string_view name);
std::string AttemptsKey(std::string_view name);
// The kind of a "checkpoints" key and the name it belongs to (for
// kProgress the whole key, "/<member>" included).
CheckpointKind ParseCheckpointKey(std::string_view key, std::string_view* name);

// The value of kProgress, kReplayTo and kReplayed keys.
std::string CheckpointValue(uint64_t value);
// False unless `value` is 8 bytes.
bool ParseCheckpointValue(std::string_view value, uint64_t* out);

// The value of a view's kViewState key.
std::string ViewStateValue(uint64_t generation, Position position);
bool ParseViewStateValue(std::string_view value, uint64_t* generation, Position* position);

// The value of a view's kViewRebuild key: the rebuild in flight (or the
// last one) applied up to `position` of `target`.
std::string RebuildStateValue(Position position, Position target);
bool ParseRebuildStateValue(std::string_view value, Position* position, Position* target);

// "views": view name + '\0' + generation (u64 BE) + row key -> row value.
std::string ViewRowKey(std::string_view name, uint64_t generation, std::string_view row);
// The prefix of one generation's rows: name + '\0' + generation.
std::string ViewRowPrefix(std::string_view name, uint64_t generation);
// The prefix of every generation's rows: name + '\0'.
std::string ViewPrefix(std::string_view name);
// Splits a "views" key; false if it has no NUL or fewer than 8 bytes after it.
bool ParseViewRowKey(std::string_view key, std::string_view* name, uint64_t* generation,
                     std::string_view* row);

// The first key after every key that starts with `prefix` (empty: none,
// every byte of `prefix` is 0xff).
std::string PrefixEnd(std::string prefix);

// A hash for unordered containers keyed by std::string that are looked up
// with std::string_view, without building a string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// Decimal encoding of the counters in "default".
std::string EncodeCounter(uint64_t v);
bool ParseCounter(std::string_view text, uint64_t* v);

}  // namespace evlog::keys
