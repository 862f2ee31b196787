// CliProcess: the evlog binary run as a child process, with pipes on its
// stdin, stdout and stderr, the way a script runs it.
//
// Run() is the common case: feed stdin, collect everything, wait. Start()
// drives a conversation (write a line, read the answer, write the next) for
// verbs that answer while they read, such as `append --each`.

#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testutil/child_process.h"

namespace evlog::testutil {

// How a finished run ended and what it printed.
struct CliOutcome {
  // The exit status, or -1 if the process died of a signal.
  int exit_code = -1;
  std::string out;
  std::string err;

  // Every non-empty stdout line, parsed. Field order is kept.
  std::vector<nlohmann::ordered_json> Lines() const;
  // The first stderr line, parsed; a discarded value if it is not JSON.
  nlohmann::ordered_json Error() const;
  // The number of non-empty stderr lines.
  size_t ErrorLineCount() const;
};

// Expects an error run: `exit_code`, exactly one JSON line on stderr with
// `code` in "error" and a "message" that contains `in_message`, and nothing
// on stdout.
void ExpectError(const CliOutcome& r, int exit_code, const std::string& code,
                 std::string_view in_message = "");

class CliProcess {
 public:
  // Runs `argv` (argv[0] is the program's path) with `input` on stdin until
  // it exits. A child that stops reading early is fine: the rest of the
  // input is dropped.
  static CliOutcome Run(const std::vector<std::string>& argv, std::string_view input = "");

  // Starts `argv`. Null if it could not be started.
  static std::unique_ptr<CliProcess> Start(const std::vector<std::string>& argv);

  // Kills (SIGKILL) and reaps the child if Finish() was not called.
  ~CliProcess() = default;
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  // Writes all of `text` to the child's stdin. False if the child closed it.
  bool Write(std::string_view text);

  // The next stdout line, without its newline; nullopt at end of output or
  // if none is complete within `patience` (a safety net against a hang, not
  // a timing assertion: pass something generous).
  std::optional<std::string> ReadLine(std::chrono::milliseconds patience);

  // Closes stdin, reads the rest of stdout and stderr, and reaps the child.
  // Lines already returned by ReadLine are not in the outcome's `out`.
  CliOutcome Finish();

 private:
  explicit CliProcess(std::unique_ptr<ChildProcess> child) : child_(std::move(child)) {}

  // Writes `input` to stdin (then closes it) while draining stdout and
  // stderr, so neither side blocks on a full pipe. `input` may be empty.
  void Pump(std::string_view input);

  std::unique_ptr<ChildProcess> child_;
  std::string out_buffer_;
  std::string err_buffer_;
};

}  // namespace evlog::testutil
