#include "evlog/status.h"

namespace evlog {

std::string_view Status::CodeName() const {
  switch (code_) {
    case Code::kOk:
      return "ok";
    case Code::kNotFound:
      return "not_found";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kWrongExpectedVersion:
      return "wrong_expected_version";
    case Code::kConditionFailed:
      return "condition_failed";
    case Code::kIdempotencyConflict:
      return "idempotency_conflict";
    case Code::kCorruption:
      return "corruption";
    case Code::kIOError:
      return "io_error";
    case Code::kBusy:
      return "busy";
    case Code::kNotSupported:
      return "not_supported";
    case Code::kReadOnly:
      return "read_only";
    case Code::kAborted:
      return "aborted";
    case Code::kTimedOut:
      return "timed_out";
    case Code::kStreamDeleted:
      return "stream_deleted";
    case Code::kTrimmed:
      return "trimmed";
    case Code::kUnknownRequest:
      return "unknown_request";
    case Code::kUnauthenticated:
      return "unauthenticated";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(CodeName());
  s += ": ";
  s += message_;
  return s;
}

}  // namespace evlog
