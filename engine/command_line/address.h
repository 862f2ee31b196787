// The values every evlog program reads from its command line the same way:
// a HOST:PORT address (evlogd's --listen and --http, evlog's and
// evlog-kafka's --connect) and a token file (--token-file). One parser
// each, below the daemon and the tools; no networking here (the caller
// resolves or checks HOST).

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "evlog/status.h"

namespace evlog::command_line {

struct HostPort {
  // The host as given, without the brackets of an IPv6 literal ("::1" for
  // "[::1]:7411"). Never empty.
  std::string host;
  uint16_t port = 0;
};

// Parses "HOST:PORT" or "[IPV6]:PORT", the value of `flag` (named in the
// error); an IPv6 address goes in brackets. The port is decimal digits, 1..65535, or 0..65535 with
// `allow_port_zero` (a listener's "any free port"). Errors: InvalidArgument
// "`flag` must be HOST:PORT, not '`text`'" for a missing or empty host or
// port, a port out of range, or anything but digits in it.
Result<HostPort> ParseHostPort(std::string_view text, std::string_view flag,
                               bool allow_port_zero = false);

// The token held in file `path`, without trailing white space (a final
// newline, "\r\n", spaces). Errors: InvalidArgument "--token-file `path`
// cannot be read", or "... is empty" when nothing but white space is in it.
Result<std::string> ReadTokenFile(const std::string& path);

}  // namespace evlog::command_line
