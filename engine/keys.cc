#include "keys.h"

#include <charconv>
#include <cstring>

namespace evlog::keys {

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
  std::string key(kStreamKeyBytes, '\0');
  PutStreamKey(stream_id, version, key.data());
  return key;
}

void PutStreamKey(uint64_t stream_id, Version version, char* out) {
  PutU64BE(out, stream_id);
  PutU64BE(out + 8, version.value());
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

std::string TagPrefix(std::string_view tag) {
  std::string prefix;
  prefix.reserve(tag.size() + 9);
  prefix.push_back(static_cast<char>(static_cast<uint8_t>(tag.size())));
  prefix.append(tag);
  return prefix;
}

std::string TagKey(std::string_view tag, Position position) {
  std::string key = TagPrefix(tag);
  key.resize(tag.size() + 9);
  PutU64BE(key.data() + tag.size() + 1, position.value());
  return key;
}

bool ParseTagKey(std::string_view key, std::string_view* tag, Position* position) {
  if (key.size() < 10) return false;
  const size_t length = static_cast<uint8_t>(key[0]);
  if (length == 0 || key.size() != length + 9) return false;
  *tag = key.substr(1, length);
  *position = Position(GetU64BE(key.data() + 1 + length));
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

namespace {

constexpr std::string_view kReplayToSuffix = "replay_to";
constexpr std::string_view kReplayedSuffix = "replayed";
constexpr std::string_view kViewSuffix = "view";
constexpr std::string_view kRebuildSuffix = "rebuild";
constexpr std::string_view kHostedSuffix = "hosted";
constexpr std::string_view kHandledSuffix = "handled";
constexpr std::string_view kAttemptsSuffix = "attempts";

std::string Suffixed(std::string_view name, std::string_view suffix) {
  std::string key;
  key.reserve(name.size() + 1 + suffix.size());
  key.append(name);
  key.push_back('\0');
  key.append(suffix);
  return key;
}

std::string TwoU64(uint64_t a, uint64_t b) {
  std::string value(16, '\0');
  PutU64BE(value.data(), a);
  PutU64BE(value.data() + 8, b);
  return value;
}

}  // namespace

std::string ProgressKey(std::string_view name, uint32_t group_size, uint32_t member) {
  std::string key(name);
  if (group_size > 1) key += "/" + std::to_string(member);
  return key;
}

std::string ReplayToKey(std::string_view name) { return Suffixed(name, kReplayToSuffix); }
std::string ReplayedKey(std::string_view name) { return Suffixed(name, kReplayedSuffix); }
std::string ViewStateKey(std::string_view name) { return Suffixed(name, kViewSuffix); }
std::string ViewRebuildKey(std::string_view name) { return Suffixed(name, kRebuildSuffix); }
std::string HostedKey(std::string_view name) { return Suffixed(name, kHostedSuffix); }
std::string HandledKey(std::string_view name) { return Suffixed(name, kHandledSuffix); }
std::string AttemptsKey(std::string_view name) { return Suffixed(name, kAttemptsSuffix); }

CheckpointKind ParseCheckpointKey(std::string_view key, std::string_view* name) {
  const size_t nul = key.find('\0');
  *name = key.substr(0, nul);
  if (nul == std::string_view::npos) return CheckpointKind::kProgress;
  const std::string_view suffix = key.substr(nul + 1);
  if (suffix == kReplayToSuffix) return CheckpointKind::kReplayTo;
  if (suffix == kReplayedSuffix) return CheckpointKind::kReplayed;
  if (suffix == kViewSuffix) return CheckpointKind::kViewState;
  if (suffix == kRebuildSuffix) return CheckpointKind::kViewRebuild;
  if (suffix == kHostedSuffix) return CheckpointKind::kHosted;
  if (suffix == kHandledSuffix) return CheckpointKind::kHandled;
  if (suffix == kAttemptsSuffix) return CheckpointKind::kAttempts;
  return CheckpointKind::kUnknown;
}

std::string CheckpointValue(uint64_t value) {
  std::string out(8, '\0');
  PutU64BE(out.data(), value);
  return out;
}

bool ParseCheckpointValue(std::string_view value, uint64_t* out) {
  if (value.size() != 8) return false;
  *out = GetU64BE(value.data());
  return true;
}

std::string ViewStateValue(uint64_t generation, Position position) {
  return TwoU64(generation, position.value());
}

bool ParseViewStateValue(std::string_view value, uint64_t* generation, Position* position) {
  if (value.size() != 16) return false;
  *generation = GetU64BE(value.data());
  *position = Position(GetU64BE(value.data() + 8));
  return true;
}

std::string RebuildStateValue(Position position, Position target) {
  return TwoU64(position.value(), target.value());
}

bool ParseRebuildStateValue(std::string_view value, Position* position, Position* target) {
  if (value.size() != 16) return false;
  *position = Position(GetU64BE(value.data()));
  *target = Position(GetU64BE(value.data() + 8));
  return true;
}

std::string ViewRowPrefix(std::string_view name, uint64_t generation) {
  std::string prefix = ViewPrefix(name);
  prefix.resize(prefix.size() + 8);
  PutU64BE(prefix.data() + prefix.size() - 8, generation);
  return prefix;
}

std::string ViewRowKey(std::string_view name, uint64_t generation, std::string_view row) {
  return ViewRowPrefix(name, generation).append(row);
}

std::string ViewPrefix(std::string_view name) {
  std::string prefix(name);
  prefix.push_back('\0');
  return prefix;
}

bool ParseViewRowKey(std::string_view key, std::string_view* name, uint64_t* generation,
                     std::string_view* row) {
  const size_t nul = key.find('\0');
  if (nul == std::string_view::npos || key.size() - nul - 1 < 8) return false;
  *name = key.substr(0, nul);
  *generation = GetU64BE(key.data() + nul + 1);
  *row = key.substr(nul + 9);
  return true;
}

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

std::string EncodeCounter(uint64_t v) { return std::to_string(v); }

bool ParseCounter(std::string_view text, uint64_t* v) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *v);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace evlog::keys
