// EventIterator: a forward cursor over events, in the shape of leveldb's
// Iterator. Produced by Store::ReadStream and Store::ReadAll.
//
//   for (auto it = store->ReadAll({}); it->Valid(); it->Next()) {
//     const evlog::RecordedEvent& e = it->event();
//     ...
//   }
//   if (!it->status().ok()) ...   // always check after the loop
//
// Every record is verified as it is decoded; a record that fails verification
// ends the iteration with a Corruption status instead of crashing.
//
// Thread-safety: an iterator is used by one thread at a time. Iterators read a
// consistent snapshot taken when they were created and never block the writer.
// Lifetime: an iterator must be destroyed before the Store that made it.

#pragma once

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

}  // namespace evlog
