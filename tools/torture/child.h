// The torture's child: the process that appends with Durability::kSync from
// several threads, runs a view and a durable subscription over the same log,
// reports every acknowledged append on its stdout (ack.h) and is killed
// with SIGKILL at a random moment by the parent (parent.h).
//
// - the view "torture-counter" counts each stream's events ("count/<stream>")
//   and all of them ("total");
// - the subscription "torture-sub" writes the position of every event it
//   handles to a side file (one line each, fdatasync'd before the handler
//   returns) and then checkpoints.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "evlog/view.h"

namespace evlog::torture {

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

// The child's view, which the verifier reopens to let it catch up: its
// options and its handler.
ViewOptions CounterViewOptions();
// The view's handler: per stream, how many events it has; "total" counts
// all. A double-applied event shows as a count above the log's.
Status CountEvents(const std::vector<OwnedEvent>& events, ViewWriter& out);

// The child: appends until killed, printing an ack line per acknowledged
// append to stdout (fd 1). Returns only on an error (non-zero exit code),
// including a retry that was not deduplicated as it must be.
int RunChild(const ChildOptions& options);

}  // namespace evlog::torture
