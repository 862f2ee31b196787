// Crash torture: a child process appends with Durability::kSync from several
// threads and reports every acknowledged append on its stdout; the parent
// kills it with SIGKILL at a random moment, reopens the store and checks that
// nothing acknowledged was lost (issue #7, after RocksDB's db_stress).
//
// The child's report is one line per acknowledged append:
//
//   ack <op> <stream> <first_version> <last_version> <first_position> <last_position> [...]
//
// with one group of five fields per stream of the append. Every event's id
// is EventId(op, k), k counting the append's events in request order, so the
// parent can check ids and replay an append to test deduplication.

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "evlog/store.h"

namespace evlog::torture {

struct AckedStream {
  std::string stream;
  Version first_version, last_version;
  Position first_position, last_position;
};

struct Ack {
  uint64_t op = 0;
  std::vector<AckedStream> streams;
};

// The id of event `k` of append `op`.
Uuid EventId(uint64_t op, uint32_t k);

// The line the child prints for `ack` (with the newline).
std::string FormatAck(const Ack& ack);
// Parses a FormatAck line (without the newline); false if malformed.
bool ParseAck(const std::string& line, Ack* ack);

// The append an Ack reports, rebuilt: same streams, event counts and ids.
AppendRequest RebuildAppend(const Ack& ack);

struct ChildOptions {
  std::string db;
  uint64_t run = 0;  // the kill round: part of every op number
  int threads = 4;
  uint64_t seed = 1;
};

// The child: appends until killed, printing an ack line per acknowledged
// append to stdout (fd 1). Returns only on an error (non-zero exit code),
// including a retry that was not deduplicated as it must be.
int RunChild(const ChildOptions& options);

struct Verification {
  uint64_t events = 0;           // events in the log
  uint64_t acked_events = 0;     // acknowledged events found where acknowledged
  uint64_t retries_checked = 0;  // acknowledged appends replayed and deduplicated
  std::vector<std::string> problems;
};

// Checks `store` against every acknowledged append: each event present at
// its version and position with its id; positions 1..N without gaps; every
// stream's versions contiguous; no event id twice; and up to `retries`
// acknowledged appends (spread over `acks`) replayed, each answered as a
// duplicate with its original positions.
Verification Verify(Store& store, const std::map<uint64_t, Ack>& acks, int retries);

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
  std::vector<std::string> problems;
};

// The parent: `kills` rounds of start child, wait, SIGKILL, verify.
TortureResult RunTorture(const TortureOptions& options);

}  // namespace evlog::torture
