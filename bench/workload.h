// The standard workloads (DESIGN.md, "Benchmarks: the standard workloads"),
// each run once against one target. evlog-bench runs every (workload,
// system, repetition) in a fresh worker process of its own, so the peak RSS
// it reports is that run's alone and nothing carries over between runs.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "target.h"

namespace evlog::bench {

// Every workload evlog-bench knows, in the order `all` runs them.
const std::vector<std::string>& WorkloadNames();
bool IsWorkload(const std::string& name);
// What the workload does, one line for the help and the README.
const char* WorkloadSummary(const std::string& name);

struct WorkloadConfig {
  std::string workload;
  System system = System::kEvlog;
  // The store's directory: fresh, except for X2's "open" phase.
  std::string dir;
  // The scale, --events: W1's appends; the other workloads derive theirs
  // from it (WorkloadEvents).
  int64_t events = 1'000'000;
  // F1: live subscribers following W1.
  int subscribers = 0;
  // L1, F1: Options::live_feed_spin_us of the engine's store (--spin-us).
  uint32_t spin_us = 0;
  // The engine's Options::low_priority_background (--low-priority-background):
  // RocksDB's flushes and compactions at the lowest CPU priority.
  bool low_priority_background = false;
  // X2: "load" fills the store and closes it; "open" opens it.
  std::string phase;
  // Read workloads: passes over the data; 0 = as many as fit in half a
  // second (at least 3). The cost mode fixes it so that instruction counts
  // repeat.
  int passes = 0;
};

struct Measurement {
  int64_t events = 0;  // events appended, read, delivered or applied; A1: commands
  double seconds = 0;  // wall-clock time of the measured part
  // Percentiles of per-operation latency, where the workload has one.
  bool has_latency = false;
  double p50_us = 0, p99_us = 0, p999_us = 0;
  // L1, split at the append's callback, which the writer runs once the
  // commit is visible: append call -> callback (the append reaching the
  // writer and being written: the write path), and callback -> delivery
  // (0 when the feed delivered first; the read side is at most this plus
  // the callbacks of the group before it).
  bool has_commit_split = false;
  double to_commit_p50_us = 0, to_commit_p99_us = 0;
  double after_commit_p50_us = 0, after_commit_p99_us = 0;
  // Q1, A1: decisions read and decided again after a conflict (a failed
  // condition, a stale expected version); -1 where the workload has none.
  int64_t conflicts = -1;
  // A1: commands that committed an event (counted from the streams after
  // the run) and commands refused (nothing to reserve); events = their sum.
  int64_t committed = -1, refused = -1;
  // V1: how long after W1's last append the view had applied it (ms), and
  // how many events it was behind when W1 ended; -1 elsewhere.
  double lag_ms = -1;
  int64_t lag_events = -1;
  // V1: events/s of a second view applying the finished log from the start
  // (the view's own rate, not bounded by the writer's); -1 elsewhere.
  double replay_events_per_s = -1;
  // Non-empty when the workload does not apply to the system.
  std::string skipped;
  // The store was left open on purpose (X2's load: the next open is a crash
  // recovery): the process must end with _Exit, without destructors.
  bool left_open = false;
};

// The events (or, for W3, appends x 100) a workload handles at scale `events`.
int64_t WorkloadEvents(const std::string& workload, int64_t events);

// Runs the workload. Throws std::runtime_error on a failure (a failed append
// or read, a store that does not open).
Measurement RunWorkload(const WorkloadConfig& config);

// Percentile `p` (0..1) of `values`, which it sorts.
double Percentile(std::vector<float>& values, double p);

}  // namespace evlog::bench
