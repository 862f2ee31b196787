#include "bench_util.h"

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

}  // namespace evlog::bench
