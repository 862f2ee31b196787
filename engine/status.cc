#include "evlog/status.h"

#include <iterator>

namespace evlog {

std::string_view Status::CodeName() const {
  // Indexed by Code, in its declared order.
  static constexpr std::string_view kNames[] = {"ok",
                                                "not_found",
                                                "invalid_argument",
                                                "wrong_expected_version",
                                                "condition_failed",
                                                "idempotency_conflict",
                                                "corruption",
                                                "io_error",
                                                "busy",
                                                "not_supported",
                                                "read_only",
                                                "aborted",
                                                "timed_out",
                                                "stream_deleted",
                                                "trimmed",
                                                "unknown_request",
                                                "unauthenticated"};
  static_assert(std::size(kNames) == static_cast<size_t>(Code::kUnauthenticated) + 1);
  const auto index = static_cast<size_t>(code_);
  return index < std::size(kNames) ? kNames[index] : "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(CodeName());
  s += ": ";
  s += message_;
  return s;
}

}  // namespace evlog
