// EventIterator: a forward cursor over events, in the shape of leveldb's
// Iterator. Produced by EventStore::ReadStream and ReadAll (an embedded
// Store, or a Client reading through evlogd a page at a time).
//
//   auto it = store->ReadAll({});
//   if (!it.ok()) return it.status();
//   for (; (*it)->Valid(); (*it)->Next()) {
//     const evlog::RecordedEvent& e = (*it)->event();
//     ...
//   }
//   if (!(*it)->status().ok()) ...   // always check after the loop
//
// Collect() gathers what a read yields into owned events, for reads known
// to be small.
//
// Every record is verified as it is decoded; a record that fails verification
// ends the iteration with a Corruption status instead of crashing.
//
// Thread-safety: an iterator is used by one thread at a time. Iterators read a
// consistent snapshot taken when they were created and never block the writer.
// Lifetime: an iterator must be destroyed before the Store that made it.

#pragma once

#include <memory>
#include <vector>

#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

class EventIterator {
 public:
  EventIterator() = default;
  EventIterator(const EventIterator&) = delete;
  EventIterator& operator=(const EventIterator&) = delete;
  virtual ~EventIterator() = default;

  // True while the iterator is positioned at an event. False at the end, after
  // the count limit, or on error (see status()).
  virtual bool Valid() const = 0;

  // Moves to the next event. REQUIRES: Valid()
  virtual void Next() = 0;

  // The current event. Its views are valid until the next call to Next() or
  // the iterator's destruction. REQUIRES: Valid()
  virtual const RecordedEvent& event() const = 0;

  // OK unless an error ended the iteration early: Corruption for a record
  // that failed verification, IOError for a read failure.
  virtual Status status() const = 0;
};

// Every event `read` yields, owned: the read's error, or the iterator's
// status() if it ended early. Holds the whole read in memory: bound it with
// max_count.
inline Result<std::vector<OwnedEvent>> Collect(Result<std::unique_ptr<EventIterator>> read) {
  if (!read.ok()) return read.status();
  EventIterator& it = **read;
  std::vector<OwnedEvent> out;
  for (; it.Valid(); it.Next()) out.push_back(OwnedEvent::From(it.event()));
  if (Status s = it.status(); !s.ok()) return s;
  return out;
}

}  // namespace evlog
