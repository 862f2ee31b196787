// change_feed: the tail cursor behind evlog/change_feed.h. It reads from its
// position up to the committed position, and waits on the CommitSignal when
// caught up. While its next position is in the live tail (live_tail.h) it
// takes the events from there, already decoded; behind the tail it reads the
// log (or a category or type index) from RocksDB, and rejoins the tail once
// it reaches it. On a read-only store it reads RocksDB only and follows the
// writer process by catching up every few milliseconds.

#pragma once

#include <memory>

#include "db.h"
#include "evlog/change_feed.h"
#include "evlog/options.h"

namespace evlog {

// Opens a feed on `db`. Errors: InvalidArgument for a bad filter or batch
// limit. `db` must outlive the feed.
// With `wake_on_poke`, a CommitSignal::Poke() ends a waiting Next early with
// an empty batch (subscriptions use it to stop and to replay parked events).
// A `resume` feed continues a durable consumer from its own checkpoint: the
// trim horizon does not apply (trims never pass a checkpoint; deletes are
// the user's intent).
Result<std::unique_ptr<ChangeFeed>> OpenFeed(Db* db, const Options& store_options,
                                             const ChangeFeedOptions& options,
                                             bool wake_on_poke = false, bool resume = false);

}  // namespace evlog
