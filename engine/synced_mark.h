// synced_mark: a lower bound, kept beside RocksDB, on the positions whose
// events are synced to disk.
//
// The store opens its write-ahead log with kTolerateCorruptedTailRecords
// (db.cc): a torn last record, written by a process killed mid-write and
// never acknowledged, is dropped. RocksDB cannot tell that from a WAL cut
// short after it was synced, which drops acknowledged events without a word.
// So the writer records, after each WAL sync, the last position the sync
// covered in the file SYNCED (docs/format.md), and opening a store whose
// log ends below it fails with Corruption.
//
// The mark is written after the sync and never synced itself: a power loss
// may leave it older than the log (or absent), never newer. So it promises
// "the log holds at least this much", which is enough to catch a WAL that
// lost synced events; it costs one small write per synced group and no
// fsync.
//
// Thread-safety: Advance may be called from any thread.

#pragma once

#include <rocksdb/file_system.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "evlog/status.h"

namespace evlog {

class SyncedMark {
 public:
  // The file name inside the store directory.
  static constexpr const char* kFileName = "SYNCED";

  // Creates the mark of the store directory `dir` afresh, through `fs` (the
  // store's RocksDB file system, so that fault-injection tests see it like
  // the WAL). It holds no position until the first Advance beyond `start`
  // (the last position at open: not known to be synced). Errors: IOError
  // if the file cannot be created.
  static Result<std::unique_ptr<SyncedMark>> Open(std::shared_ptr<rocksdb::FileSystem> fs,
                                                  const std::string& dir, uint64_t start);

  SyncedMark(const SyncedMark&) = delete;
  SyncedMark& operator=(const SyncedMark&) = delete;
  ~SyncedMark();

  // Records that every event up to `position` is synced, if that is beyond
  // the mark. A failed write is ignored: the mark only stays lower, which
  // weakens the check, never the store.
  void Advance(uint64_t position);

 private:
  SyncedMark(std::shared_ptr<rocksdb::FileSystem> fs, std::unique_ptr<rocksdb::FSWritableFile> file,
             uint64_t start)
      : fs_(std::move(fs)), file_(std::move(file)), mark_(start) {}

  const std::shared_ptr<rocksdb::FileSystem> fs_;  // outlives file_
  std::mutex mu_;
  const std::unique_ptr<rocksdb::FSWritableFile> file_;  // written under mu_
  uint64_t mark_;                                        // guarded by mu_
};

// The mark of the store directory `dir`; 0 if it has none, or one that does
// not check out (a torn write of the mark itself).
uint64_t ReadSyncedMark(const std::string& dir);

// Corruption if a store whose log ends at `last_position` has a mark above
// it: its write-ahead log lost synced events. `dir` names the store in the
// message.
Status CheckSyncedMark(const std::string& dir, uint64_t mark, uint64_t last_position);

}  // namespace evlog
