// What the example programs share, so that each reads as its own story:
// where its store lives and how it reports a failure.

#pragma once

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "evlog/store.h"

namespace evlog::examples {

// Prints "<program>: <what>" on stderr and returns the exit code, 1.
inline int Fail(const char* program, const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program, what.c_str());
  return 1;
}

// The store an example runs on: in argv[1], or, without one, in a fresh
// directory <system temp>/<prefix><pid>, removed by Finish() (a failed
// run leaves it, to look at).
class ExampleStore {
 public:
  ExampleStore(int argc, char** argv, const std::string& prefix)
      : temporary_(argc <= 1),
        dir_(argc > 1 ? argv[1]
                      : (std::filesystem::temp_directory_path() /
                         (prefix + std::to_string(::getpid())))
                            .string()),
        opened_(Store::Open({}, dir_)) {}

  // The store; REQUIRES: status().ok().
  Store& store() { return **opened_; }
  // Why the store did not open.
  Status status() const { return opened_.status(); }

  // Closes the store and removes a temporary directory.
  void Finish() {
    opened_ = Status::Aborted("finished");
    if (temporary_) std::filesystem::remove_all(dir_);
  }

 private:
  bool temporary_;
  std::string dir_;
  Result<std::unique_ptr<Store>> opened_;
};

}  // namespace evlog::examples
