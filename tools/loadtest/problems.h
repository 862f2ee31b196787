// Problems: what a load run found wrong, collected from every thread.
// Internal to tools/loadtest.

#pragma once

#include <mutex>
#include <string>
#include <vector>

namespace evlog::loadtest {

// Collects problems from every thread; keeps the first 50.
class Problems {
 public:
  void Add(std::string what) {
    std::lock_guard lock(mu_);
    if (list_.size() < 50) list_.push_back(std::move(what));
  }
  std::vector<std::string> Take() {
    std::lock_guard lock(mu_);
    return std::move(list_);
  }

 private:
  std::mutex mu_;
  std::vector<std::string> list_;
};

}  // namespace evlog::loadtest
