// HexDigit: the value of one hexadecimal digit, for every parser of hex
// text: JSON's \uXXXX escapes (json_text.cc), event ids (types.cc, Uuid::
// Parse) and evlogd's percent-decoding of HTTP targets.

#pragma once

namespace evlog::json {

// 0..15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for any other character.
inline int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace evlog::json
