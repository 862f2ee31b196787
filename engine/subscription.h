// subscription: the thread behind evlog/subscription.h — a change feed, a
// handler with retries and backoff, parking, and a checkpoint written after
// each handled batch.

#pragma once

#include <memory>

#include "db.h"
#include "evlog/options.h"
#include "evlog/subscription.h"
#include "writer.h"

namespace evlog {

// Starts a subscription. Errors: ReadOnly without a writer, InvalidArgument
// for bad options. `db`, `writer` and `store_options` must outlive it.
Result<std::unique_ptr<Subscription>> OpenSubscription(Db* db, Writer* writer,
                                                       const Options& store_options,
                                                       SubscriptionOptions options,
                                                       BatchHandler handler);

}  // namespace evlog
