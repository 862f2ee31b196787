// json_text: strict JSON text (RFC 8259) checked without recursion. The
// engine checks event data and metadata with it on append; the CLI and
// evlogd scan their input envelopes and render stored JSON with it, so a
// stored text is handed back byte for byte and never re-serialised.
//
// Invariant: nothing here recurses on the input's nesting; the depth is
// bounded by `max_depth` and held on an explicit stack.
//
// The grammar is RFC 8259's, strictly: one value, surrounded only by
// insignificant whitespace (space, tab, CR, LF); no NUL or other control
// character outside strings' escapes; valid escapes; strings of valid UTF-8
// (no overlong forms, no encoded surrogates, nothing past U+10FFFF); a
// \uXXXX escape of a surrogate must be a high one followed by a low one
// (lone surrogates are refused); numbers as the RFC writes them (no leading
// zeros, no '+', no bare '.', no NaN or Infinity).
//
// Depth: a scalar has depth 0, `[]` and `{}` depth 1, `[[1]]` depth 2.

#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "evlog/status.h"

namespace evlog::json {

// Whether `c` is JSON's insignificant whitespace.
inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The first position at or after `pos` that is not whitespace (text.size()
// at the end).
size_t SkipSpace(std::string_view text, size_t pos);

// Scans the one JSON value that starts at text[*pos] (no whitespace before
// it) and sets *pos just past its last byte; the bytes after it are not
// looked at. InvalidArgument if no valid value starts there, or if it nests
// deeper than `max_depth`: the message reads after "event data ", e.g.
// "is not valid JSON: ... at offset 7" or "nests deeper than 512 levels".
Status ScanValue(std::string_view text, size_t* pos, size_t max_depth);

// Whether `text` is exactly one JSON value with optional whitespace around
// it, nesting at most `max_depth` levels. Errors as ScanValue's, and
// "is not valid JSON: ... after the value at offset N" for trailing bytes.
Status Validate(std::string_view text, size_t max_depth);

// Decodes the JSON string literal that starts at text[*pos] (a '"') into
// UTF-8 in *out and sets *pos just past its closing quote. InvalidArgument
// as ScanValue if it is not a valid string literal.
Status DecodeString(std::string_view text, size_t* pos, std::string* out);

// Decodes the JSON array of string literals that starts at text[*pos] (a
// '[') into *out (appended) and sets *pos just past its ']'.
// InvalidArgument "must be an array of strings" if it is anything else.
Status DecodeStringArray(std::string_view text, size_t* pos, std::vector<std::string>* out);

}  // namespace evlog::json
