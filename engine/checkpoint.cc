#include "checkpoint.h"

#include "keys.h"
#include "sequence.h"

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

Result<std::optional<std::string>> GetValue(const Db& db, std::string_view key) {
  std::string value;
  rocksdb::Status s = db.db->Get(rocksdb::ReadOptions(), db.cf(Db::kCheckpoints),
                                 rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s);
  return std::optional<std::string>(std::move(value));
}

Status Put(const Db& db, std::string_view key, uint64_t value) {
  // Not synced: a checkpoint lost in a power failure only means the last
  // batches are delivered again, which at-least-once allows.
  return FromRocks(db.db->Put(rocksdb::WriteOptions(), db.cf(Db::kCheckpoints),
                              rocksdb::Slice(key.data(), key.size()),
                              keys::CheckpointValue(value)));
}

Result<Position> GetConsumer(const Db& db, std::string_view name) {
  if (Status s = ValidateName("subscription", name); !s.ok()) return s;
  uint64_t position = 0;
  if (Status s = Get(db, keys::ProgressKey(name, 1, 0), 0, &position); !s.ok()) return s;
  return Position(position);
}

Status SetConsumer(const Db& db, std::string_view name, Position position) {
  if (Status s = ValidateName("subscription", name); !s.ok()) return s;
  const uint64_t last = db.commits->committed();
  if (position.value() > last) {
    return Status::InvalidArgument("checkpoint " + std::to_string(position.value()) +
                                   " is past the last committed position " +
                                   std::to_string(last));
  }
  return Put(db, keys::ProgressKey(name, 1, 0), position.value());
}

Result<Holder> Oldest(const Db& db) {
  Holder oldest{.position = Position(db.commits->committed())};
  std::unique_ptr<rocksdb::Iterator> it(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kCheckpoints)));
  auto consider = [&](std::string_view what, std::string_view name, uint64_t position) {
    if (position >= oldest.position.value()) return;
    oldest.position = Position(position);
    oldest.name = std::string(what) + " '" + std::string(name) + "'";
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view name;
    const keys::CheckpointKind kind = keys::ParseCheckpointKey(it->key().ToStringView(), &name);
    const std::string_view value = it->value().ToStringView();
    uint64_t progress = 0, generation = 0;
    Position view;
    if (kind == keys::CheckpointKind::kProgress && keys::ParseCheckpointValue(value, &progress)) {
      consider("subscription", name, progress);
    }
    if (kind == keys::CheckpointKind::kViewState &&
        keys::ParseViewStateValue(value, &generation, &view)) {
      consider("view", name, view.value());
    }
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return oldest;
}

Result<std::vector<SubscriptionInfo>> List(const Db& db) {
  const uint64_t last = db.commits->committed();
  std::vector<SubscriptionInfo> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kCheckpoints)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key;
    if (keys::ParseCheckpointKey(it->key().ToStringView(), &key) != keys::CheckpointKind::kProgress) {
      continue;  // replay marks, views
    }
    uint64_t position = 0;
    if (!keys::ParseCheckpointValue(it->value().ToStringView(), &position)) {
      return Status::Corruption("malformed checkpoint '" + std::string(key) + "'");
    }
    SubscriptionInfo info{.name = std::string(key), .checkpoint = Position(position)};
    info.lag = last > position ? last - position : 0;
    // A group member's parked events are those of its group.
    const std::string_view base = key.substr(0, key.find('/'));
    uint64_t replayed = 0;
    if (Status s = Get(db, keys::ReplayedKey(base), 0, &replayed); !s.ok()) return s;
    StreamHead parked;
    if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), ParkedStream(base), &parked);
        !s.ok()) {
      return s;
    }
    info.parked = parked.version.value() > replayed ? parked.version.value() - replayed : 0;
    out.push_back(std::move(info));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

}  // namespace evlog::checkpoint
