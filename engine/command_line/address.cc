#include "command_line/address.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace evlog::command_line {

Result<HostPort> ParseHostPort(std::string_view text, std::string_view flag,
                               bool allow_port_zero) {
  auto bad = [&] {
    return Status::InvalidArgument(std::string(flag) + " must be HOST:PORT, not '" +
                                   std::string(text) + "'");
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad();
  std::string_view host = text.substr(0, colon);
  const std::string_view digits = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find_first_of(":[]") != std::string_view::npos) {
    return bad();  // an IPv6 address goes in brackets: "::1" is not ":" port 1
  }
  if (host.empty() || digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return bad();
  }
  uint32_t port = 0;
  for (char c : digits) port = port * 10 + static_cast<uint32_t>(c - '0');
  if (port > 65535 || (port == 0 && !allow_port_zero)) return bad();
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("--token-file " + path + " cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument("--token-file " + path + " cannot be read");
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  if (token.empty()) return Status::InvalidArgument("--token-file " + path + " is empty");
  return token;
}

}  // namespace evlog::command_line
