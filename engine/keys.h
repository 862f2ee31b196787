// keys: the one place that knows the byte layout of every RocksDB key and of
// the small fixed-size values. Integers that must sort numerically are stored
// big-endian. See docs/format.md.

#pragma once

#include <cstdint>
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

void PutU64BE(char* out, uint64_t v);
uint64_t GetU64BE(const char* in);

// "log": position (8 bytes BE).
std::string LogKey(Position position);
// Decodes a log key; false if it is not 8 bytes.
bool ParseLogKey(std::string_view key, Position* position);

// "stream": stream id (8 bytes BE) + version (8 bytes BE).
std::string StreamKey(uint64_t stream_id, Version version);
bool ParseStreamKey(std::string_view key, uint64_t* stream_id, Version* version);

// "by_category" and "by_type": name + '\0' + position (8 bytes BE). Names
// never contain NUL, so one name's entries form a contiguous range.
std::string IndexKey(std::string_view name, Position position);
// The prefix shared by all of `name`'s entries: name + '\0'.
std::string IndexPrefix(std::string_view name);
// The position of an index key; false if it is shorter than 9 bytes.
bool ParseIndexKey(std::string_view key, Position* position);

// "dedup": event id (16 bytes) -> position (8 bytes BE) + commit time (8
// bytes BE, microseconds since the epoch).
std::string DedupKey(const Uuid& id);
std::string DedupValue(Position position, int64_t timestamp_us);
bool ParseDedupValue(std::string_view value, Position* position, int64_t* timestamp_us);

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
