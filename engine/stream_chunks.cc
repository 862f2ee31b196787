#include "stream_chunks.h"

#include <memory>

#include "keys.h"

namespace evlog {

namespace {

// Parses the key, then the value with `parse`; names the chunk in errors.
template <class Parse>
Status ParseStreamChunkWith(std::string_view key, uint64_t* stream_id, Parse parse) {
  Version last;
  if (!keys::ParseStreamKey(key, stream_id, &last)) {
    return Status::Corruption("malformed key of " + std::to_string(key.size()) +
                              " bytes in the stream index");
  }
  Status s = parse(last.value());
  if (!s.ok()) {
    return Status::Corruption("stream chunk of stream id " + std::to_string(*stream_id) +
                              " at version " + std::to_string(last.value()) + ": " +
                              std::string(s.message()));
  }
  return s;
}

}  // namespace

Status ParseStreamChunk(std::string_view key, std::string_view value, uint64_t* stream_id,
                        chunk::ChunkView* view) {
  return ParseStreamChunkWith(key, stream_id, [&](uint64_t last) {
    return chunk::ParseChunk(value, chunk::ChunkKind::kStream, last, view);
  });
}

Status ParseStreamChunkOfOne(std::string_view key, std::string_view value, uint64_t* stream_id,
                             chunk::ChunkView* view, std::vector<uint64_t>* aligned,
                             std::string_view* record) {
  return ParseStreamChunkWith(key, stream_id, [&](uint64_t last) {
    return chunk::ParseChunkOfOne(value, chunk::ChunkKind::kStream, last, view, aligned, record);
  });
}

Status ReadStreamEvent(const Db& db, const rocksdb::ReadOptions& read_options, uint64_t stream_id,
                       Version version, std::string* record) {
  const std::string lower = keys::StreamKey(stream_id, version);
  const std::string upper = keys::StreamKey(stream_id + 1, Version(0));
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro = read_options;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(ro, db.cf(Db::kStream)));
  // The first chunk whose last version is >= version: it holds the version
  // if its range starts at or below it.
  it->Seek(lower);
  const auto not_found = [&] {
    return Status::NotFound("no event of version " + std::to_string(version.value()) +
                            " in stream id " + std::to_string(stream_id));
  };
  if (!it->Valid()) {
    if (!it->status().ok()) return FromRocks(it->status());
    return not_found();
  }
  uint64_t id = 0;
  chunk::ChunkView view;
  if (Status s = ParseStreamChunk(it->key().ToStringView(), it->value().ToStringView(), &id, &view);
      !s.ok()) {
    return s;
  }
  if (id != stream_id) return Status::Corruption("malformed key in the stream index");
  const int slot = chunk::FindSlot(view, version.value());
  if (slot < 0) return not_found();
  std::string_view found;
  if (Status s = chunk::ChunkRecord(view, static_cast<size_t>(slot), &found); !s.ok()) {
    return Status::Corruption("stream id " + std::to_string(stream_id) + " version " +
                              std::to_string(version.value()) + ": " + std::string(s.message()));
  }
  record->assign(found);
  return Status::OK();
}

}  // namespace evlog
