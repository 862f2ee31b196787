#include "raw_rocksdb.h"

#include <rocksdb/write_batch.h>

#include <chrono>
#include <stdexcept>

namespace evlog::bench {

namespace {

void PutU64BE(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

RawLog::RawLog(const std::string& path) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {"default", rocksdb::ColumnFamilyOptions()},
      {"log", rocksdb::ColumnFamilyOptions()},
      {"index", rocksdb::ColumnFamilyOptions()},
      {"streams", rocksdb::ColumnFamilyOptions()}};
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, families, &handles_, &raw);
  if (!s.ok()) throw std::runtime_error(s.ToString());
  db_.reset(raw);
}

RawLog::~RawLog() {
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
}

bool RawLog::Append(const std::string& stream, uint64_t expected_version, const std::string& type,
                    const std::string& payload, bool sync) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t& version = versions_[stream];
  if (version != expected_version) return false;
  uint64_t position = position_ + 1;
  // A realistic envelope: position, version, time, id, stream, type, payload.
  std::string record;
  PutU64BE(&record, position);
  PutU64BE(&record, version + 1);
  PutU64BE(&record,
           static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  record.append(16, 'i');
  record.append(stream).append(type).append(payload);
  std::string log_key, index_key = stream, head;
  PutU64BE(&log_key, position);
  PutU64BE(&index_key, version + 1);
  PutU64BE(&head, version + 1);

  rocksdb::WriteBatch batch;
  batch.Put(handles_[1], log_key, record);
  batch.Put(handles_[2], index_key, log_key);
  batch.Put(handles_[3], stream, head);
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  if (!db_->Write(write_options, &batch).ok()) return false;
  version += 1;
  position_ = position;
  return true;
}

}  // namespace evlog::bench
