// WalGate: keeps a WAL write from failing while a SyncWAL is deciding.
//
// RocksDB 7.8's DB::SyncWAL checks no background error before it syncs: it
// reaches WritableFileWriter::SyncWithoutFlush, whose first step on a WAL
// that saw a failed write is `assert(sync_without_flush_called_)`. Debian
// builds RocksDB with assertions, so a WAL write that fails between a
// syncer's "no write failed" and that check aborts the process. The gate
// closes that window without making the writer wait for an fsync:
//  - the writer brackets each DB::Write with BeginWrite/EndWrite;
//  - a syncer Arm()s before SyncWAL: it waits for the write in flight, gives
//    up if a write failed, and closes the gate to new writes;
//  - the gate opens again when the newest WAL's sync starts (WalFileSystem
//    reports it, after SyncWithoutFlush's check has passed) or, at the
//    latest, when the syncer calls Disarm() after SyncWAL returns.
// So a write waits microseconds (the syncer's way from Arm to the fsync),
// and then runs beside the fsync, as RocksDB allows.
//
// Thread-safety: every method may be called from any thread.

#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <rocksdb/file_system.h>

namespace evlog {

class WalGate {
 public:
  // Writer side: waits while a syncer is arming, then marks a write in
  // flight. Every BeginWrite is followed by one EndWrite.
  void BeginWrite();
  // The write ended; `failed` marks the WAL unsyncable until ClearFailure.
  void EndWrite(bool failed);
  // After a successful DB::Resume: RocksDB writes a new WAL.
  void ClearFailure();

  // Syncer side: waits for the write in flight; false (nothing to sync) if a
  // write failed. On true the gate is closed until Disarm or the newest
  // WAL's sync starts on this thread. At most one syncer arms at a time
  // (callers serialize their SyncWAL calls).
  bool Arm();
  void Disarm();

  // File system side (WalFileSystem): WAL `number` was created; the sync of
  // WAL `number` starts on this thread.
  void WalOpened(uint64_t number);
  void WalSyncStarting(uint64_t number);

  // Tests only: `armed` runs on the syncer after a successful Arm();
  // `writer_waits` runs on the writer when BeginWrite finds the gate closed.
  struct TestHooks {
    std::function<void()> armed;
    std::function<void()> writer_waits;
  };
  static void SetTestHooksForTesting(TestHooks hooks);

 private:
  void Open(std::unique_lock<std::mutex>& lock);

  std::mutex mu_;
  std::condition_variable cv_;
  bool writing_ = false;
  bool write_failed_ = false;
  bool armed_ = false;
  std::thread::id arming_thread_;
  uint64_t newest_wal_ = 0;
};

// Wraps `base`: each WAL (NNNNNN.log) it creates reports its creation and
// the start of each of its syncs to `gate`. Other files pass through.
std::shared_ptr<rocksdb::FileSystem> NewWalFileSystem(std::shared_ptr<rocksdb::FileSystem> base,
                                                      std::shared_ptr<WalGate> gate);

}  // namespace evlog
