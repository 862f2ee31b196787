// posix_spawn rather than fork: nothing runs between fork and exec in a
// process with threads (the tests and torture have many), and our pipes are
// O_CLOEXEC, so a child started by one thread never holds the pipes of a
// child started by another (a reader would then never see end of file).

#include "harness/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace evlog::harness {
namespace {

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// A pipe, or {-1, -1} when not wanted. False if pipe2 failed.
bool MaybePipe(bool wanted, int fds[2]) {
  fds[0] = fds[1] = -1;
  return !wanted || pipe2(fds, O_CLOEXEC) == 0;
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                                  const ChildOptions& options, std::string* error) {
  auto fail = [&](const std::string& what, int code) -> std::unique_ptr<ChildProcess> {
    if (error != nullptr) *error = what + ": " + std::strerror(code);
    return nullptr;
  };
  if (argv.empty()) return fail("start", EINVAL);
  int in[2], out[2], err[2];
  if (!MaybePipe(options.pipe_stdin, in) || !MaybePipe(options.pipe_stdout, out) ||
      !MaybePipe(options.pipe_stderr, err)) {
    const int code = errno;
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) CloseFd(fd);
    return fail("pipe", code);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in[0] >= 0) posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  if (out[1] >= 0) posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  if (err[1] >= 0) {
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  } else if (!options.stderr_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options.stderr_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  CloseFd(&in[0]);
  CloseFd(&out[1]);
  CloseFd(&err[1]);
  if (rc != 0) {
    CloseFd(&in[1]);
    CloseFd(&out[0]);
    CloseFd(&err[0]);
    return fail("cannot start " + argv[0], rc);
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, in[1], out[0], err[0]));
}

ChildProcess::~ChildProcess() {
  KillAndWait(SIGKILL);
  CloseIn();
  CloseOut();
  CloseErr();
}

FILE* ChildProcess::out() {
  if (out_ == nullptr && out_fd_ >= 0) out_ = fdopen(out_fd_, "r");
  return out_;
}

void ChildProcess::CloseIn() { CloseFd(&in_fd_); }
void ChildProcess::CloseErr() { CloseFd(&err_fd_); }

void ChildProcess::CloseOut() {
  if (out_ != nullptr) {
    std::fclose(out_);
    out_ = nullptr;
    out_fd_ = -1;
  }
  CloseFd(&out_fd_);
}

bool ChildProcess::Signal(int signal) { return !reaped_ && kill(pid_, signal) == 0; }

int ChildProcess::Wait(struct rusage* usage) {
  if (!reaped_) {
    struct rusage ignored;
    while (wait4(pid_, &status_, 0, usage != nullptr ? usage : &ignored) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  return status_;
}

std::optional<int> ChildProcess::TryWait() {
  if (!reaped_) {
    pid_t r;
    while ((r = waitpid(pid_, &status_, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (r == 0) return std::nullopt;
    reaped_ = true;  // or waitpid failed: the pid is not ours to wait for
  }
  return status_;
}

std::optional<int> ChildProcess::WaitFor(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // A pidfd turns readable when the child exits; without one (an old
  // kernel), look again every 10 ms.
  const int pidfd = reaped_ ? -1 : static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  std::optional<int> status = TryWait();
  while (!status.has_value()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left.count()));
    } else {
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(10)));
    }
    status = TryWait();
  }
  if (pidfd >= 0) close(pidfd);
  return status;
}

int ChildProcess::KillAndWait(int signal) {
  Signal(signal);
  return Wait();
}

std::string ChildProcess::ReadOutputAndWait(int* status) {
  std::string text;
  if (FILE* f = out(); f != nullptr) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  }
  *status = Wait();
  return text;
}

}  // namespace evlog::harness
