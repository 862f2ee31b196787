// NewOwnedEventIterator: events already owned (a QueryResult's, or what
// Collect gathered) walked as a read's EventIterator, so code written for
// reads (a page filler, a printer) takes them too.
//
//   Result<QueryResult> result = store->Read(query, {});
//   std::unique_ptr<evlog::EventIterator> it = evlog::NewOwnedEventIterator(result->events);
//   for (; it->Valid(); it->Next()) Print(it->event());
//
// Thread-safety and views as for any EventIterator (event_iterator.h).

#pragma once

#include <memory>
#include <vector>

#include "evlog/event_iterator.h"
#include "evlog/types.h"

namespace evlog {

// An iterator over `events`, in order, that never fails (status() is OK).
// Lifetime: `events` must outlive the iterator and not change while it
// lives; event()'s views point into them.
std::unique_ptr<EventIterator> NewOwnedEventIterator(const std::vector<OwnedEvent>& events);

}  // namespace evlog
