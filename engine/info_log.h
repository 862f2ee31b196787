// info_log: RocksDB's info log for a writable store, as a Logger that never
// fails its caller. RocksDB's own file logger writes through a
// WritableFileWriter, which Debian's librocksdb (built with assertions)
// aborts the process on once a write to it has failed: a full disk turned
// the first line logged after ENOSPC (RocksDB logs every background error)
// into SIGABRT. This one writes each line with write(2) and drops the lines
// it cannot write, counting them.
//
// The log stays where RocksDB keeps it, `LOG` in the store directory: each
// open moves the previous one to `LOG.old.<micros>`, and so does a log that
// grows past its size limit; the newest `keep_old` old logs are kept.
//
// Thread-safe: RocksDB logs from every thread.

#pragma once

#include <rocksdb/env.h>

#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace evlog {

class InfoLog : public rocksdb::Logger {
 public:
  // Opens `dir`/LOG for appending, after moving an existing one aside. Never
  // fails: if the file cannot be opened, every line is dropped.
  InfoLog(std::string dir, size_t keep_old, uint64_t max_bytes);
  ~InfoLog() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  size_t GetLogFileSize() const override;

  // Lines that could not be written (a full disk, an I/O error).
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  // Moves LOG aside, removes the oldest old logs, opens a new LOG.
  // REQUIRES: mu_ held (or the constructor).
  void Roll();

  const std::string dir_;
  const size_t keep_old_;
  const uint64_t max_bytes_;
  mutable std::mutex mu_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace evlog
