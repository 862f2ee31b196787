// evlogd's flags: loopback by default, --allow-remote, --token-file, usage
// errors.

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <string>
#include <vector>

#include "client.h"
#include "integration/daemon_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog::testutil {
namespace {

int ExitCode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// `evlogd`, on `port`, serves a client with `options`, then exits 0 on
// SIGTERM.
void ExpectServesThenExitsCleanly(ChildProcess& evlogd, uint16_t port, ClientOptions options = {}) {
  options.port = port;
  Result<std::unique_ptr<Client>> c = Client::Connect(options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE((*c)->Stats().ok());
  c->reset();
  EXPECT_EQ(ExitCode(evlogd.KillAndWait(SIGTERM)), 0);
}

TEST(Evlogd, ANonLoopbackAddressIsRefusedWithoutAllowRemote) {
  TempDir dir;
  auto child = ChildProcess::Start({EVLOGD_PATH, "--db", dir.Sub("s"), "--listen", "0.0.0.0:0"});
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(ExitCode(child->Wait()), 2);
}

TEST(Evlogd, AllowRemoteListensOnANonLoopbackAddress) {
  TempDir dir;
  uint16_t port = 0;
  auto child = StartEvlogd({"--db", dir.Sub("s"), "--listen", "0.0.0.0:0", "--allow-remote"}, port);
  ASSERT_NE(child, nullptr);
  EXPECT_NE(port, 0);
  Result<std::unique_ptr<Client>> c = Client::Connect({.port = port});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  c->reset();
  EXPECT_EQ(ExitCode(child->KillAndWait(SIGTERM)), 0);
}

TEST(Evlogd, BadListenAndMissingDbAreUsageErrors) {
  TempDir dir;
  for (const char* listen : {"127.0.0.1", "127.0.0.1:99999", "localhost:7411", ":1"}) {
    auto child = ChildProcess::Start({EVLOGD_PATH, "--db", dir.Sub("s"), "--listen", listen});
    ASSERT_NE(child, nullptr);
    EXPECT_EQ(ExitCode(child->Wait()), 2) << listen;
  }
  auto no_db = ChildProcess::Start({EVLOGD_PATH, "--listen", "127.0.0.1:0"});
  ASSERT_NE(no_db, nullptr);
  EXPECT_NE(ExitCode(no_db->Wait()), 0);
}

TEST(Evlogd, OutOfRangeWriteTimeoutAndQueuedBytesAreUsageErrors) {
  TempDir dir;
  for (std::vector<std::string> flags : {std::vector<std::string>{"--write-timeout", "-1"},
                                         {"--write-timeout", "86401"},
                                         {"--max-queued-bytes", "1000"},
                                         {"--max-queued-bytes", "lots"}}) {
    flags.insert(flags.begin(), {EVLOGD_PATH, "--db", dir.Sub("s"), "--listen", "127.0.0.1:0"});
    auto child = ChildProcess::Start(flags);
    ASSERT_NE(child, nullptr);
    EXPECT_EQ(ExitCode(child->Wait()), 2) << flags[5] << " " << flags[6];
  }
  // In range, including 0 for "never", it serves.
  uint16_t port = 0;
  auto child = StartEvlogd({"--db", dir.Sub("s"), "--listen", "127.0.0.1:0", "--write-timeout", "0",
                            "--max-queued-bytes", "1048576"},
                           port);
  ASSERT_NE(child, nullptr);
  ExpectServesThenExitsCleanly(*child, port);
}

TEST(Evlogd, TokenFileIsRequiredOfEveryClient) {
  TempDir dir;
  const std::string token_file = dir.Sub("token");
  std::ofstream(token_file) << "correct horse\n";
  uint16_t port = 0;
  auto child = StartEvlogd(
      {"--db", dir.Sub("s"), "--listen", "127.0.0.1:0", "--token-file", token_file}, port);
  ASSERT_NE(child, nullptr);
  EXPECT_FALSE(Client::Connect({.port = port}).ok());
  Result<std::unique_ptr<Client>> wrong = Client::Connect({.port = port, .token = "correct"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(wrong.status().IsUnauthenticated()) << wrong.status().ToString();
  // The trailing newline of the file is not part of the token.
  ExpectServesThenExitsCleanly(*child, port, {.token = "correct horse"});
}

TEST(Evlogd, AnEmptyOrMissingTokenFileIsAUsageError) {
  TempDir dir;
  std::ofstream(dir.Sub("empty")) << "\n";
  for (const std::string& file : {dir.Sub("empty"), dir.Sub("missing")}) {
    auto child = ChildProcess::Start(
        {EVLOGD_PATH, "--db", dir.Sub("s"), "--listen", "127.0.0.1:0", "--token-file", file});
    ASSERT_NE(child, nullptr);
    EXPECT_EQ(ExitCode(child->Wait()), 2) << file;
  }
}

}  // namespace
}  // namespace evlog::testutil
