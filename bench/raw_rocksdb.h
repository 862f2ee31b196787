// RawLog: the baseline — the straightforward event log a user would write on
// RocksDB directly. Per append one WriteBatch of three puts: the record under
// its position in "log", stream+version -> position in "index", and the
// stream head in "streams"; expected versions checked against an in-memory
// map. Thread-safe: appends are serialized by a mutex, as the simplest
// correct version would be.

#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace evlog::bench {

class RawLog {
 public:
  explicit RawLog(const std::string& path);
  ~RawLog();

  // Appends one event at `expected_version` + 1; false on a version mismatch.
  bool Append(const std::string& stream, uint64_t expected_version, const std::string& type,
              const std::string& payload, bool sync);

 private:
  std::mutex mu_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unordered_map<std::string, uint64_t> versions_;
  uint64_t position_ = 0;
};

}  // namespace evlog::bench
