// Crash torture: a child process appends with Durability::kSync from several
// threads and reports every acknowledged append on its stdout; the parent
// kills it with SIGKILL at a random moment, reopens the store and checks that
// nothing acknowledged was lost (issue #7, after RocksDB's db_stress).
//
// The child also runs a view and a durable subscription over the same log,
// and they are killed mid-batch with it:
// - the view "torture-counter" counts each stream's events ("count/<stream>")
//   and all of them ("total"); after a kill, its counts must equal a recount
//   of the log up to the view's position (applied exactly once), and again
//   after it has caught up with the log;
// - the subscription "torture-sub" writes the position of every event it
//   handles to a side file (one line each, fdatasync'd before the handler
//   returns) and then checkpoints; after a kill, the positions it handled in
//   that run must follow its previous checkpoint without a gap, in order,
//   and reach at least its new checkpoint (nothing skipped, at least once).
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
  // The subscription's side file (truncated at start): one handled position
  // per line.
  std::string handled;
};

inline constexpr char kViewName[] = "torture-counter";
inline constexpr char kSubscriptionName[] = "torture-sub";

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
  uint64_t view_position = 0;            // the view's, at rest after the last kill
  uint64_t subscription_handled = 0;     // events the subscription handled, all runs
  uint64_t subscription_checkpoint = 0;  // after the last kill
  std::vector<std::string> problems;
};

// The view's state after a kill, before it has run again: every count
// equals a recount of the log up to the view's position. Adds problems to
// `v`; returns the view's position.
Position VerifyViewAtRest(Store& store, Verification& v);
// Runs the view until it has caught up with the log and checks its counts
// against the stream heads. The view is stopped again on return.
void VerifyViewCaughtUp(Store& store, Verification& v);

// What one child's subscription did: the positions it handled, in the order
// it handled them, and the checkpoints before and after its run.
struct SubscriptionRun {
  std::vector<uint64_t> handled;
  uint64_t checkpoint_before = 0;
  uint64_t checkpoint_after = 0;
  uint64_t last_position = 0;  // of the log after the run
};
// Resumed after checkpoint_before, nothing skipped: handled is
// checkpoint_before+1, +2, ... (every event, in order) and reaches
// checkpoint_after, which lies between checkpoint_before and last_position.
// An empty result means no problem.
std::vector<std::string> CheckSubscriptionRun(const SubscriptionRun& run);

// The positions in a side file, complete lines only (the child may die in
// the middle of one).
std::vector<uint64_t> ReadHandled(const std::string& path);

// The parent: `kills` rounds of start child, wait, SIGKILL, verify.
TortureResult RunTorture(const TortureOptions& options);

}  // namespace evlog::torture
