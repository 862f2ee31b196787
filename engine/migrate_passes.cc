#include "migrate_passes.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chunk.h"
#include "chunk_batch.h"
#include "keys.h"

namespace evlog::migrate {

namespace {

// The new store's writes: a batch written (without the WAL) whenever it
// passes kPassBatchBytes, and at the end.
class PassWriter {
 public:
  explicit PassWriter(Db& out) : out_(out) { options_.disableWAL = true; }

  rocksdb::WriteBatch& batch() { return batch_; }

  Status MaybeWrite() { return batch_.GetDataSize() >= kPassBatchBytes ? Write() : Status::OK(); }

  Status Write() {
    if (batch_.Count() == 0) return Status::OK();
    Status s = FromRocks(out_.db->Write(options_, &batch_));
    batch_.Clear();
    return s;
  }

 private:
  Db& out_;
  rocksdb::WriteOptions options_;
  rocksdb::WriteBatch batch_;
};

// Refuses to carry a damaged old record into the new store.
Status Refuse(const Status& s) {
  return Status::Corruption(std::string(s.message()) +
                            "; the store is not converted: run `evlog verify` on it");
}

// The pending chunk of a pass: the builder points into `held`, copies of
// the old records (a deque: adding one never moves the others).
struct PendingChunk {
  explicit PendingChunk(chunk::ChunkKind kind) : builder(kind) {}

  // True if `record` may join the chunk at `seq`: the next seq, and within
  // the bound (a chunk always takes its first record).
  bool Fits(uint64_t seq, size_t record_bytes) const {
    if (builder.empty()) return true;
    return seq == builder.last() + 1 && builder.count() < chunk::kMaxChunkEvents &&
           builder.record_bytes() + record_bytes <= chunk::kMaxChunkBytes;
  }

  void Add(uint64_t seq, std::string_view record, int64_t commit_us) {
    held.emplace_back(record);
    builder.Add(seq, held.back(), commit_us);
  }

  void Put(PassWriter& writer, rocksdb::ColumnFamilyHandle* family, const std::string& key) {
    PutChunk(writer.batch(), family, key, builder, &pieces);
    held.clear();
  }

  chunk::ChunkBuilder builder;
  std::deque<std::string> held;
  ChunkPieces pieces;
};

}  // namespace

Status ReadCallerIds(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                     uint64_t last_position, std::vector<CallerId>* ids) {
  ids->clear();
  rocksdb::ColumnFamilyHandle* from = old.family("dedup");
  if (from == nullptr) return Status::OK();
  std::unique_ptr<rocksdb::Iterator> it(old.db().NewIterator(read, from));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    Position p;
    int64_t commit_us = 0;
    if (key.size() != 16 || !keys::ParseDedupValue(it->value().ToStringView(), &p, &commit_us) ||
        p.value() == 0) {
      return Refuse(Status::Corruption("a format-1 dedup row (key of " +
                                       std::to_string(key.size()) + " bytes) is malformed"));
    }
    if (p.value() > last_position) {
      return Refuse(Status::Corruption("a format-1 dedup row names log position " +
                                       std::to_string(p.value()) + ", past the last position " +
                                       std::to_string(last_position)));
    }
    std::array<uint8_t, 16> bytes;
    std::copy(key.begin(), key.end(), bytes.begin());
    ids->push_back(CallerId{.position = p.value(), .id = Uuid(bytes)});
  }
  if (Status s = FromRocks(it->status()); !s.ok()) return s;
  std::sort(ids->begin(), ids->end(),
            [](const CallerId& a, const CallerId& b) { return a.position < b.position; });
  for (size_t i = 1; i < ids->size(); ++i) {
    if ((*ids)[i].position == (*ids)[i - 1].position) {
      return Refuse(Status::Corruption("two format-1 dedup rows name log position " +
                                       std::to_string((*ids)[i].position)));
    }
  }
  return Status::OK();
}

Status ConvertLog(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                  const std::vector<CallerId>& ids, Db& out, uint64_t* events,
                  uint64_t* caller_ids) {
  *events = 0;
  *caller_ids = 0;
  PassWriter writer(out);
  PendingChunk pending(chunk::ChunkKind::kLog);
  int64_t chunk_us = 0;
  std::vector<chunk::IdEntry> chunk_ids;  // the pending chunk's caller ids
  size_t next_id = 0;                     // the first of `ids` not yet passed
  const auto seal = [&]() -> Status {
    if (pending.builder.empty()) return Status::OK();
    const uint64_t last = pending.builder.last();
    pending.Put(writer, out.cf(Db::kLog), keys::LogKey(Position(last)));
    if (!chunk_ids.empty()) {
      // As Writer::SealLogChunk writes it.
      writer.batch()
          .Put(out.cf(Db::kIds), keys::LogKey(Position(last)),
               chunk::EncodeIds(last, chunk_us, chunk_ids))
          .PermitUncheckedError();
      *caller_ids += chunk_ids.size();
      chunk_ids.clear();
    }
    return writer.MaybeWrite();
  };
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  std::unique_ptr<rocksdb::Iterator> it(old.db().NewIterator(read, old.family("log")));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view value = it->value().ToStringView();
    if (Status s = format1::ReadLogEntry(it->key().ToStringView(), value, &scratch, &event);
        !s.ok()) {
      return Refuse(s);
    }
    const uint64_t p = event.position.value();
    if (!pending.Fits(p, value.size()) || event.timestamp_us != chunk_us) {
      if (Status s = seal(); !s.ok()) return s;
    }
    pending.Add(p, value, event.timestamp_us);
    chunk_us = event.timestamp_us;
    ++*events;
    while (next_id < ids.size() && ids[next_id].position < p) ++next_id;  // reclaimed: dropped
    if (next_id < ids.size() && ids[next_id].position == p) {
      if (ids[next_id].id != event.id) {
        return Refuse(Status::Corruption("the format-1 dedup row of id " +
                                         ids[next_id].id.ToString() + " names log position " +
                                         std::to_string(p) + ", whose event has id " +
                                         event.id.ToString()));
      }
      chunk_ids.push_back(chunk::IdEntry{.position = p, .id = event.id});
      ++next_id;
    }
  }
  if (Status s = FromRocks(it->status()); !s.ok()) return s;
  if (Status s = seal(); !s.ok()) return s;
  return writer.Write();
}

Status ConvertStreams(format1::Format1Store& old, const rocksdb::ReadOptions& read, Db& out,
                      uint64_t* records) {
  *records = 0;
  PassWriter writer(out);
  PendingChunk pending(chunk::ChunkKind::kStream);
  uint64_t chunk_stream = 0;
  const auto seal = [&]() -> Status {
    if (pending.builder.empty()) return Status::OK();
    pending.Put(writer, out.cf(Db::kStream),
                keys::StreamKey(chunk_stream, Version(pending.builder.last())));
    return writer.MaybeWrite();
  };
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  std::unique_ptr<rocksdb::Iterator> it(old.db().NewIterator(read, old.family("stream")));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view value = it->value().ToStringView();
    uint64_t stream = 0;
    if (Status s =
            format1::ReadStreamEntry(it->key().ToStringView(), value, &scratch, &stream, &event);
        !s.ok()) {
      return Refuse(s);
    }
    const uint64_t v = event.version.value();
    if (stream != chunk_stream || !pending.Fits(v, value.size())) {
      if (Status s = seal(); !s.ok()) return s;
    }
    chunk_stream = stream;
    pending.Add(v, value, event.timestamp_us);
    ++*records;
  }
  if (Status s = FromRocks(it->status()); !s.ok()) return s;
  if (Status s = seal(); !s.ok()) return s;
  return writer.Write();
}

namespace {

Status ConvertIndex(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                    std::string_view name, Db& out, Db::Family family) {
  rocksdb::ColumnFamilyHandle* from = old.family(name);
  if (from == nullptr) return Status::OK();
  PassWriter writer(out);
  std::string run_name;  // the name of the pending run: its key minus the position
  std::vector<uint64_t> run;
  std::string value;
  auto seal = [&]() -> Status {
    if (run.empty()) return Status::OK();
    chunk::EncodePostings(run, &value);
    writer.batch()
        .Put(out.cf(family), keys::IndexKey(run_name, Position(run.back())), value)
        .PermitUncheckedError();
    run.clear();
    return writer.MaybeWrite();
  };
  std::unique_ptr<rocksdb::Iterator> it(old.db().NewIterator(read, from));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    Position p;
    if (!keys::ParseIndexKey(key, &p) || key[key.size() - 9] != '\0' || p.value() == 0 ||
        !it->value().empty()) {
      return Status::Corruption("format-1 " + std::string(name) + " entry of " +
                                std::to_string(key.size()) +
                                " bytes is malformed; run `evlog verify` on the old store");
    }
    const std::string_view entry_name = key.substr(0, key.size() - 9);
    if (entry_name != run_name || run.size() == kMigratedPostings) {
      if (Status s = seal(); !s.ok()) return s;
      run_name.assign(entry_name);
    }
    run.push_back(p.value());  // keys ascend: so do one name's positions
  }
  if (Status s = FromRocks(it->status()); !s.ok()) return s;
  if (Status s = seal(); !s.ok()) return s;
  return writer.Write();
}

}  // namespace

Status ConvertIndexPostings(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                            Db& out) {
  if (Status s = ConvertIndex(old, read, "by_category", out, Db::kByCategory); !s.ok()) return s;
  return ConvertIndex(old, read, "by_type", out, Db::kByType);
}

Status CopyFamily(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                  std::string_view name, Db& out, Db::Family family, uint64_t* entries) {
  if (entries != nullptr) *entries = 0;
  rocksdb::ColumnFamilyHandle* from = old.family(name);
  if (from == nullptr) return Status::OK();
  PassWriter writer(out);
  std::unique_ptr<rocksdb::Iterator> it(old.db().NewIterator(read, from));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (family == Db::kDefault && it->key().ToStringView() == keys::kFormatVersion) continue;
    writer.batch().Put(out.cf(family), it->key(), it->value()).PermitUncheckedError();
    if (entries != nullptr) ++*entries;
    if (Status s = writer.MaybeWrite(); !s.ok()) return s;
  }
  if (Status s = FromRocks(it->status()); !s.ok()) return s;
  return writer.Write();
}

Status CopyCounters(format1::Format1Store& old, const rocksdb::ReadOptions& read, Db& out) {
  return CopyFamily(old, read, "default", out, Db::kDefault);
}

}  // namespace evlog::migrate
