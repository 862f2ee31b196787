// libFuzzer target: the CLI's JSON event-line parser on arbitrary lines. It
// must never crash or throw; an accepted line yields an event with a type.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cli/event_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  evlog::EventData event;
  if (evlog::cli::EventFromLine(line, 1, &event).ok() && event.type.empty()) std::abort();
  return 0;
}
