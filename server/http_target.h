// HttpTarget: a request target ("/streams/order-1?from=3") split into its
// percent-decoded path segments and query parameters, and the parsers for
// the values evlogd's HTTP routes take. Pure: no sockets, no engine.

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog::server {

struct HttpTarget {
  // "/views/counts/a%2Fb" -> {"views", "counts", "a/b"}. "/" -> {}.
  std::vector<std::string> segments;
  // The query's parameters, decoded ('+' is a space). A name given twice is
  // an error of ParseHttpTarget.
  std::map<std::string, std::string> query;

  // The parameter's value, or nullopt if it is absent.
  std::optional<std::string_view> Get(const std::string& name) const;
};

// Splits `target` (origin form: it must start with '/'). InvalidArgument
// for a bad percent escape, an empty segment ("//"), a NUL byte or a
// repeated query parameter.
Status ParseHttpTarget(std::string_view target, HttpTarget* out);

// Decodes %XX escapes (and '+' as a space when `plus_is_space`).
// InvalidArgument for a truncated or non-hex escape, or a decoded NUL.
Status PercentDecode(std::string_view text, bool plus_is_space, std::string* out);

// A decimal integer without sign, spaces or overflow. InvalidArgument,
// naming `what`, otherwise.
Result<uint64_t> ParseUnsigned(std::string_view text, std::string_view what);

// ?system=: "true" shows system streams ('$'-prefixed) to a read-all, a
// stream listing or a subscription, "false" (as when absent) hides them.
// InvalidArgument for any other value.
Result<bool> ParseSystemParam(const HttpTarget& target);

// An If-Match header: a version number, the same in double quotes (an
// entity tag, as the ETag of a write or read gives it), or "*" (the stream
// must exist).
Result<ExpectedVersion> ParseIfMatch(std::string_view text);

// The event id the `index`-th event (0-based) of an append to `stream` gets
// when the request carries Idempotency-Key `key` and the event has no id of
// its own: the same inputs give the same id, so a retried request is
// recognised by the store's deduplication.
// An If-None-Match header on an append: only "*" (the stream must not
// exist: it has no events, or none that are live).
Result<ExpectedVersion> ParseIfNoneMatch(std::string_view text);

Uuid IdempotentEventId(std::string_view key, std::string_view stream, size_t index);

}  // namespace evlog::server
