// spellings: the one parser of the words a user types for an expected
// version, a durability, a duplicate policy and a feed's start, shared by
// the CLI (--expect, --durability, --duplicates, --from) and evlogd's HTTP
// routes (?expect=, ?durability=, ?duplicates=, ?from=), so both accept the same
// spellings and refuse the same with the same message.

#pragma once

#include <string_view>

#include "evlog/change_feed.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog::json {

// "any", "no_stream", "stream_exists" or a version number (decimal.h), the
// spelling of ExpectedVersion::ToString(). The CLI's former "no-stream" and
// "exists" are accepted as aliases. InvalidArgument otherwise:
// "<what> must be any, no_stream, stream_exists or a version number, not
// '<text>'".
Result<ExpectedVersion> ParseExpectedVersion(std::string_view text, std::string_view what);

// "sync" or "buffered". InvalidArgument otherwise:
// "<what> must be sync or buffered, not '<text>'".
Result<Durability> ParseDurability(std::string_view text, std::string_view what);

// "oldest", "latest" or a position P (FeedStart::At(P), the first event
// given): where a feed or a hosted subscription begins (--from, ?from=,
// "from"). InvalidArgument otherwise:
// "<what> must be oldest, latest or a position, not '<text>'".
Result<FeedStart> ParseFeedStart(std::string_view text, std::string_view what);

// "error" or "skip" (DuplicatePolicy). InvalidArgument otherwise:
// "<what> must be error or skip, not '<text>'".
Result<DuplicatePolicy> ParseDuplicatePolicy(std::string_view text, std::string_view what);

}  // namespace evlog::json
