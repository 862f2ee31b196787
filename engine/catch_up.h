// catch_up: how a read-only store (a RocksDB secondary instance) takes in
// what the writer process committed since its last look, and publishes a
// committed position only once every event up to it is readable here.
//
// The invariant: a read-only store's `commits` never passes an event its
// reads cannot see. Feeds advance to `commits` and never look back, so a
// position published over a hole would skip that event for good (#21).

#pragma once

#include "db.h"
#include "evlog/status.h"

namespace evlog {

// Catches `db` up with the writer (TryCatchUpWithPrimary), checks that the
// catch-up can be trusted, and then advances db.commits (to the store's last
// position, or beyond it over the log records readable here: RocksDB may
// read that counter stale, see catch_up.cc), the trim horizon and
// has_metadata. When the catch-up could not be trusted (the writer
// process changed under it) after a few tries, returns OK with nothing
// published: the caller's next call tries again.
//
// Errors: Corruption or IOError from the storage.
// REQUIRES: db.read_only. Thread-safe (calls are serialized).
Status CatchUpWithWriter(Db& db);

}  // namespace evlog
