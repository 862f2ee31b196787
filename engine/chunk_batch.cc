#include "chunk_batch.h"

namespace evlog {

void PutChunk(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* family,
              std::string_view key, chunk::ChunkBuilder& builder, ChunkPieces* scratch) {
  builder.Pieces(&scratch->pieces);
  scratch->slices.clear();
  for (std::string_view piece : scratch->pieces) {
    scratch->slices.emplace_back(piece.data(), piece.size());
  }
  const rocksdb::Slice key_slice(key.data(), key.size());
  // A WriteBatch cannot fail to take a Put (it grows in memory).
  batch
      .Put(family, rocksdb::SliceParts(&key_slice, 1),
           rocksdb::SliceParts(scratch->slices.data(), static_cast<int>(scratch->slices.size())))
      .PermitUncheckedError();
  builder.Reset();
}

}  // namespace evlog
