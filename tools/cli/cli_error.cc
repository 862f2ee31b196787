#include "cli/cli_error.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "json/event_json.h"

namespace evlog::cli {

namespace {

// The one table: a Status code decides the exit code, never its message.
// Codes not listed exit kExitFailure.
struct ExitFor {
  Status::Code code;
  int exit;
};
constexpr ExitFor kExitCodes[] = {
    {Status::Code::kOk, kExitOk},
    {Status::Code::kWrongExpectedVersion, kExitConflict},
    {Status::Code::kConditionFailed, kExitConflict},
    {Status::Code::kNotFound, kExitNotFound},
    {Status::Code::kCorruption, kExitCorrupt},
    // An evlogd older than this evlog does not know the request.
    {Status::Code::kUnknownRequest, kExitNotServedRemotely},
    {Status::Code::kUnauthenticated, kExitUnreachable},
};

}  // namespace

int ExitCodeFor(const Status& status) {
  for (const ExitFor& e : kExitCodes) {
    if (e.code == status.code()) return e.exit;
  }
  return kExitFailure;
}

int ReportError(const Status& status) {
  std::cerr << json::ErrorText(status) << std::endl;
  return ExitCodeFor(status);
}

int ReportUsage(const std::string& message) {
  nlohmann::ordered_json j;
  j["error"] = "usage";
  j["message"] = message;
  std::cerr << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  return kExitUsage;
}

}  // namespace evlog::cli
