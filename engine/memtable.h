// memtable: the in-memory table of evlog's column families.
//
// A skiplist for one writer thread (the store sets
// allow_concurrent_memtable_write = false) and any number of readers that
// take no lock. It does what RocksDB's own skiplist does for that case,
// without the assertions Debian's RocksDB build runs on every insert
// (docs/bench.md, "Debian's RocksDB runs its debug checks"): an insert with
// a per-prefix hint whose keys arrive in order compares the new key with
// the two nodes around the last insert and links it there.
//
// Memory: nodes and hints are taken from the memtable's own allocator
// (MemTableRep::Allocate), so RocksDB counts them against
// write_buffer_size as it counts its skiplist's; iterators come from a
// pool the table owns (see Iter in memtable.cc).
//
// Thread-safety: one thread inserts at a time (RocksDB's write group
// leader); readers run concurrently with it. A node is linked bottom-up and
// published with release stores; a reader sees it whole or not at all.

#pragma once

#include <rocksdb/memtablerep.h>

#include <memory>

namespace evlog {

std::shared_ptr<rocksdb::MemTableRepFactory> NewSingleWriterSkipListFactory();

}  // namespace evlog
