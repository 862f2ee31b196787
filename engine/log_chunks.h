// log_chunks: reading `log` in storage format 2 (docs/plans/format2.md,
// §1.5). The log holds events chunks (chunk.h, kind kLog) keyed by the LAST
// position they cover; the header holds the first. A chunk's range
// [first, last] is the one it was written with: the trim filter removes
// records from it (a sparse chunk) but never changes the range.
//
// Point reads by position (dedup hits, category and type reads, queries)
// go through LogChunkReader, which keeps the chunk it read last, so
// positions that come in order re-seek only when they leave it.
//
// Thread-safety: one object per thread.

#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chunk.h"
#include "db.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

// Parses the log chunk stored under `key`. Corruption naming the position
// for a malformed key or a chunk that fails chunk::ParseChunk.
Status ParseLogChunk(std::string_view key, std::string_view value, chunk::ChunkView* view);

// Reads records of `log` by position under `read_options`, which must
// outlive the reader, as must `db`.
class LogChunkReader {
 public:
  LogChunkReader(const Db& db, const rocksdb::ReadOptions& read_options);

  // Points *record at the record of position `p`: OK; NotFound when the
  // log holds no event at p (reclaimed, or lost: ask HoleCheck);
  // Corruption for a damaged chunk or record; an IOError as RocksDB gives
  // it. *record stays valid until the next call.
  Status Find(uint64_t p, std::string_view* record);

 private:
  const Db& db_;
  const rocksdb::ReadOptions& read_options_;
  std::unique_ptr<rocksdb::Iterator> it_;
  chunk::ChunkView view_;
  bool loaded_ = false;
};

// The record of position `p`, copied into *record; statuses as
// LogChunkReader::Find.
Status ReadLogEvent(const Db& db, const rocksdb::ReadOptions& read_options, Position p,
                    std::string* record);

// The positions `log` holds, in either direction: the "matches everything"
// cursor of a query. Seek(target) returns the first position at or past
// `target` in the direction (forward: >=, backward: <=), nullopt at the end
// or on an error (*error set). Targets never move backwards in the
// direction.
class LogPositions {
 public:
  LogPositions(const Db& db, bool forward, Status* error);
  std::optional<uint64_t> Seek(uint64_t target);

 private:
  bool Load();

  const bool forward_;
  Status* const error_;
  std::unique_ptr<rocksdb::Iterator> it_;
  chunk::ChunkView view_;
  bool loaded_ = false;
};

}  // namespace evlog
