// CliTest: a fixture for tests that drive the evlog binary (EVLOG_CLI_PATH)
// on a store in a fresh temporary directory.
//
// CliFormTest runs the same test in both forms of the tool: embedded
// (`--db DIR`) and remote (`--connect HOST:PORT` to an evlogd, EVLOGD_PATH,
// started on db() at 127.0.0.1 with an ephemeral port and stopped with
// SIGTERM by its pid). A test that must reach the store directly (to run a
// subscription or a view) wraps that in StopDaemon()/StartDaemon(), which
// do nothing in the embedded form.

#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli_process.h"
#include "evlog/store.h"
#include "testutil/child_process.h"
#include "testutil/temp_dir.h"

namespace evlog {

using testutil::CliOutcome;
using testutil::ExpectError;

class CliTest : public ::testing::Test {
 protected:
  // Runs `evlog --db <db()> <args>` (or `--connect`, see CliFormTest) with
  // `input` on stdin.
  testutil::CliOutcome Evlog(const std::vector<std::string>& args, std::string_view input = "") {
    return testutil::CliProcess::Run(ArgvWithDb(args), input);
  }

  // Runs `evlog <args>`.
  testutil::CliOutcome EvlogWithoutDb(const std::vector<std::string>& args,
                                      std::string_view input = "") {
    return testutil::CliProcess::Run(Argv(args), input);
  }

  // {EVLOG_CLI_PATH, "--db", db(), args...} (or "--connect", connect_), for
  // CliProcess::Start.
  std::vector<std::string> ArgvWithDb(const std::vector<std::string>& args) const {
    std::vector<std::string> with_db = {"--db", db()};
    if (!connect_.empty()) with_db = {"--connect", connect_};
    with_db.insert(with_db.end(), args.begin(), args.end());
    return Argv(with_db);
  }

  std::string db() const { return dir_.Sub("store"); }

  testutil::TempDir dir_;
  // HOST:PORT of the daemon the tool talks to; empty: embedded.
  std::string connect_;

 private:
  static std::vector<std::string> Argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {EVLOG_CLI_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
};

enum class CliForm { kEmbedded, kRemote };

inline std::string CliFormName(const ::testing::TestParamInfo<CliForm>& info) {
  return info.param == CliForm::kEmbedded ? "embedded" : "remote";
}

// The forms this build can test: remote only when evlogd is built.
inline std::vector<CliForm> CliForms() {
#ifdef EVLOGD_PATH
  return {CliForm::kEmbedded, CliForm::kRemote};
#else
  return {CliForm::kEmbedded};
#endif
}

class CliFormTest : public CliTest, public ::testing::WithParamInterface<CliForm> {
 protected:
  void SetUp() override { StartDaemon(); }
  void TearDown() override { StopDaemon(); }

  bool remote() const { return GetParam() == CliForm::kRemote; }

  // Remote form: starts evlogd on db() and points the tool at it. Remote
  // backups may go anywhere in the test's directory, unless
  // `with_backup_dir` is false (then evlogd refuses them).
  void StartDaemon(bool with_backup_dir = true) {
#ifdef EVLOGD_PATH
    if (!remote() || daemon_ != nullptr) return;
    std::vector<std::string> argv{EVLOGD_PATH, "--db", db(), "--listen", "127.0.0.1:0"};
    if (with_backup_dir) argv.insert(argv.end(), {"--backup-dir", dir_.path()});
    daemon_ = testutil::ChildProcess::Start(argv);
    ASSERT_NE(daemon_, nullptr);
    char line[256];
    ASSERT_NE(fgets(line, sizeof(line), daemon_->out()), nullptr) << "evlogd printed nothing";
    const std::string text(line);
    ASSERT_EQ(text.rfind("evlogd listening on ", 0), 0u) << text;
    connect_ = text.substr(20, text.find_last_not_of("\r\n") - 19);
#endif
  }

  // Appends order-1's first event through the store itself (the daemon
  // stopped meanwhile), which durable subscription "billing" fails and
  // parks.
  void ParkOneEventOfBilling() {
    StopDaemon();
    {
      auto store = Store::Open(Options{}, db());
      ASSERT_TRUE(store.ok());
      auto sub = (*store)->Subscribe(
          {.name = "billing", .max_attempts = 1},
          [](const std::vector<OwnedEvent>&) { return Status::InvalidArgument("no card"); });
      ASSERT_TRUE(sub.ok());
      auto r = (*store)->Append("order-1", ExpectedVersion::Any(),
                                {EventData{.type = "P", .data = "1"}});
      ASSERT_TRUE(r.ok());
      ASSERT_TRUE((*sub)->WaitFor(r->streams[0].last_position, std::chrono::seconds(30)).ok());
    }
    StartDaemon();
  }

  // Remote form: stops the daemon (SIGTERM, by its pid), releasing the
  // store; the tool cannot be run until StartDaemon().
  void StopDaemon() {
    if (daemon_ == nullptr) return;
    const int status = daemon_->KillAndWait(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "evlogd did not drain cleanly";
    daemon_.reset();
    connect_.clear();
  }

  std::unique_ptr<testutil::ChildProcess> daemon_;
};

// Declares `suite` as a CliFormTest suite run in every form (CliForms()).
#define EVLOG_CLI_FORMS_SUITE(suite) \
  using suite = CliFormTest;         \
  INSTANTIATE_TEST_SUITE_P(Forms, suite, ::testing::ValuesIn(CliForms()), CliFormName)

}  // namespace evlog
