#include "bench_util.h"

#include <sys/prctl.h>

#include <thread>

namespace evlog::bench {

Pacer::Pacer(int64_t rate)
    : slack_(prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL)),
      start_((prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL), std::chrono::steady_clock::now())),
      interval_(1'000'000'000 / rate) {}

Pacer::~Pacer() {
  if (slack_ > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(slack_), 0UL, 0UL, 0UL);
}

void Pacer::Wait(int64_t i) const { std::this_thread::sleep_until(start_ + interval_ * i); }

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
