// The torture's parent: `kills` rounds of start the child (child.h), wait a
// random time, SIGKILL it, reopen the store and verify (verifier.h).

#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace evlog::torture {

struct TortureOptions {
  std::string db;
  int kills = 50;
  int threads = 4;
  uint64_t seed = 1;
  // Each child runs for a random time in [min_ms, max_ms] before SIGKILL.
  int min_ms = 20;
  int max_ms = 300;
  // This executable, started as the child ("child" verb).
  std::string self;
  // A line on stderr every 50 kills.
  bool progress = false;
};

struct TortureResult {
  int kills = 0;
  uint64_t acknowledged_appends = 0;
  uint64_t events_verified = 0;  // of the last verification: the whole log
  uint64_t retries_checked = 0;
  uint64_t view_position = 0;            // the view's, at rest after the last kill
  uint64_t subscription_handled = 0;     // events the subscription handled, all runs
  uint64_t subscription_checkpoint = 0;  // after the last kill
  std::vector<std::string> problems;
};

// The parent: `kills` rounds of start child, wait, SIGKILL, verify.
TortureResult RunTorture(const TortureOptions& options);

}  // namespace evlog::torture
