// The torture's verifier: what the parent checks after each kill, on the
// reopened store.
// - nothing acknowledged was lost (Verify);
// - the view's counts equal a recount of the log up to the view's position
//   (applied exactly once), and again after it has caught up with the log;
// - the positions the subscription handled in the run follow its previous
//   checkpoint without a gap, in order, and reach at least its new
//   checkpoint (nothing skipped, at least once).

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "torture/ack.h"

namespace evlog::torture {

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

// The subscription's checkpoint in `store` (0 if it has none); a failure to
// list subscriptions is added to `problems`.
uint64_t SubscriptionCheckpoint(Store& store, std::vector<std::string>& problems);

}  // namespace evlog::torture
