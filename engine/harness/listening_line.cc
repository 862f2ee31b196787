#include "harness/listening_line.h"

#include <charconv>
#include <string>

namespace evlog::harness {

bool ReadListeningPort(FILE* out, std::string_view prefix, uint16_t* port) {
  if (out == nullptr) return false;
  char buf[256];
  if (std::fgets(buf, sizeof(buf), out) == nullptr) return false;
  std::string_view line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  const size_t colon = line.rfind(':');
  if (line.substr(0, prefix.size()) != prefix || colon == std::string_view::npos) return false;
  const std::string_view digits = line.substr(colon + 1);
  uint16_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value == 0) return false;
  *port = value;
  return true;
}

}  // namespace evlog::harness
