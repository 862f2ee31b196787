// Comparing what the embedded (--db) and the remote (--connect) form of a
// verb print: the lines with what differs between two processes serving a
// store by nature masked.

#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_process.h"

namespace evlog {

// Every number in `j` set to 0, keeping keys and array lengths.
inline void ZeroNumbers(nlohmann::ordered_json& j) {
  if (j.is_number()) {
    j = 0;
  } else if (j.is_structured()) {
    for (auto& item : j) ZeroNumbers(item);
  }
}

// `lines` with the members named in `masked` replaced by "*" in each JSON
// line, and the metrics (which count what the serving process did: the
// daemon, or the CLI process itself) reduced to their shape, but for the
// subscriptions, which are the store's.
inline std::string Normalized(const std::string& lines,
                              std::initializer_list<const char*> masked) {
  std::string out;
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) {
    nlohmann::ordered_json j =
        nlohmann::ordered_json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      out += line + "\n";
      continue;
    }
    for (const char* key : masked) {
      if (j.contains(key)) j[key] = "*";
    }
    if (j.contains("metrics")) {
      nlohmann::ordered_json subscriptions = j["metrics"]["subscriptions"];
      ZeroNumbers(j["metrics"]);
      j["metrics"]["subscriptions"] = subscriptions;
    }
    out += j.dump() + "\n";
  }
  return out;
}

// Expects the embedded form's outcome of `args` (`embedded`) and the remote
// form's (`remote`) to be the same: exit code, stderr, and stdout as
// Normalized(.., masked) leaves it.
inline void ExpectSameInBothForms(const std::vector<std::string>& args,
                                  const testutil::CliOutcome& embedded,
                                  const testutil::CliOutcome& remote,
                                  std::initializer_list<const char*> masked) {
  std::string what;
  for (const std::string& arg : args) what += arg + " ";
  SCOPED_TRACE(what);
  EXPECT_NE(embedded.exit_code, -1) << embedded.err;
  EXPECT_EQ(embedded.exit_code, remote.exit_code) << embedded.err << remote.err;
  EXPECT_EQ(Normalized(embedded.out, masked), Normalized(remote.out, masked));
  EXPECT_EQ(embedded.err, remote.err);
}

}  // namespace evlog
