#include "checkpoint.h"

#include "keys.h"

namespace evlog::checkpoint {

std::string ParkedStream(std::string_view name) {
  return std::string(kParkedPrefix) + std::string(name);
}

Status ValidateName(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > 200 || name.find('\0') != std::string_view::npos ||
      name.find('/') != std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) +
                                   " name must be 1..200 bytes without NUL or '/'");
  }
  return Status::OK();
}

Status Get(const Db& db, std::string_view key, uint64_t missing, uint64_t* out) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db.db->Get(rocksdb::ReadOptions(), db.cf(Db::kCheckpoints),
                                 rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) {
    *out = missing;
    return Status::OK();
  }
  if (!s.ok()) return FromRocks(s);
  if (!keys::ParseCheckpointValue(value.ToStringView(), out)) {
    return Status::Corruption("malformed checkpoint '" + std::string(key) + "'");
  }
  return Status::OK();
}

Status Put(const Db& db, std::string_view key, uint64_t value) {
  // Not synced: a checkpoint lost in a power failure only means the last
  // batches are delivered again, which at-least-once allows.
  return FromRocks(db.db->Put(rocksdb::WriteOptions(), db.cf(Db::kCheckpoints),
                              rocksdb::Slice(key.data(), key.size()),
                              keys::CheckpointValue(value)));
}

}  // namespace evlog::checkpoint
