#include "cli_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

extern char** environ;

namespace evlog::testutil {

namespace {

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// Reads what is available on `*fd` into `buffer`; closes it at end of file.
void Drain(int* fd, std::string* buffer) {
  char chunk[4096];
  ssize_t n = read(*fd, chunk, sizeof(chunk));
  if (n > 0) {
    buffer->append(chunk, static_cast<size_t>(n));
  } else if (n == 0 || errno != EINTR) {
    CloseFd(fd);
  }
}

}  // namespace

std::vector<nlohmann::ordered_json> CliOutcome::Lines() const {
  std::vector<nlohmann::ordered_json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::ordered_json::parse(line));
  }
  return lines;
}

nlohmann::ordered_json CliOutcome::Error() const {
  std::string first = err.substr(0, err.find('\n'));
  return nlohmann::ordered_json::parse(first, nullptr, /*allow_exceptions=*/false);
}

size_t CliOutcome::ErrorLineCount() const {
  size_t lines = 0;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) lines += line.empty() ? 0 : 1;
  return lines;
}

CliOutcome CliProcess::Run(const std::vector<std::string>& argv, std::string_view input) {
  std::unique_ptr<CliProcess> child = Start(argv);
  if (child == nullptr) return CliOutcome{.err = "cannot start " + argv.at(0)};
  child->Pump(input);
  return child->Finish();
}

std::unique_ptr<CliProcess> CliProcess::Start(const std::vector<std::string>& argv) {
  // The test writes to a child that may exit without reading: take EPIPE,
  // not SIGPIPE. The child gets the default disposition back below.
  signal(SIGPIPE, SIG_IGN);
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) CloseFd(fd);
    return nullptr;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
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
  int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    return nullptr;
  }
  return std::unique_ptr<CliProcess>(new CliProcess(pid, in[1], out[0], err[0]));
}

CliProcess::~CliProcess() {
  CloseFd(&in_);
  CloseFd(&out_);
  CloseFd(&err_);
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool CliProcess::Write(std::string_view text) {
  while (!text.empty()) {
    if (in_ < 0) return false;
    ssize_t n = write(in_, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      CloseFd(&in_);
      return false;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<std::string> CliProcess::ReadLine(std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (out_buffer_.find('\n') == std::string::npos && out_ >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{out_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) > 0) Drain(&out_, &out_buffer_);
  }
  size_t end = out_buffer_.find('\n');
  if (end == std::string::npos) return std::nullopt;
  std::string line = out_buffer_.substr(0, end);
  out_buffer_.erase(0, end + 1);
  return line;
}

void CliProcess::Pump(std::string_view input) {
  if (input.empty()) CloseFd(&in_);
  // Non-blocking, so a write never waits for room while the child waits for
  // us to drain its output.
  if (in_ >= 0) fcntl(in_, F_SETFL, fcntl(in_, F_GETFL) | O_NONBLOCK);
  while (out_ >= 0 || err_ >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    if (in_ >= 0) fds[n++] = {in_, POLLOUT, 0};
    if (out_ >= 0) fds[n++] = {out_, POLLIN, 0};
    if (err_ >= 0) fds[n++] = {err_, POLLIN, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_) {
        ssize_t w = write(in_, input.data(), std::min<size_t>(input.size(), 64 << 10));
        if (w > 0) input.remove_prefix(static_cast<size_t>(w));
        if (w < 0 && errno != EINTR && errno != EAGAIN) input = {};
        if (input.empty()) CloseFd(&in_);
      } else if (fds[i].fd == out_) {
        Drain(&out_, &out_buffer_);
      } else if (fds[i].fd == err_) {
        Drain(&err_, &err_buffer_);
      }
    }
  }
  CloseFd(&in_);
}

CliOutcome CliProcess::Finish() {
  Pump("");
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  CliOutcome outcome;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = std::move(out_buffer_);
  outcome.err = std::move(err_buffer_);
  return outcome;
}

}  // namespace evlog::testutil
