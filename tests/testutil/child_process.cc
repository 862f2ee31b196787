#include "testutil/child_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace evlog::testutil {

std::unique_ptr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv) {
  int out[2];
  if (pipe(out) != 0) return nullptr;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return nullptr;
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, fdopen(out[0], "r")));
}

int ChildProcess::KillAndWait(int signal) {
  if (!reaped_) {
    kill(pid_, signal);
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  return status_;
}

int ChildProcess::Wait() {
  if (!reaped_) {
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  return status_;
}

std::string ChildProcess::ReadOutputAndWait(int* status) {
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), out_) != nullptr) out += buf;
  *status = Wait();
  return out;
}

ChildProcess::~ChildProcess() {
  KillAndWait(SIGKILL);
  if (out_ != nullptr) fclose(out_);
}

}  // namespace evlog::testutil
