// CliTest: a fixture for tests that drive the evlog binary (EVLOG_CLI_PATH)
// on a store in a fresh temporary directory.

#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "cli_process.h"
#include "testutil/temp_dir.h"

namespace evlog {

class CliTest : public ::testing::Test {
 protected:
  // Runs `evlog --db <db()> <args>` with `input` on stdin.
  testutil::CliOutcome Evlog(const std::vector<std::string>& args, std::string_view input = "") {
    return testutil::CliProcess::Run(ArgvWithDb(args), input);
  }

  // Runs `evlog <args>`.
  testutil::CliOutcome EvlogWithoutDb(const std::vector<std::string>& args,
                                      std::string_view input = "") {
    return testutil::CliProcess::Run(Argv(args), input);
  }

  // {EVLOG_CLI_PATH, "--db", db(), args...}, for CliProcess::Start.
  std::vector<std::string> ArgvWithDb(const std::vector<std::string>& args) const {
    std::vector<std::string> with_db = {"--db", db()};
    with_db.insert(with_db.end(), args.begin(), args.end());
    return Argv(with_db);
  }

  std::string db() const { return dir_.Sub("store"); }

  testutil::TempDir dir_;

 private:
  static std::vector<std::string> Argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {EVLOG_CLI_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
};

}  // namespace evlog
