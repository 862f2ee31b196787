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
// Three programs in one binary, one file pair each: the child that gets
// killed (child.h), the parent that kills it (parent.h), and the verifier
// the parent runs after each kill (verifier.h); they share the child's
// report (ack.h).

#pragma once

#include "torture/ack.h"
#include "torture/child.h"
#include "torture/parent.h"
#include "torture/verifier.h"
