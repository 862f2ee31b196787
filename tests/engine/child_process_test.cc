// The one child-process launcher (engine/harness) that the tests, the
// benches, torture and loadtest share.

#include <sys/wait.h>

#include <gtest/gtest.h>

#include <string>

#include "testutil/child_process.h"

namespace evlog::testutil {
namespace {

// Regression: `evlog-bench cost` starts "valgrind" by name, and the launcher
// used posix_spawn, which does not search PATH: it could never start it.
TEST(ChildProcess, ABareNameIsLookedUpInThePath) {
  std::string error;
  auto child = ChildProcess::Start({"sh", "-c", "exit 3"}, {}, &error);
  ASSERT_NE(child, nullptr) << error;
  const int status = child->Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(ChildProcess, AProgramThatCannotBeStartedSaysWhy) {
  std::string error;
  EXPECT_EQ(ChildProcess::Start({"/nonexistent/evlog-no-such-program"}, {}, &error), nullptr);
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace evlog::testutil
