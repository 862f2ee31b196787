// CliError: how the evlog tool reports a failure — one JSON line on stderr
// and an exit code scripts can branch on.
//
//   0 ok, 1 anything else (stream_deleted included), 2 usage error, 3 wrong
//   expected version or failed append condition, 4 not found, 5 the store is
//   corrupt (a corruption status, or problems found by verify); with
//   --connect also 6, an operation evlogd does not serve (UnknownRequest:
//   an older evlogd), and 7, the daemon could not be reached or refused the
//   session (the caller decides that one: it depends on the step that
//   failed, not on the code).
//
// The exit code follows from the Status code alone, through one table
// (cli_error.cc); message text is never looked at.

#pragma once

#include <string>

#include "evlog/status.h"

namespace evlog::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitConflict = 3;
inline constexpr int kExitNotFound = 4;
inline constexpr int kExitCorrupt = 5;
inline constexpr int kExitNotServedRemotely = 6;
inline constexpr int kExitUnreachable = 7;

// The exit code for a non-OK engine status.
int ExitCodeFor(const Status& status);

// Writes {"error":..,"message":..[,"stream":..,"actual_version":..]} to
// stderr and returns ExitCodeFor(status).
int ReportError(const Status& status);

// Writes {"error":"usage","message":..} to stderr and returns kExitUsage.
int ReportUsage(const std::string& message);

}  // namespace evlog::cli
