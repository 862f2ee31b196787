// stream_chunks: reading `stream` in storage format 2 (docs/plans/format2.md,
// §1.5). `stream` holds events chunks (chunk.h, kind kStream), one per
// (append, stream) or more at the chunk bound, keyed by the stream id and
// the LAST version they cover; the header holds the first. The trim filter
// removes records from a chunk (a sparse chunk) but never changes its
// range or key, so the newest event of a stream is the last record of the
// chunk under its head key unless that event itself was removed.

#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chunk.h"
#include "db.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

// Parses the stream chunk stored under `key`: *stream_id is the key's
// stream id. Corruption naming the stream id and version for a malformed
// key or a chunk that fails chunk::ParseChunk.
Status ParseStreamChunk(std::string_view key, std::string_view value, uint64_t* stream_id,
                        chunk::ChunkView* view);

// ParseStreamChunk through chunk::ParseChunkOfOne: for a chunk of one
// record (an append's one event of the stream) *record is that record,
// already checked against its CRC (possibly copied into *aligned); empty
// for a chunk of more records.
Status ParseStreamChunkOfOne(std::string_view key, std::string_view value, uint64_t* stream_id,
                             chunk::ChunkView* view, std::vector<uint64_t>* aligned,
                             std::string_view* record);

// The record of version `version` of the stream with id `stream_id`,
// copied into *record: OK; NotFound when `stream` holds no such event
// (never written, or reclaimed); Corruption for a damaged chunk or record.
Status ReadStreamEvent(const Db& db, const rocksdb::ReadOptions& read_options, uint64_t stream_id,
                       Version version, std::string* record);

}  // namespace evlog
