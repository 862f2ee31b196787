// RunToolReport: runs one of the reliability tools (torture, loadtest) to
// its end and checks what every run must show: a JSON report on stdout,
// no problems in it, exit 0. Header-only: its users already link GTest and
// nlohmann_json.

#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testutil/child_process.h"

namespace evlog::testutil {

// The report, for the caller's own checks; a failure (and a discarded
// json) when the tool did not start or printed no JSON.
inline nlohmann::json RunToolReport(const std::vector<std::string>& argv) {
  auto child = ChildProcess::Start(argv);
  if (child == nullptr) {
    ADD_FAILURE() << "cannot start " << argv.at(0);
    return nlohmann::json::value_t::discarded;
  }
  int status = 0;
  const std::string out = child->ReadOutputAndWait(&status);
  nlohmann::json report = nlohmann::json::parse(out, nullptr, false);
  if (report.is_discarded()) {
    ADD_FAILURE() << argv.at(0) << " printed no JSON report: " << out;
    return report;
  }
  EXPECT_EQ(report["problems"], nlohmann::json::array()) << report.dump(2);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "wait status " << status << "\n" << report.dump(2);
  return report;
}

}  // namespace evlog::testutil
