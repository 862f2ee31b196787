#include "bench_util.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace evlog::bench {

const std::string& Payload() {
  static const std::string payload(128, 'p');
  return payload;
}

const std::vector<std::string>& StreamNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (int i = 0; i < kStreams; ++i) v.push_back("stream-" + std::to_string(i));
    return v;
  }();
  return names;
}

ScratchDir::ScratchDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "evlog-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace evlog::bench
