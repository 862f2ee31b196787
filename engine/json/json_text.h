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
#include <functional>
#include <initializer_list>
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

// The rule every appended event keeps, and every reader checks before it
// renders one: data of content type JSON (`data_is_json`) is valid JSON
// within `max_depth`; metadata too when it looks like a JSON object or array
// (it is free bytes otherwise). InvalidArgument "event data <Validate's
// message>" or "event metadata ...".
Status ValidateEventJson(bool data_is_json, std::string_view data, std::string_view metadata,
                         size_t max_depth);

// Decodes the JSON string literal that starts at text[*pos] (a '"') into
// UTF-8 in *out and sets *pos just past its closing quote. InvalidArgument
// as ScanValue if it is not a valid string literal.
Status DecodeString(std::string_view text, size_t* pos, std::string* out);

// Decodes the JSON array of string literals that starts at text[*pos] (a
// '[') into *out (appended) and sets *pos just past its ']'.
// InvalidArgument "must be an array of strings" if it is anything else.
Status DecodeStringArray(std::string_view text, size_t* pos, std::vector<std::string>* out);

// What ForEachMember found wrong with an object, for its caller to word:
// the member's `key` (empty before it is decoded); the `offset` of the
// fault (of the key for the key faults, of the value for kBadValue, else
// where a byte was expected); and for kBadKey and kBadValue json_text's own
// error (`cause`, as DecodeString's and ScanValue's).
struct MemberFault {
  enum Kind {
    kNotObject,    // no '{' at the start
    kNoKey,        // a member that does not start with a string key
    kBadKey,       // a key that is not a valid string literal
    kUnknownKey,   // a key not among the known ones
    kRepeatedKey,  // a key given twice
    kNoColon,      // no ':' after a key
    kBadValue,     // a member's value that is not valid JSON
    kNoSeparator,  // neither ',' nor '}' after a member
  };
  Kind kind;
  std::string_view key;
  size_t offset = 0;
  Status cause;
};

// Called with each member's key and value, and the value's offset in the
// text; a non-OK status ends the object.
using OnMember = std::function<Status(std::string_view key, std::string_view value, size_t offset)>;
// The error an object's fault is reported as.
using WordFault = std::function<Status(const MemberFault& fault)>;

// Words the faults of the object `what` as InvalidArgument: "the query
// has an unknown member \"x\"", "... has \"x\" twice", and "must be a JSON
// object" for broken syntax.
WordFault WordedAs(std::string what);

// Takes the object that starts at text[*pos] (a '{'), member by member:
// refuses a key not in `known` and a key given twice, scans each value (at
// most `max_depth` deep) and calls on_member(key, value, offset of value).
// Sets *pos just past the '}'. The first error on_member returns is
// returned as is; what is wrong with the object itself is returned as
// word(fault) says it.
Status ForEachMember(std::string_view text, size_t* pos,
                     std::initializer_list<std::string_view> known, size_t max_depth,
                     const OnMember& on_member, const WordFault& word);

}  // namespace evlog::json
