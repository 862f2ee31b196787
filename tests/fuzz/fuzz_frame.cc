// libFuzzer target: the evlogd frame parser fed arbitrary bytes in arbitrary
// pieces. It must never crash, never hand out a frame longer than its limit
// or an empty one, never buffer more than it was fed, and stay in an error
// state once it is in one.

#include <cstdint>
#include <cstdlib>
#include <span>

#include "frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first byte picks the limit, the second the piece size.
  const size_t max_frame = 1 + data[0] * 64u;
  const size_t piece = 1 + data[1] % 32u;
  evlog::server::FrameParser parser(max_frame);
  size_t fed = 0, taken = 0;
  bool failed = false;
  for (size_t at = 2; at < size; at += piece) {
    const size_t n = std::min(piece, size - at);
    parser.Feed(std::span<const uint8_t>(data + at, n));
    fed += n;
    for (;;) {
      auto next = parser.Parse();
      if (next == evlog::server::FrameParser::Next::kNeedMore) break;
      if (next != evlog::server::FrameParser::Next::kFrame) {
        failed = true;
        break;
      }
      if (failed) std::abort();  // a frame after an error
      const auto frame = parser.frame();
      if (frame.empty() || frame.size() > max_frame) std::abort();
      taken += frame.size() + evlog::server::kFrameHeaderBytes;
    }
    if (parser.buffered_bytes() > fed - taken && !failed) std::abort();
    if (failed && parser.Parse() == evlog::server::FrameParser::Next::kFrame) std::abort();
  }
  return 0;
}
