// libFuzzer target: the strict JSON validator (engine/json/json_text.h) on
// arbitrary bytes, at a small depth limit and without one. It must never
// crash; what it accepts at depth 4 it accepts without a limit, and what
// nlohmann refuses it refuses too (it is the stricter of the two).

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "json/json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool shallow = evlog::json::Validate(text, 4).ok();
  const bool deep = evlog::json::Validate(text, SIZE_MAX).ok();
  if (shallow && !deep) std::abort();
  if (deep && !nlohmann::json::accept(text)) std::abort();
  size_t pos = 0;
  if (evlog::json::ScanValue(text, &pos, 64).ok() && (pos == 0 || pos > size)) std::abort();
  return 0;
}
