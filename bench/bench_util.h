// Shared pieces of the benches: the standard workload's names and payload,
// and a temporary directory that removes itself.

#pragma once

#include <string>
#include <vector>

namespace evlog::bench {

// The standard workload: streams "stream-0".."stream-999", type "ItemAdded",
// a 128-byte payload.
inline constexpr int kStreams = 1000;
inline constexpr char kEventType[] = "ItemAdded";
const std::string& Payload();
const std::vector<std::string>& StreamNames();

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace evlog::bench
