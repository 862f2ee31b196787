// FaultFs: a RocksDB FileSystem for tests that fails chosen I/O on demand
// and simulates a power loss. It wraps the local file system; a store uses
// it once it is installed with SetFileSystemForTesting (engine/db.h).
//
// Faults: Inject() makes every matching operation (a write, a sync or a
// read, of one kind of file) fail with ENOSPC or EIO from then on, or only
// for a number of times, until Clear(). They are switched at runtime, while
// the store is open.
//
// Power loss: FaultFs tracks, for every file written through it, how many
// bytes were written and how many of those were synced (Sync/Fsync). PowerOff()
// makes every later write, sync, create, rename and delete fail, as if the
// machine had stopped; the store can then be closed. DropUnsyncedData() cuts
// every tracked file back to its synced length — what a disk without a
// write cache would hold after the power came back — and powers on again.
// Files that existed before FaultFs saw them are taken as synced. Renames and
// deletes are taken as durable at once (RocksDB syncs the directory after
// the ones it depends on).
//
// Thread-safety: all methods are safe from any thread.

#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace evlog::testutil {

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  enum class Op : uint8_t { kWrite, kSync, kRead };
  enum class Error : uint8_t { kNoSpace, kIO };
  // Which files a fault applies to, by name.
  enum class Kind : uint8_t {
    kAny,
    kWal,       // NNNNNN.log
    kTable,     // NNNNNN.sst
    kManifest,  // MANIFEST-NNNNNN
  };

  struct Fault {
    Op op = Op::kWrite;
    Error error = Error::kIO;
    Kind kind = Kind::kAny;
    // Matching operations that still succeed before the first failure.
    uint64_t after = 0;
    // How many operations fail; then the fault clears itself. 0: until Clear().
    uint64_t times = 0;
  };

  FaultFs();

  static const char* kClassName() { return "evlog.FaultFs"; }
  const char* Name() const override { return kClassName(); }

  // Arms `fault`, replacing any armed fault of the same Op.
  void Inject(const Fault& fault);
  // Disarms every fault.
  void Clear();
  // Operations failed by injected faults so far.
  uint64_t failures() const { return failures_.load(); }

  // See the file comment.
  void PowerOff();
  bool powered_off() const { return powered_off_.load(); }
  // `keep_unsynced` (0..1) of each file's unsynced bytes survive, cut
  // anywhere: a write torn by the power loss.
  // REQUIRES: PowerOff(), and the store closed.
  rocksdb::IOStatus DropUnsyncedData(double keep_unsynced = 0);
  // Bytes DropUnsyncedData() removed, over all files.
  uint64_t dropped_bytes() const { return dropped_bytes_; }

  // The checks the file wrappers call. Each returns OK or the failure.
  rocksdb::IOStatus Check(Op op, const std::string& fname);
  void Written(const std::string& fname, uint64_t end_offset);
  void Truncated(const std::string& fname, uint64_t size);
  void Synced(const std::string& fname);

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomAccessFile(const std::string& fname,
                                        const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                        rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewSequentialFile(const std::string& fname, const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
  };

  static bool Matches(Kind kind, const std::string& fname);

  std::mutex mu_;
  std::map<Op, Fault> faults_;
  std::map<std::string, FileState> files_;
  std::atomic<bool> powered_off_{false};
  std::atomic<uint64_t> failures_{0};
  uint64_t dropped_bytes_ = 0;
};

}  // namespace evlog::testutil
