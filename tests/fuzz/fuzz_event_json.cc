// libFuzzer target: the CLI's and evlogd's JSON event parsers on arbitrary
// input, as a stdin line and as an HTTP body. They must never crash or
// throw; an accepted event has a type and data that is valid JSON, stored
// as the exact bytes of the input's value, and it renders back.

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "json/event_json.h"
#include "json/json_text.h"

namespace {

void Check(const evlog::EventData& event) {
  if (event.type.empty()) std::abort();
  if (!evlog::json::Validate(event.data, evlog::json::kMaxDepth).ok()) std::abort();
  evlog::RecordedEvent recorded{};
  recorded.type = event.type;
  recorded.data = event.data;
  recorded.metadata = event.metadata;
  recorded.content_type = event.content_type;
  if (!evlog::json::Validate(evlog::json::EventText(recorded), evlog::json::kMaxDepth + 1).ok()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  evlog::EventData event;
  if (evlog::json::EventFromLine(text, 1, &event).ok()) Check(event);
  std::vector<evlog::EventData> events;
  bool syntax = false;
  if (evlog::json::EventsFromBody(text, &events, &syntax).ok()) {
    for (const evlog::EventData& e : events) Check(e);
  }
  return 0;
}
