#include "format1.h"

#include <rocksdb/options.h>

#include <algorithm>

#include "db.h"
#include "keys.h"

namespace evlog::format1 {

namespace {

// Drops every line: the old store's directory gets no info log of ours.
class NullLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

// The families every format-1 store has.
constexpr std::string_view kRequired[] = {"default",     "log",     "stream", "streams",
                                          "by_category", "by_type", "dedup",  "checkpoints",
                                          "views"};

}  // namespace

Result<std::unique_ptr<Format1Store>> Format1Store::Open(const std::string& path) {
  rocksdb::DBOptions options;
  options.info_log = std::make_shared<NullLogger>();
  options.create_if_missing = false;
  options.create_missing_column_families = false;
  // As the store opens it: a torn last WAL record was never acknowledged.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  std::unique_ptr<Format1Store> out(new Format1Store());
  if (Status s = FromRocks(rocksdb::DB::ListColumnFamilies(options, path, &out->names_));
      !s.ok()) {
    return s;
  }
  for (std::string_view name : kRequired) {
    if (std::find(out->names_.begin(), out->names_.end(), name) == out->names_.end()) {
      return Status::InvalidArgument("'" + path + "' is not a format-1 evlog store: it has no '" +
                                     std::string(name) + "' column family");
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : out->names_) {
    rocksdb::ColumnFamilyOptions cf;
    cf.disable_auto_compactions = true;
    families.emplace_back(name, cf);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, families, &out->handles_, &raw);
  out->db_.reset(raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::Busy("store '" + path + "' is in use by another process (" + s.ToString() +
                          "); stop every process using it before `evlog migrate`");
    }
    return FromRocks(s);
  }
  return out;
}

Format1Store::~Format1Store() { (void)Close(); }

Status Format1Store::Close() {
  if (!db_) return Status::OK();
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  Status s = FromRocks(db_->Close());
  db_.reset();
  return s;
}

rocksdb::ColumnFamilyHandle* Format1Store::family(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return handles_[i];
  }
  return nullptr;
}

Status Format1Store::Counter(std::string_view key, uint64_t missing, uint64_t* value) {
  std::string text;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), family("default"),
                               rocksdb::Slice(key.data(), key.size()), &text);
  if (s.IsNotFound()) {
    *value = missing;
    return Status::OK();
  }
  if (!s.ok()) return FromRocks(s);
  if (!keys::ParseCounter(text, value)) {
    return Status::Corruption("unreadable counter " + std::string(key) + ": '" + text + "'");
  }
  return Status::OK();
}

Status Format1Store::FormatVersion(uint64_t* version) {
  return Counter(keys::kFormatVersion, 0, version);
}

Status ReadLogEntry(std::string_view key, std::string_view value, codec::AlignedBuffer* scratch,
                    RecordedEvent* event) {
  Position position;
  if (!keys::ParseLogKey(key, &position)) {
    return Status::Corruption("a format-1 log key of " + std::to_string(key.size()) +
                              " bytes (8 expected)");
  }
  const std::string where = "format-1 log position " + std::to_string(position.value());
  if (Status s = codec::DecodeEvent(value, scratch, event); !s.ok()) {
    return Status::Corruption(where + ": " + s.ToString());
  }
  if (event->position != position) {
    return Status::Corruption(where + " holds the event of position " +
                              std::to_string(event->position.value()));
  }
  return Status::OK();
}

Status ReadStreamEntry(std::string_view key, std::string_view value,
                       codec::AlignedBuffer* scratch, uint64_t* stream_id, RecordedEvent* event) {
  Version version;
  if (!keys::ParseStreamKey(key, stream_id, &version)) {
    return Status::Corruption("a format-1 stream key of " + std::to_string(key.size()) +
                              " bytes (16 expected)");
  }
  const std::string where = "format-1 stream id " + std::to_string(*stream_id) + " version " +
                            std::to_string(version.value());
  if (Status s = codec::DecodeEvent(value, scratch, event); !s.ok()) {
    return Status::Corruption(where + ": " + s.ToString());
  }
  if (event->version != version) {
    return Status::Corruption(where + " holds version " + std::to_string(event->version.value()));
  }
  return Status::OK();
}

}  // namespace evlog::format1
