#include "keys.h"

#include <charconv>
#include <cstring>

namespace evlog::keys {

void PutU64BE(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t GetU64BE(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string LogKey(Position position) {
  std::string key(8, '\0');
  PutU64BE(key.data(), position.value());
  return key;
}

bool ParseLogKey(std::string_view key, Position* position) {
  if (key.size() != 8) return false;
  *position = Position(GetU64BE(key.data()));
  return true;
}

std::string StreamKey(uint64_t stream_id, Version version) {
  std::string key(16, '\0');
  PutU64BE(key.data(), stream_id);
  PutU64BE(key.data() + 8, version.value());
  return key;
}

bool ParseStreamKey(std::string_view key, uint64_t* stream_id, Version* version) {
  if (key.size() != 16) return false;
  *stream_id = GetU64BE(key.data());
  *version = Version(GetU64BE(key.data() + 8));
  return true;
}

std::string IndexKey(std::string_view name, Position position) {
  std::string key;
  key.reserve(name.size() + 9);
  key.append(name);
  key.push_back('\0');
  key.resize(name.size() + 9);
  PutU64BE(key.data() + name.size() + 1, position.value());
  return key;
}

std::string IndexPrefix(std::string_view name) {
  std::string prefix(name);
  prefix.push_back('\0');
  return prefix;
}

bool ParseIndexKey(std::string_view key, Position* position) {
  if (key.size() < 9) return false;
  *position = Position(GetU64BE(key.data() + key.size() - 8));
  return true;
}

std::string DedupKey(const Uuid& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size());
}

std::string DedupValue(Position position, int64_t timestamp_us) {
  std::string value(16, '\0');
  PutU64BE(value.data(), position.value());
  PutU64BE(value.data() + 8, static_cast<uint64_t>(timestamp_us));
  return value;
}

bool ParseDedupValue(std::string_view value, Position* position, int64_t* timestamp_us) {
  if (value.size() != 16) return false;
  *position = Position(GetU64BE(value.data()));
  *timestamp_us = static_cast<int64_t>(GetU64BE(value.data() + 8));
  return true;
}

std::string EncodeCounter(uint64_t v) { return std::to_string(v); }

bool ParseCounter(std::string_view text, uint64_t* v) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *v);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace evlog::keys
