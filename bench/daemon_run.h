// S1: the engine through evlogd over loopback (daemon_run.cc).

#pragma once

#include <cstdint>
#include <string>

#include "workload.h"

namespace evlog::bench {

// Where evlogd is: $EVLOGD, else beside this executable, else the build
// tree's server/ next to bench/. Empty if none is found.
std::string FindEvlogd();

// Runs `shape` ("W1", "W3" or "latency") through an evlogd serving a store
// in `dir`, at scale `events`. Skipped when there is no evlogd.
Measurement RunThroughDaemon(const std::string& shape, const std::string& dir, int64_t events);

}  // namespace evlog::bench
