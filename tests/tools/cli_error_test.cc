// The exit codes of the tools (cli/cli_error.h): one table from Status
// codes, never message text.

#include "cli/cli_error.h"

#include <gtest/gtest.h>

namespace evlog::cli {
namespace {

TEST(CliExitCode, EachStatusCodeHasItsDocumentedExitCode) {
  EXPECT_EQ(ExitCodeFor(Status::OK()), kExitOk);
  EXPECT_EQ(ExitCodeFor(Status::WrongExpectedVersion("m", "a-1", 2)), kExitConflict);
  EXPECT_EQ(ExitCodeFor(Status::ConditionFailed("m")), kExitConflict);
  EXPECT_EQ(ExitCodeFor(Status::NotFound("m")), kExitNotFound);
  EXPECT_EQ(ExitCodeFor(Status::Corruption("m")), kExitCorrupt);
  EXPECT_EQ(ExitCodeFor(Status::UnknownRequest("m")), kExitNotServedRemotely);
  for (const Status& s : {Status::InvalidArgument("m"), Status::IdempotencyConflict("m"),
                          Status::IOError("m"), Status::Busy("m"), Status::NotSupported("m"),
                          Status::ReadOnly("m"), Status::Aborted("m"), Status::TimedOut("m"),
                          Status::StreamDeleted("m"), Status::Trimmed("m")}) {
    EXPECT_EQ(ExitCodeFor(s), kExitFailure) << s.ToString();
  }
}

// Regression: the exit code was picked by the message's prefix, so these
// exited 6 ("not served by evlogd") although their codes say 1.
TEST(CliExitCode, MessageTextNeverDecidesTheExitCode) {
  EXPECT_EQ(ExitCodeFor(Status::InvalidArgument("unknown_request: a bad name")), kExitFailure);
  EXPECT_EQ(ExitCodeFor(Status::NotSupported("not served by evlogd: backup")), kExitFailure);
}

}  // namespace
}  // namespace evlog::cli
