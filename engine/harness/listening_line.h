// ReadListeningPort: the port a server child announces on its stdout as
// "<prefix><address>:<port>", e.g. evlogd's "evlogd listening on
// 127.0.0.1:40123" (docs/guide.md). Every harness that starts evlogd on an
// ephemeral port reads it this way.

#pragma once

#include <cstdint>
#include <cstdio>
#include <string_view>

namespace evlog::harness {

// Reads the next line of `out` and, if it starts with `prefix` and ends in
// ":<port>", stores the port in *port. False at end of output (the child
// died or closed stdout) or on any other line.
bool ReadListeningPort(FILE* out, std::string_view prefix, uint16_t* port);

}  // namespace evlog::harness
