#include "http_target.h"

#include <array>

#include "json/decimal.h"
#include "json/hex.h"

namespace evlog::server {

namespace {

// 64-bit FNV-1a, continued from `hash`.
uint64_t Fnv1a(uint64_t hash, std::string_view bytes) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

std::optional<std::string_view> HttpTarget::Get(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return std::string_view(it->second);
}

Status PercentDecode(std::string_view text, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return Status::InvalidArgument("truncated percent escape in '" + std::string(text) + "'");
      }
      const int hi = json::HexDigit(text[i + 1]);
      const int lo = json::HexDigit(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("bad percent escape in '" + std::string(text) + "'");
      }
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return Status::InvalidArgument("%00 is not allowed");
      out->push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else if (c == '\0') {
      return Status::InvalidArgument("NUL is not allowed in a request target");
    } else {
      out->push_back(c);
    }
  }
  return Status::OK();
}

Status ParseHttpTarget(std::string_view target, HttpTarget* out) {
  out->segments.clear();
  out->query.clear();
  if (target.empty() || target.front() != '/') {
    return Status::InvalidArgument("the request target must start with '/'");
  }
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view raw = rest.substr(0, slash);
    if (raw.empty())
      return Status::InvalidArgument("empty path segment in '" + std::string(path) + "'");
    std::string segment;
    if (Status s = PercentDecode(raw, false, &segment); !s.ok()) return s;
    out->segments.push_back(std::move(segment));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
    if (rest.empty()) break;  // A trailing slash names the same resource.
  }
  if (question == std::string_view::npos) return Status::OK();
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name, value;
    if (Status s = PercentDecode(pair.substr(0, eq), true, &name); !s.ok()) return s;
    if (eq != std::string_view::npos) {
      if (Status s = PercentDecode(pair.substr(eq + 1), true, &value); !s.ok()) return s;
    }
    if (!out->query.emplace(name, std::move(value)).second) {
      return Status::InvalidArgument("query parameter '" + name + "' is given twice");
    }
  }
  return Status::OK();
}

Result<uint64_t> ParseUnsigned(std::string_view text, std::string_view what) {
  return json::ParseUnsigned(text, what);
}

Result<bool> ParseSystemParam(const HttpTarget& target) {
  std::optional<std::string_view> v = target.Get("system");
  if (!v || *v == "false") return false;
  if (*v == "true") return true;
  return Status::InvalidArgument("system must be true or false, got '" + std::string(*v) + "'");
}

namespace {

// `text` without the spaces and tabs around it (a header's optional
// whitespace).
std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

Result<ExpectedVersion> ParseIfMatch(std::string_view text) {
  text = TrimWhitespace(text);
  if (text == "*") return ExpectedVersion::StreamExists();
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  Result<uint64_t> v = ParseUnsigned(text, "If-Match (a version, \"version\" or *)");
  if (!v.ok()) return v.status();
  return ExpectedVersion::Exact(Version(*v));
}

Result<ExpectedVersion> ParseIfNoneMatch(std::string_view text) {
  text = TrimWhitespace(text);
  if (text == "*") return ExpectedVersion::NoStream();
  return Status::InvalidArgument("If-None-Match on an append takes only * (the stream must not exist), got '" +
                                 std::string(text) + "'");
}

Uuid IdempotentEventId(std::string_view key, std::string_view stream, size_t index) {
  const std::string index_text = std::to_string(index);
  const std::string_view sep("\0", 1);
  std::array<uint8_t, 16> bytes{};
  // Two FNV-1a hashes with different offset bases over key, stream, index.
  for (int half = 0; half < 2; ++half) {
    uint64_t h = half == 0 ? 0xcbf29ce484222325ULL : 0x84222325cbf29ce4ULL;
    h = Fnv1a(h, "evlog-http-idempotency");
    h = Fnv1a(h, sep);
    h = Fnv1a(h, key);
    h = Fnv1a(h, sep);
    h = Fnv1a(h, stream);
    h = Fnv1a(h, sep);
    h = Fnv1a(h, index_text);
    for (int i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<uint8_t>(h >> (56 - 8 * i));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x80);  // version 8: custom
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return Uuid(bytes);
}

}  // namespace evlog::server
