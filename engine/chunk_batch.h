// chunk_batch: puts a built events chunk (chunk.h) into a RocksDB write
// batch as the pieces the builder hands out, so the records are copied once,
// straight into the batch, and no chunk string is built first. The writer
// and `evlog migrate` (migrate.h) write every log and stream chunk through
// it: one encoder of chunks, whoever writes them.
//
// Thread-safety: a ChunkPieces is used by one thread at a time.

#pragma once

#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <string>
#include <string_view>
#include <vector>

#include "chunk.h"

namespace evlog {

// Scratch space reused across puts.
struct ChunkPieces {
  std::vector<std::string_view> pieces;
  std::vector<rocksdb::Slice> slices;
};

// Puts the chunk `builder` holds into `batch` under `key` in `family`, then
// resets the builder. REQUIRES: !builder.empty(); the records added to it
// are unchanged.
void PutChunk(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* family,
              std::string_view key, chunk::ChunkBuilder& builder, ChunkPieces* scratch);

}  // namespace evlog
