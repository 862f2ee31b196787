#include "log_chunks.h"

#include "keys.h"

namespace evlog {

Status ParseLogChunk(std::string_view key, std::string_view value, chunk::ChunkView* view) {
  Position last;
  if (!keys::ParseLogKey(key, &last)) {
    return Status::Corruption("malformed key of " + std::to_string(key.size()) + " bytes in the log");
  }
  Status s = chunk::ParseChunk(value, chunk::ChunkKind::kLog, last.value(), view);
  if (!s.ok()) {
    return Status::Corruption("log chunk at position " + std::to_string(last.value()) + ": " +
                              std::string(s.message()));
  }
  return s;
}

LogChunkReader::LogChunkReader(const Db& db, const rocksdb::ReadOptions& read_options)
    : db_(db), read_options_(read_options) {}

Status LogChunkReader::Find(uint64_t p, std::string_view* record) {
  if (!loaded_ || p < view_.first || p > view_.last()) {
    loaded_ = false;
    if (it_ == nullptr) it_.reset(db_.db->NewIterator(read_options_, db_.cf(Db::kLog)));
    it_->Seek(keys::LogKey(Position(p)));
    if (!it_->Valid()) {
      if (!it_->status().ok()) return FromRocks(it_->status());
      return Status::NotFound("no log event at position " + std::to_string(p));
    }
    if (Status s = ParseLogChunk(it_->key().ToStringView(), it_->value().ToStringView(), &view_);
        !s.ok()) {
      return s;
    }
    loaded_ = true;
  }
  const int slot = chunk::FindSlot(view_, p);
  if (slot < 0) return Status::NotFound("no log event at position " + std::to_string(p));
  if (Status s = chunk::ChunkRecord(view_, static_cast<size_t>(slot), record); !s.ok()) {
    return Status::Corruption("log position " + std::to_string(p) + ": " +
                              std::string(s.message()));
  }
  return Status::OK();
}

Status ReadLogEvent(const Db& db, const rocksdb::ReadOptions& read_options, Position p,
                    std::string* record) {
  LogChunkReader reader(db, read_options);
  std::string_view found;
  Status s = reader.Find(p.value(), &found);
  if (s.ok()) record->assign(found);
  return s;
}

LogPositions::LogPositions(const Db& db, bool forward, Status* error)
    : forward_(forward), error_(error) {
  it_.reset(db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kLog)));
}

bool LogPositions::Load() {
  loaded_ = false;
  if (!it_->Valid()) {
    if (!it_->status().ok()) *error_ = FromRocks(it_->status());
    return false;
  }
  if (Status s = ParseLogChunk(it_->key().ToStringView(), it_->value().ToStringView(), &view_);
      !s.ok()) {
    *error_ = std::move(s);
    return false;
  }
  loaded_ = true;
  return true;
}

std::optional<uint64_t> LogPositions::Seek(uint64_t target) {
  if (!error_->ok()) return std::nullopt;
  if (forward_) {
    if (!loaded_ || target > view_.last()) {
      it_->Seek(keys::LogKey(Position(target)));
      if (!Load()) return std::nullopt;
    }
    for (;;) {
      const size_t slot = chunk::LowerSlot(view_, target);
      if (slot < view_.n) return chunk::SlotSeq(view_, slot);
      it_->Next();
      if (!Load()) return std::nullopt;
    }
  }
  if (target == 0) return std::nullopt;
  if (!loaded_ || target < view_.first || target > view_.last()) {
    it_->Seek(keys::LogKey(Position(target)));
    if (!it_->Valid()) {
      if (!it_->status().ok()) {
        *error_ = FromRocks(it_->status());
        return std::nullopt;
      }
      it_->SeekToLast();
    }
    if (!Load()) return std::nullopt;
  }
  for (;;) {
    // The last slot at or below target.
    const size_t above = target == UINT64_MAX ? view_.n : chunk::LowerSlot(view_, target + 1);
    if (above > 0) return chunk::SlotSeq(view_, above - 1);
    it_->Prev();
    if (!Load()) return std::nullopt;
  }
}

}  // namespace evlog
