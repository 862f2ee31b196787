// ConnectLoopback: a TCP connection to a port on 127.0.0.1, the raw socket
// the harnesses use to speak to evlogd below its client (malformed frames,
// half-open sessions, readers that never read, raw HTTP).

#pragma once

#include <chrono>
#include <cstdint>

namespace evlog::harness {

// A socket (close-on-exec) connected to 127.0.0.1:`port`, or -1. With a
// non-zero `io_timeout`, a blocking send or receive on it fails after that
// long instead of hanging. The caller closes it.
int ConnectLoopback(uint16_t port, std::chrono::seconds io_timeout = std::chrono::seconds(0));

}  // namespace evlog::harness
