// ChildProcess: a program the test starts, with its stdout on a pipe, and
// stops by its own pid (killed and reaped at the latest when the object
// goes).

#pragma once

#include <sys/types.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace evlog::testutil {

class ChildProcess {
 public:
  // Starts argv[0] with `argv`. Null if it could not be started.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv);

  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The child's stdout.
  FILE* out() const { return out_; }
  int out_fd() const { return fileno(out_); }

  // Sends `signal` and reaps the child; returns its wait status.
  int KillAndWait(int signal);
  // Waits for the child to exit by itself; returns its wait status.
  int Wait();
  // Reads the child's stdout to its end, then waits for it: what it
  // printed, with its wait status in *status.
  std::string ReadOutputAndWait(int* status);

 private:
  ChildProcess(pid_t pid, FILE* out) : pid_(pid), out_(out) {}
  pid_t pid_;
  FILE* out_;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace evlog::testutil
