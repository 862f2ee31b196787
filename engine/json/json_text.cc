#include "json/json_text.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "json/hex.h"

namespace evlog::json {

namespace {

Status Bad(std::string_view what, size_t offset) {
  return Status::InvalidArgument("is not valid JSON: " + std::string(what) + " at offset " +
                                 std::to_string(offset));
}

// What a stray byte is, for the error message.
std::string Describe(std::string_view text, size_t i) {
  if (i >= text.size()) return "unexpected end of text";
  const auto c = static_cast<unsigned char>(text[i]);
  if (c == 0) return "NUL byte";
  if (c < 0x20 || c >= 0x7f) {
    static const char kHex[] = "0123456789abcdef";
    return std::string("unexpected byte 0x") + kHex[c >> 4] + kHex[c & 0xf];
  }
  return std::string("unexpected '") + static_cast<char>(c) + "'";
}

// The code unit of the \uXXXX escape at text[i] ('\\'), or -1.
int32_t Escape4(std::string_view text, size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int32_t v = 0;
  for (size_t k = 2; k < 6; ++k) {
    const int h = HexDigit(text[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Length of the valid UTF-8 sequence at text[i] (a byte >= 0x80), or 0.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const size_t left = text.size() - i;
  const unsigned char c = b(0);
  const auto cont = [&](size_t k) { return k < left && (b(k) & 0xc0) == 0x80; };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(1) >= 0xa0) return 0;  // an encoded surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xf4 && b(1) >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Scans (and, with `out`, decodes) the string literal at text[*pos].
Status String(std::string_view text, size_t* pos, std::string* out) {
  size_t i = *pos;
  if (i >= text.size() || text[i] != '"') return Bad(Describe(text, i) + ", expected '\"'", i);
  ++i;
  while (true) {
    if (i >= text.size()) return Bad("unterminated string", i);
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') break;
    if (c < 0x20) return Bad(Describe(text, i) + " in a string", i);
    if (c == '\\') {
      if (i + 1 >= text.size()) return Bad("unterminated string", i + 1);
      const char e = text[i + 1];
      char decoded = 0;
      switch (e) {
        case '"': decoded = '"'; break;
        case '\\': decoded = '\\'; break;
        case '/': decoded = '/'; break;
        case 'b': decoded = '\b'; break;
        case 'f': decoded = '\f'; break;
        case 'n': decoded = '\n'; break;
        case 'r': decoded = '\r'; break;
        case 't': decoded = '\t'; break;
        case 'u': {
          const int32_t unit = Escape4(text, i);
          if (unit < 0) return Bad("bad \\u escape", i);
          uint32_t cp = static_cast<uint32_t>(unit);
          size_t length = 6;
          if (unit >= 0xdc00 && unit <= 0xdfff) return Bad("lone low surrogate escape", i);
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const int32_t low = Escape4(text, i + 6);
            if (low < 0xdc00 || low > 0xdfff) return Bad("lone high surrogate escape", i);
            cp = 0x10000 + ((static_cast<uint32_t>(unit) - 0xd800) << 10) +
                 (static_cast<uint32_t>(low) - 0xdc00);
            length = 12;
          }
          if (out) AppendUtf8(cp, out);
          i += length;
          continue;
        }
        default:
          return Bad("bad escape", i);
      }
      if (out) out->push_back(decoded);
      i += 2;
      continue;
    }
    if (c < 0x80) {
      if (out) out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    const size_t n = Utf8Length(text, i);
    if (n == 0) return Bad("invalid UTF-8 in a string", i);
    if (out) out->append(text.substr(i, n));
    i += n;
  }
  *pos = i + 1;
  return Status::OK();
}

bool IsDigit(size_t i, std::string_view text) {
  return i < text.size() && text[i] >= '0' && text[i] <= '9';
}

Status Number(std::string_view text, size_t* pos) {
  size_t i = *pos;
  if (text[i] == '-') ++i;
  if (!IsDigit(i, text)) return Bad("a number needs a digit", i);
  if (text[i] == '0') {
    ++i;
  } else {
    while (IsDigit(i, text)) ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!IsDigit(i, text)) return Bad("a fraction needs a digit", i);
    while (IsDigit(i, text)) ++i;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!IsDigit(i, text)) return Bad("an exponent needs a digit", i);
    while (IsDigit(i, text)) ++i;
  }
  *pos = i;
  return Status::OK();
}

Status Literal(std::string_view text, size_t* pos) {
  for (std::string_view word : {"true", "false", "null"}) {
    if (text.substr(*pos, word.size()) == word) {
      *pos += word.size();
      return Status::OK();
    }
  }
  return Bad(Describe(text, *pos), *pos);
}

}  // namespace

size_t SkipSpace(std::string_view text, size_t pos) {
  while (pos < text.size() && IsSpace(text[pos])) ++pos;
  return pos;
}

Status ScanValue(std::string_view text, size_t* pos, size_t max_depth) {
  // What comes next: a value; a value or ']' (just after '['); a key or
  // '}' (just after '{'); a key (after ',' in an object); ',' or a closer.
  enum class Want { kValue, kValueOrClose, kKeyOrClose, kKey, kCommaOrClose };
  std::vector<char> open;  // the containers open, '[' or '{'
  size_t i = *pos;
  Want want = Want::kValue;
  while (true) {
    if (want == Want::kCommaOrClose) {
      if (open.empty()) break;
      i = SkipSpace(text, i);
      const char closer = open.back() == '[' ? ']' : '}';
      if (i < text.size() && text[i] == ',') {
        ++i;
        want = open.back() == '[' ? Want::kValue : Want::kKey;
      } else if (i < text.size() && text[i] == closer) {
        ++i;
        open.pop_back();
      } else {
        return Bad(Describe(text, i) + ", expected ',' or '" + closer + "'", i);
      }
      continue;
    }
    if (want != Want::kValue || !open.empty()) i = SkipSpace(text, i);
    if (i >= text.size()) return Bad("unexpected end of text", i);
    const char c = text[i];
    if (want == Want::kKeyOrClose || want == Want::kKey) {
      if (want == Want::kKeyOrClose && c == '}') {
        ++i;
        open.pop_back();
        want = Want::kCommaOrClose;
        continue;
      }
      if (c != '"') return Bad(Describe(text, i) + ", expected a string key", i);
      if (Status s = String(text, &i, nullptr); !s.ok()) return s;
      i = SkipSpace(text, i);
      if (i >= text.size() || text[i] != ':') {
        return Bad(Describe(text, i) + ", expected ':'", i);
      }
      i = SkipSpace(text, i + 1);
      want = Want::kValue;
      continue;
    }
    if (want == Want::kValueOrClose && c == ']') {
      ++i;
      open.pop_back();
      want = Want::kCommaOrClose;
      continue;
    }
    if (c == '[' || c == '{') {
      if (open.size() == max_depth) {
        return Status::InvalidArgument("nests deeper than " + std::to_string(max_depth) +
                                       " levels");
      }
      open.push_back(c);
      ++i;
      want = c == '[' ? Want::kValueOrClose : Want::kKeyOrClose;
      continue;
    }
    Status s;
    if (c == '"') {
      s = String(text, &i, nullptr);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      s = Number(text, &i);
    } else {
      s = Literal(text, &i);
    }
    if (!s.ok()) return s;
    want = Want::kCommaOrClose;
  }
  *pos = i;
  return Status::OK();
}

Status Validate(std::string_view text, size_t max_depth) {
  size_t i = SkipSpace(text, 0);
  if (Status s = ScanValue(text, &i, max_depth); !s.ok()) return s;
  i = SkipSpace(text, i);
  if (i != text.size()) return Bad(Describe(text, i) + " after the value", i);
  return Status::OK();
}

Status ValidateEventJson(bool data_is_json, std::string_view data, std::string_view metadata,
                         size_t max_depth) {
  if (data_is_json) {
    if (Status s = Validate(data, max_depth); !s.ok()) {
      return Status::InvalidArgument("event data " + std::string(s.message()));
    }
  }
  const size_t first = SkipSpace(metadata, 0);
  if (first < metadata.size() && (metadata[first] == '{' || metadata[first] == '[')) {
    if (Status s = Validate(metadata, max_depth); !s.ok()) {
      return Status::InvalidArgument("event metadata " + std::string(s.message()));
    }
  }
  return Status::OK();
}

Status DecodeString(std::string_view text, size_t* pos, std::string* out) {
  out->clear();
  return String(text, pos, out);
}

Status DecodeStringArray(std::string_view text, size_t* pos, std::vector<std::string>* out) {
  const Status not_array = Status::InvalidArgument("must be an array of strings");
  size_t i = *pos;
  if (i >= text.size() || text[i] != '[') return not_array;
  i = SkipSpace(text, i + 1);
  if (i < text.size() && text[i] == ']') {
    *pos = i + 1;
    return Status::OK();
  }
  for (;;) {
    if (i >= text.size() || text[i] != '"') return not_array;
    std::string item;
    if (Status s = DecodeString(text, &i, &item); !s.ok()) return s;
    out->push_back(std::move(item));
    i = SkipSpace(text, i);
    if (i < text.size() && text[i] == ',') {
      i = SkipSpace(text, i + 1);
      continue;
    }
    if (i < text.size() && text[i] == ']') break;
    return not_array;
  }
  *pos = i + 1;
  return Status::OK();
}

WordFault WordedAs(std::string what) {
  return [what = std::move(what)](const MemberFault& f) {
    const std::string key(f.key);
    std::string why = "must be a JSON object";
    if (f.kind == MemberFault::kBadKey) why = std::string(f.cause.message());
    if (f.kind == MemberFault::kUnknownKey) why = "has an unknown member \"" + key + "\"";
    if (f.kind == MemberFault::kRepeatedKey) why = "has \"" + key + "\" twice";
    if (f.kind == MemberFault::kBadValue) {
      why = "member \"" + key + "\" " + std::string(f.cause.message());
    }
    return Status::InvalidArgument(what + " " + why);
  };
}

Status ForEachMember(std::string_view text, size_t* pos,
                     std::initializer_list<std::string_view> known, size_t max_depth,
                     const OnMember& on_member, const WordFault& word) {
  const auto fault = [&](MemberFault::Kind kind, std::string_view key, size_t at,
                         Status cause = Status::OK()) {
    return word(MemberFault{kind, key, at, std::move(cause)});
  };
  size_t i = *pos;
  if (i >= text.size() || text[i] != '{') return fault(MemberFault::kNotObject, {}, i);
  i = SkipSpace(text, i + 1);
  if (i < text.size() && text[i] == '}') {
    *pos = i + 1;
    return Status::OK();
  }
  std::set<std::string, std::less<>> seen;
  for (;;) {
    if (i >= text.size() || text[i] != '"') return fault(MemberFault::kNoKey, {}, i);
    const size_t key_start = i;
    std::string key;
    if (Status s = DecodeString(text, &i, &key); !s.ok()) {
      return fault(MemberFault::kBadKey, {}, key_start, std::move(s));
    }
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return fault(MemberFault::kUnknownKey, key, key_start);
    }
    if (!seen.insert(key).second) return fault(MemberFault::kRepeatedKey, key, key_start);
    i = SkipSpace(text, i);
    if (i >= text.size() || text[i] != ':') return fault(MemberFault::kNoColon, key, i);
    i = SkipSpace(text, i + 1);
    const size_t start = i;
    if (Status s = ScanValue(text, &i, max_depth); !s.ok()) {
      return fault(MemberFault::kBadValue, key, start, std::move(s));
    }
    if (Status s = on_member(key, text.substr(start, i - start), start); !s.ok()) return s;
    i = SkipSpace(text, i);
    if (i < text.size() && text[i] == ',') {
      i = SkipSpace(text, i + 1);
      continue;
    }
    if (i < text.size() && text[i] == '}') break;
    return fault(MemberFault::kNoSeparator, key, i);
  }
  *pos = i + 1;
  return Status::OK();
}

}  // namespace evlog::json
