#include "cli_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

namespace evlog::testutil {

namespace {

// Reads what is available on `fd` into `buffer`; false at end of file (or
// on an error), when the caller closes it.
bool Drain(int fd, std::string* buffer) {
  char chunk[4096];
  ssize_t n = read(fd, chunk, sizeof(chunk));
  if (n > 0) buffer->append(chunk, static_cast<size_t>(n));
  return n > 0 || (n < 0 && errno == EINTR);
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
  // not SIGPIPE (the child gets the default disposition back).
  signal(SIGPIPE, SIG_IGN);
  auto child = ChildProcess::Start(
      argv, ChildOptions{.pipe_stdin = true, .pipe_stdout = true, .pipe_stderr = true});
  if (child == nullptr) return nullptr;
  return std::unique_ptr<CliProcess>(new CliProcess(std::move(child)));
}

bool CliProcess::Write(std::string_view text) {
  while (!text.empty()) {
    if (child_->in_fd() < 0) return false;
    ssize_t n = write(child_->in_fd(), text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      child_->CloseIn();
      return false;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<std::string> CliProcess::ReadLine(std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (out_buffer_.find('\n') == std::string::npos && child_->out_fd() >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{child_->out_fd(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) > 0 && !Drain(p.fd, &out_buffer_)) {
      child_->CloseOut();
    }
  }
  size_t end = out_buffer_.find('\n');
  if (end == std::string::npos) return std::nullopt;
  std::string line = out_buffer_.substr(0, end);
  out_buffer_.erase(0, end + 1);
  return line;
}

void CliProcess::Pump(std::string_view input) {
  ChildProcess& c = *child_;
  if (input.empty()) c.CloseIn();
  // Non-blocking, so a write never waits for room while the child waits for
  // us to drain its output.
  if (c.in_fd() >= 0) fcntl(c.in_fd(), F_SETFL, fcntl(c.in_fd(), F_GETFL) | O_NONBLOCK);
  while (c.out_fd() >= 0 || c.err_fd() >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    if (c.in_fd() >= 0) fds[n++] = {c.in_fd(), POLLOUT, 0};
    if (c.out_fd() >= 0) fds[n++] = {c.out_fd(), POLLIN, 0};
    if (c.err_fd() >= 0) fds[n++] = {c.err_fd(), POLLIN, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == c.in_fd()) {
        ssize_t w = write(c.in_fd(), input.data(), std::min<size_t>(input.size(), 64 << 10));
        if (w > 0) input.remove_prefix(static_cast<size_t>(w));
        if (w < 0 && errno != EINTR && errno != EAGAIN) input = {};
        if (input.empty()) c.CloseIn();
      } else if (fds[i].fd == c.out_fd()) {
        if (!Drain(c.out_fd(), &out_buffer_)) c.CloseOut();
      } else if (fds[i].fd == c.err_fd()) {
        if (!Drain(c.err_fd(), &err_buffer_)) c.CloseErr();
      }
    }
  }
  c.CloseIn();
}

CliOutcome CliProcess::Finish() {
  Pump("");
  const int status = child_->Wait();
  CliOutcome outcome;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = std::move(out_buffer_);
  outcome.err = std::move(err_buffer_);
  return outcome;
}

void ExpectError(const CliOutcome& r, int exit_code, const std::string& code,
                 std::string_view in_message) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  EXPECT_EQ(r.ErrorLineCount(), 1u) << r.err;
  const nlohmann::ordered_json error = r.Error();
  ASSERT_TRUE(error.is_object()) << r.err;
  EXPECT_EQ(error["error"], code) << r.err;
  ASSERT_TRUE(error["message"].is_string()) << r.err;
  EXPECT_NE(error["message"].get<std::string>().find(in_message), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out.substr(0, 200);
}

}  // namespace evlog::testutil
