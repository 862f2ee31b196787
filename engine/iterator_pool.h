// iterator_pool: RocksDB iterators kept between reads, so a short read (a
// one-tag query: one seek and about ten steps) does not build an iterator
// and tear it down each time (issue #19: 6-9% of such a read's CPU, and its
// first seek must open each level's table iterator again).
//
// Invariant: an iterator is handed out only after Refresh(), so it reads the
// store as of the moment it was taken, exactly as a new one made then would
// (the same sequence number; a new superversion if flushes or compactions
// made one). An idle iterator pins the memtables and table files it last
// read: the pool drops every idle iterator whenever a flush or a compaction
// completes (so what they replaced can be freed and deleted), and keeps at
// most kMaxIdle of them.
//
// Only for column families never written with DeleteRange: the pooled
// iterators ignore range tombstones, which keeps Refresh() from building a
// range-tombstone iterator over the memtable on every read.
//
// The iterators have no bounds: a reader stops at the end of its own range
// by the keys it reads (a posting list: where the prefix ends). RocksDB
// checks an upper bound at each step, in the table iterator and again in
// the DB iterator, on top of the reader's own check; without, a one-tag
// read counts 4% fewer instructions (#19).
//
// Thread-safety: Take, the return of a Lease and the listener's callbacks
// are safe from any thread; a Lease is used by one thread at a time.

#pragma once

#include <rocksdb/db.h>
#include <rocksdb/listener.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace evlog {

class IteratorPool : public rocksdb::EventListener {
 public:
  // Idle iterators kept at most (over all column families). A read that
  // finds none idle makes one; more than this many returned at once are
  // destroyed.
  static constexpr size_t kMaxIdle = 8;

  // One pooled iterator.
  struct Entry;

  // An iterator taken from the pool; returns it on destruction. Movable.
  class Lease {
   public:
    Lease();
    Lease(IteratorPool* pool, std::unique_ptr<Entry> entry);
    Lease(Lease&&) noexcept;
    Lease& operator=(Lease&&) noexcept;
    ~Lease();

    // Null only for a default-constructed (or moved-from) Lease.
    rocksdb::Iterator* get() const;

   private:
    IteratorPool* pool_ = nullptr;
    std::unique_ptr<Entry> entry_;
  };

  IteratorPool();
  ~IteratorPool() override;
  IteratorPool(const IteratorPool&) = delete;
  IteratorPool& operator=(const IteratorPool&) = delete;

  // An iterator over all of `cf` of `db`, as of now (see the invariant).
  // Unpositioned: seek before reading; it reads past the caller's range
  // (no bounds), so the caller checks each key it reads.
  // REQUIRES: `db` and `cf` outlive the lease and are the same for every
  // Take until Close; `cf` is never written with DeleteRange.
  Lease Take(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf);

  // Destroys the idle iterators; leases out now are destroyed when returned
  // rather than kept. Then and after Close, nothing is pooled again. Call
  // before the database closes.
  void Close();

  // Idle iterators now. For tests.
  size_t idle() const;

  // rocksdb::EventListener: each drops the idle iterators (Clear).
  const char* Name() const override { return "evlog.IteratorPool"; }
  void OnFlushCompleted(rocksdb::DB* db, const rocksdb::FlushJobInfo& info) override;
  void OnCompactionCompleted(rocksdb::DB* db, const rocksdb::CompactionJobInfo& info) override;

 private:
  // Destroys the idle iterators (outside the lock: releasing a superversion
  // may take the database's mutex); leases out now are destroyed on return.
  void Clear();
  void Return(std::unique_ptr<Entry> entry);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> idle_;
  // Raised by Clear: an entry taken before is not kept when it returns.
  uint64_t generation_ = 0;
  bool closed_ = false;
};

}  // namespace evlog
