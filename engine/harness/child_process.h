// ChildProcess: a program started with posix_spawn, with the pipes its
// caller asked for, and stopped by its own pid: killed (SIGKILL) and reaped
// at the latest when the object goes, so no child outlives its owner and no
// pid is signalled after it was reaped.
//
// The one launcher of the tests, the benches, torture and loadtest (part of
// evlog_harness, which sits below them; evlog itself never starts a
// process).
//
// Thread-safety: one thread at a time, except pid(), which is constant.

#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace evlog::harness {

struct ChildOptions {
  // A pipe on the child's stdin (in_fd()). Default: false, it inherits ours.
  bool pipe_stdin = false;
  // A pipe on the child's stdout (out(), out_fd()). Default: true.
  bool pipe_stdout = true;
  // A pipe on the child's stderr (err_fd()). Default: false.
  bool pipe_stderr = false;
  // When not empty and stderr is not piped: the child's stderr goes to this
  // file, created or truncated. Default: empty, it inherits ours.
  std::string stderr_file;
};

class ChildProcess {
 public:
  // Starts argv[0] with `argv`: a name with a '/' is a path, a bare name
  // ("valgrind") is looked up in PATH. The child gets
  // the default SIGPIPE disposition whatever ours is, and none of our pipes
  // but its own. Null if it could not be started; then *error (if given)
  // says why.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv,
                                             const ChildOptions& options = {},
                                             std::string* error = nullptr);

  // Kills (SIGKILL) and reaps the child unless it was reaped already.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The child's stdout as a stream (made on first use; it owns out_fd()
  // from then on). Null unless stdout is piped and still open.
  FILE* out();
  // The pipe ends; -1 when not piped or closed.
  int out_fd() const { return out_fd_; }
  int in_fd() const { return in_fd_; }
  int err_fd() const { return err_fd_; }
  // Close our end of a pipe (closing stdin is the child's end of input).
  void CloseIn();
  void CloseOut();
  void CloseErr();

  // Sends `signal` unless the child was reaped. False if it was, or if
  // kill(2) failed.
  bool Signal(int signal);
  // Waits for the child to exit; returns its wait status. With `usage`, the
  // child's resource use (its peak RSS in ru_maxrss, KiB) is filled in the
  // first time it is reaped.
  int Wait(struct rusage* usage = nullptr);
  // The wait status if the child has exited (it is reaped then), nullopt if
  // it still runs.
  std::optional<int> TryWait();
  // Waits up to `timeout` for the child to exit: its wait status, or
  // nullopt if it still runs.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);
  // Signal(signal), then Wait(); the wait status.
  int KillAndWait(int signal);
  // Reads the child's stdout to its end, then waits for it: what it printed,
  // with its wait status in *status.
  std::string ReadOutputAndWait(int* status);

  bool reaped() const { return reaped_; }

 private:
  ChildProcess(pid_t pid, int in_fd, int out_fd, int err_fd)
      : pid_(pid), in_fd_(in_fd), out_fd_(out_fd), err_fd_(err_fd) {}

  const pid_t pid_;
  int in_fd_;
  int out_fd_;
  int err_fd_;
  FILE* out_ = nullptr;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace evlog::harness
