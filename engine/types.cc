#include "evlog/types.h"

#include <bit>
#include <cstring>
#include <random>

#include "json/hex.h"

namespace evlog {

namespace {

// xoshiro256** (Blackman and Vigna, 2018): 256 bits of state and a few
// instructions a number, where mt19937_64 keeps 2.5 KB and regenerates it
// every 312 numbers. Not cryptographic; neither was mt19937_64.
class Xoshiro256 {
 public:
  // Seeded from the OS: ids must be unique across threads and restarts.
  Xoshiro256() {
    std::random_device rd;
    for (uint64_t& w : s_) w = (uint64_t{rd()} << 32) ^ rd();
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // zero stays zero
  }

  uint64_t Next() {
    const uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }

 private:
  uint64_t s_[4];
};

}  // namespace

Uuid Uuid::Random() {
  // One generator per thread: a mutex here would serialize appenders.
  thread_local Xoshiro256 rng;
  // Random bits in any byte order are random bits: copied as they lie.
  const uint64_t words[2] = {rng.Next(), rng.Next()};
  std::array<uint8_t, 16> b;
  std::memcpy(b.data(), words, sizeof(words));
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return Uuid(b);
}

std::optional<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::array<uint8_t, 16> b{};
  size_t out = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int hi = json::HexDigit(text[i]), lo = json::HexDigit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    b[out++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return Uuid(b);
}

std::string Uuid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[bytes_[i] >> 4]);
    s.push_back(kHex[bytes_[i] & 0xf]);
  }
  return s;
}

OwnedEvent OwnedEvent::From(const RecordedEvent& e) {
  return OwnedEvent{.stream = std::string(e.stream),
                    .type = std::string(e.type),
                    .data = std::string(e.data),
                    .metadata = std::string(e.metadata),
                    .content_type = e.content_type,
                    .id = e.id,
                    .version = e.version,
                    .position = e.position,
                    .timestamp_us = e.timestamp_us,
                    .tags = std::vector<std::string>(e.tags.begin(), e.tags.end())};
}

RecordedEvent OwnedEvent::view() const {
  return RecordedEvent{.stream = stream,
                       .type = type,
                       .data = data,
                       .metadata = metadata,
                       .content_type = content_type,
                       .id = id,
                       .version = version,
                       .position = position,
                       .timestamp_us = timestamp_us,
                       .tags = std::vector<std::string_view>(tags.begin(), tags.end())};
}

std::string ExpectedVersion::ToString() const {
  if (kind_ == Kind::kExact) return std::to_string(version_);
  if (kind_ == Kind::kAny) return "any";
  return kind_ == Kind::kNoStream ? "no_stream" : "stream_exists";
}

std::string_view CategoryOf(std::string_view stream) {
  size_t dash = stream.find('-');
  return dash == std::string_view::npos ? stream : stream.substr(0, dash);
}

}  // namespace evlog
