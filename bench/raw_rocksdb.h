// RawLog: the baseline — the straightforward event log a user would write on
// RocksDB directly (issue #5). Per append one WriteBatch of three puts: the
// record under its position (u64 big-endian) in "log", stream + version ->
// position in "index", and the stream head in "streams"; expected versions
// checked against an in-memory map. The record is a plain concatenation of
// the envelope (position, version, timestamp, 16-byte id, stream, type) and
// the payload: no FlatBuffers. An append with a caller-given id (W5, issue
// #16) first looks the id up in "ids" and, if it is new, writes id ->
// position there in the same batch.
//
// Thread-safe. A mutex covers only the version check and the position
// assignment; the WriteBatch is written outside it, so concurrent synced
// appends share RocksDB's own write groups (one WAL sync for several), as
// they would in a user's code. The price, which the engine does not pay: a
// reader may see position N+1 before N, a failed write leaves a gap, and
// two concurrent appends of one new id may both be written (the id lookup is
// outside the mutex; the benches never append one id from two threads).

#pragma once

#include <rocksdb/db.h>
#include <rocksdb/slice.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace evlog::bench {

// Reads the u64 big-endian at `p` (8 bytes): the fields of a raw record.
uint64_t GetU64BE(const char* p);

class RawLog {
 public:
  // Creates a fresh RocksDB database in `path` with default options.
  // Throws std::runtime_error if it cannot be opened.
  explicit RawLog(const std::string& path);
  ~RawLog();

  RawLog(const RawLog&) = delete;
  RawLog& operator=(const RawLog&) = delete;

  // Appends one event to `stream` if it is at `expected_version`. Returns
  // false on a version mismatch or a failed write.
  bool Append(const std::string& stream, uint64_t expected_version, std::string_view type,
              std::string_view payload, bool sync) {
    return AppendBatch(stream, expected_version, type, payload, 1, sync);
  }

  // Appends `count` events to `stream` in one WriteBatch (a record and an
  // index entry per event, the head once), as Append does for one.
  bool AppendBatch(const std::string& stream, uint64_t expected_version, std::string_view type,
                   std::string_view payload, int count, bool sync) {
    return Write(stream, expected_version, {}, type, payload, count, sync);
  }

  // Append for an event with the caller-given 16-byte `id`: if "ids" holds
  // it (a retry), returns true and writes nothing; otherwise appends as
  // Append does, with the id in the record and id -> position in "ids" in
  // the same batch. The id is looked up before the version check, as a
  // retry must succeed although its stream has moved on.
  bool AppendWithId(const std::string& stream, uint64_t expected_version, std::string_view id,
                    std::string_view type, std::string_view payload, bool sync);

  // Appends one event to each of `streams` (any version) in one WriteBatch:
  // the bulk load of the read benches.
  bool AppendEach(const std::vector<std::string>& streams, std::string_view type,
                  std::string_view payload);

  // Reads `stream` in version order: its index entries, then the records by
  // MultiGet. Calls `record` with each record's bytes; false on an error.
  template <typename Fn>
  bool ReadStream(const std::string& stream, Fn&& record);

  // Reads the whole log in position order; false on an error.
  template <typename Fn>
  bool ScanLog(Fn&& record);

  // Flushes the memtables and compacts every column family.
  bool Compact();

 private:
  // AppendBatch, with `id` (16 bytes, or empty for none) for its one event.
  bool Write(const std::string& stream, uint64_t expected_version, std::string_view id,
             std::string_view type, std::string_view payload, int count, bool sync);

  std::mutex mu_;
  std::unordered_map<std::string, uint64_t> versions_;  // guarded by mu_
  uint64_t last_position_ = 0;                          // guarded by mu_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

template <typename Fn>
bool RawLog::ReadStream(const std::string& stream, Fn&& record) {
  constexpr size_t kChunk = 256;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[2]));
  std::vector<std::string> positions;
  std::vector<rocksdb::Slice> keys;
  std::vector<rocksdb::PinnableSlice> values(kChunk);
  std::vector<rocksdb::Status> statuses(kChunk);
  auto flush = [&] {
    keys.assign(positions.begin(), positions.end());
    db_->MultiGet(rocksdb::ReadOptions(), handles_[1], keys.size(), keys.data(), values.data(),
                  statuses.data());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!statuses[i].ok()) return false;
      record(std::string_view(values[i].data(), values[i].size()));
      values[i].Reset();
    }
    positions.clear();
    return true;
  };
  for (it->Seek(stream); it->Valid(); it->Next()) {
    rocksdb::Slice key = it->key();
    if (key.size() != stream.size() + 8 || !key.starts_with(stream)) break;
    positions.emplace_back(it->value().data(), it->value().size());
    if (positions.size() == kChunk && !flush()) return false;
  }
  return it->status().ok() && flush();
}

template <typename Fn>
bool RawLog::ScanLog(Fn&& record) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[1]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    record(std::string_view(it->value().data(), it->value().size()));
  }
  return it->status().ok();
}

}  // namespace evlog::bench
