// A1, aggregate commands (the seeds' inventory, inventory.h), against any
// target with clerks.

#pragma once

#include <cstdint>

#include "target.h"
#include "workload.h"

namespace evlog::bench {

// Loads `history` events into each of kProducts products (not measured),
// then kCommandThreads threads run `commands` commands in all, each on a
// random product, one in five a restock: load, decide, commit at the loaded
// version, retry on a conflict. Measures commands/s and per-command latency
// (retries included), counts conflicts and refusals, and afterwards checks
// every product's version and stock against the commands that committed.
// Throws std::runtime_error on a failed command or a wrong product.
Measurement AggregateCommands(Target& target, int64_t commands, int64_t history);

}  // namespace evlog::bench
