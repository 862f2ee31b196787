// libFuzzer target: the strict JSON validator (engine/json/json_text.h) on
// arbitrary bytes, at a small depth limit and without one. It must never
// crash; what it accepts at depth 4 it accepts without a limit; a text it
// accepts is one value that ScanValue spans from its first to its last
// non-whitespace byte. (nlohmann is no oracle: it refuses numbers past a
// double's range, which RFC 8259's grammar allows, and stops at a NUL.)

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "json/json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool shallow = evlog::json::Validate(text, 4).ok();
  const bool deep = evlog::json::Validate(text, SIZE_MAX).ok();
  if (shallow && !deep) std::abort();
  if (deep) {
    size_t pos = evlog::json::SkipSpace(text, 0);
    if (!evlog::json::ScanValue(text, &pos, SIZE_MAX).ok()) std::abort();
    if (evlog::json::SkipSpace(text, pos) != size) std::abort();
    if (pos == 0 || evlog::json::IsSpace(text[pos - 1])) std::abort();
  }
  return 0;
}
