// decimal: the one parser of unsigned decimal numbers given as text by a
// user (the CLI's --count, --from, --expect, ...; evlogd's ?count=, ?from=,
// ?expect=, If-Match), so each accepts the same forms and refuses the same.

#pragma once

#include <cstdint>
#include <string_view>

#include "evlog/status.h"

namespace evlog::json {

// `text` as an unsigned 64-bit integer: one or more decimal digits, nothing
// else (no sign, space or exponent; leading zeros are allowed). InvalidArgument
// "<what> must be a non-negative integer below 2^64, got '<text>'" otherwise,
// 2^64 and above included.
Result<uint64_t> ParseUnsigned(std::string_view text, std::string_view what);

}  // namespace evlog::json
