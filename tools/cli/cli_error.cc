#include "cli/cli_error.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/backend.h"

namespace evlog::cli {

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  if (status.IsWrongExpectedVersion() || status.IsConditionFailed()) return kExitConflict;
  if (status.IsNotFound()) return kExitNotFound;
  if (status.IsCorruption()) return kExitCorrupt;
  // An evlogd older than this evlog answers a request it does not know
  // with UnknownRequest, which the client reports as InvalidArgument.
  if ((status.IsNotSupported() && status.message().starts_with(kNotServedRemotely)) ||
      (status.IsInvalidArgument() && status.message().starts_with("unknown_request: "))) {
    return kExitNotServedRemotely;
  }
  return kExitFailure;
}

int ReportError(const Status& status) {
  nlohmann::ordered_json j;
  j["error"] = status.CodeName();
  j["message"] = status.message();
  if (status.actual_version()) {
    j["stream"] = status.stream();
    j["actual_version"] = *status.actual_version();
  }
  std::cerr << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
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
