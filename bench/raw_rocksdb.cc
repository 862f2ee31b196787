#include "raw_rocksdb.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <stdexcept>

namespace evlog::bench {

namespace {

enum Family {
  kDefaultFamily = 0,
  kLogFamily = 1,
  kIndexFamily = 2,
  kStreamsFamily = 3,
  kIdsFamily = 4
};

constexpr size_t kIdBytes = 16;

void PutU64BE(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

uint64_t GetU64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

RawLog::RawLog(const std::string& path) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // The one option a user looking ids up would set: a bloom filter, so a
  // new id (nearly every one) is answered without reading a data block.
  rocksdb::ColumnFamilyOptions ids;
  rocksdb::BlockBasedTableOptions ids_table;
  ids_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  ids.table_factory.reset(rocksdb::NewBlockBasedTableFactory(ids_table));
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"log", rocksdb::ColumnFamilyOptions()},
      {"index", rocksdb::ColumnFamilyOptions()},
      {"streams", rocksdb::ColumnFamilyOptions()},
      {"ids", ids}};
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, families, &handles_, &raw);
  if (!s.ok()) throw std::runtime_error(s.ToString());
  db_.reset(raw);
  // Recovery: the in-memory heads and the last position, as a user's code
  // would rebuild them at start-up.
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[kStreamsFamily]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    versions_[it->key().ToString()] = GetU64BE(it->value().data());
  }
  it.reset(db_->NewIterator(rocksdb::ReadOptions(), handles_[kLogFamily]));
  it->SeekToLast();
  if (it->Valid()) last_position_ = GetU64BE(it->key().data());
}

RawLog::~RawLog() {
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
}

bool RawLog::AppendWithId(const std::string& stream, uint64_t expected_version, std::string_view id,
                          std::string_view type, std::string_view payload, bool sync) {
  if (id.size() != kIdBytes) return false;
  rocksdb::PinnableSlice position;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[kIdsFamily],
                               rocksdb::Slice(id.data(), id.size()), &position);
  if (s.ok()) return true;  // a retry: the event is in the log already
  if (!s.IsNotFound()) return false;
  return Write(stream, expected_version, id, type, payload, 1, sync);
}

bool RawLog::Write(const std::string& stream, uint64_t expected_version, std::string_view id,
                   std::string_view type, std::string_view payload, int count, bool sync) {
  if (!id.empty() && count != 1) return false;
  uint64_t first_version, first_position;
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t& head = versions_[stream];
    if (head != expected_version) return false;
    first_version = head + 1;
    first_position = last_position_ + 1;
    head += static_cast<uint64_t>(count);
    last_position_ += static_cast<uint64_t>(count);
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto now_us =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());

  rocksdb::WriteBatch batch;
  std::string record, log_key, index_key;
  for (int i = 0; i < count; ++i) {
    const uint64_t version = first_version + static_cast<uint64_t>(i);
    const uint64_t position = first_position + static_cast<uint64_t>(i);
    record.clear();
    PutU64BE(&record, position);
    PutU64BE(&record, version);
    PutU64BE(&record, now_us);
    if (id.empty()) {
      record.append(kIdBytes, 'i');
    } else {
      record.append(id);
    }
    record.append(stream).append(type).append(payload);
    log_key.clear();
    PutU64BE(&log_key, position);
    index_key = stream;
    PutU64BE(&index_key, version);
    if (!batch.Put(handles_[kLogFamily], log_key, record).ok() ||
        !batch.Put(handles_[kIndexFamily], index_key, log_key).ok()) {
      return false;
    }
  }
  if (!id.empty() &&
      !batch.Put(handles_[kIdsFamily], rocksdb::Slice(id.data(), id.size()), log_key).ok()) {
    return false;
  }
  std::string head;
  PutU64BE(&head, first_version + static_cast<uint64_t>(count) - 1);
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  return batch.Put(handles_[kStreamsFamily], stream, head).ok() &&
         db_->Write(write_options, &batch).ok();
}

bool RawLog::AppendEach(const std::vector<std::string>& streams, std::string_view type,
                        std::string_view payload) {
  rocksdb::WriteBatch batch;
  std::string record, log_key, index_key, head;
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& stream : streams) {
    const uint64_t version = ++versions_[stream];
    const uint64_t position = ++last_position_;
    record.clear();
    PutU64BE(&record, position);
    PutU64BE(&record, version);
    PutU64BE(&record, 0);
    record.append(kIdBytes, 'i');
    record.append(stream).append(type).append(payload);
    log_key.clear();
    PutU64BE(&log_key, position);
    index_key = stream;
    PutU64BE(&index_key, version);
    head.clear();
    PutU64BE(&head, version);
    if (!batch.Put(handles_[kLogFamily], log_key, record).ok() ||
        !batch.Put(handles_[kIndexFamily], index_key, log_key).ok() ||
        !batch.Put(handles_[kStreamsFamily], stream, head).ok()) {
      return false;
    }
  }
  return db_->Write(rocksdb::WriteOptions(), &batch).ok();
}

bool RawLog::Compact() {
  for (auto* h : handles_) {
    if (!db_->CompactRange(rocksdb::CompactRangeOptions(), h, nullptr, nullptr).ok()) return false;
  }
  return true;
}

}  // namespace evlog::bench
