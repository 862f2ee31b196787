#include "json/decimal.h"

#include <string>

namespace evlog::json {

Result<uint64_t> ParseUnsigned(std::string_view text, std::string_view what) {
  const auto bad = [&] {
    return Status::InvalidArgument(std::string(what) +
                                   " must be a non-negative integer below 2^64, got '" +
                                   std::string(text.substr(0, 64)) + "'");
  };
  if (text.empty()) return bad();
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return bad();
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return bad();
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace evlog::json
