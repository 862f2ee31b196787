// sequence: the writer's view of where every stream is. Stream heads (id and
// last version) are cached in memory and loaded on first touch from the
// `streams` row and the end of the stream's range in `stream`, so opening a
// store never scans the log and a head costs nothing to persist: it is
// implied by the events themselves.
//
// Thread-safety: used by the writer thread only.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db.h"
#include "evlog/status.h"
#include "evlog/types.h"
#include "keys.h"

namespace evlog {

struct StreamHead {
  // 0 while the stream has never been created.
  uint64_t id = 0;
  Version version;
  Position created_position;
  // Hard-deleted: never written again.
  bool tombstoned = false;
  // Touched since the last sweep of StreamHeads::Shrink.
  bool referenced = true;
  // The writer's group that last saved this head to restore it (the
  // group's undo list): a head is saved once per group, without a set.
  uint64_t saved_by_group = 0;
};

// Reads a stream's head from the database: NotFound-free; a stream that was
// never created has id 0 and version 0. Used by readers too.
Status LoadStreamHead(const Db& db, const rocksdb::ReadOptions& read_options,
                      std::string_view stream, StreamHead* head);

class StreamHeads {
 public:
  explicit StreamHeads(const Db* db) : db_(db) {}

  // The head of `stream`, loaded on first use. The pointer stays valid until
  // the next Shrink().
  Result<StreamHead*> Find(std::string_view stream);

  // Keeps the cache near `capacity` heads: when it holds more, drops every
  // head not found since the previous sweep (a clock: hot streams stay). A
  // dropped head is loaded again on its next use. Call only between groups,
  // when no pointer from Find is held.
  void Shrink(size_t capacity);

  size_t size() const { return size_; }

 private:
  // A head and its stream's name, allocated together: the pointer Find
  // returns stays put when the table grows.
  struct Entry {
    StreamHead head;
    std::string name;
  };
  // An open-addressing table (linear probing, load <= 1/2) of the names'
  // hashes and their entries. A lookup reads one slot's line and, on a hash
  // match, the entry: a miss (a stream new to the cache) reads one line. A
  // std::unordered_map read the bucket, the node before it and each node of
  // the chain, each a cache miss once the heads outgrow the caches (X1).
  struct Slot {
    size_t hash = 0;
    std::unique_ptr<Entry> entry;  // null: a free slot
  };

  // Puts `entry` in the first free slot from its hash's home.
  // REQUIRES: a free slot.
  void Insert(size_t hash, std::unique_ptr<Entry> entry);
  // Moves every entry into a table of `slots` slots (a power of two).
  void Rehash(size_t slots);

  const Db* db_;
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace evlog
