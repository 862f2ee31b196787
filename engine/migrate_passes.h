// migrate_passes: the passes of `evlog migrate` (migrate.h) that fill a new
// format-2 store from a format-1 one, one function per family, so that a
// later slice that changes one family's layout replaces one pass.
//
// Invariant: each pass reads the old store under `read` (one snapshot) in
// key order and keeps at most one pending chunk (≤ kMaxChunkEvents records
// or kMaxChunkBytes, or one bigger record) plus one write batch of at most
// kPassBatchBytes: memory is bounded whatever the store's size. Writes go
// without the WAL; the caller flushes the new store before it trusts it.

#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <string_view>

#include "db.h"
#include "evlog/status.h"
#include "format1.h"

namespace evlog::migrate {

// A pass writes its batch once it holds this many bytes.
inline constexpr size_t kPassBatchBytes = 8 << 20;

// `log`: each run of consecutive positions committed at the same time
// becomes log chunks of at most the writer's bound (chunk.h), built by the
// writer's ChunkBuilder and PutChunk. A chunk never spans a missing
// position (a reclaimed event stays a gap between two chunks' ranges, which
// the hole check explains as before) nor two commit times. Every record is
// checked (format1::ReadLogEntry) and copied byte for byte. *events: the
// records converted. Corruption (naming `evlog verify`) for a bad record.
Status ConvertLog(format1::Format1Store& old, const rocksdb::ReadOptions& read, Db& out,
                  uint64_t* events);

// `stream`: each stream's consecutive versions become stream chunks of at
// most the bound (they need not follow the old appends). *records: the
// records converted.
Status ConvertStreams(format1::Format1Store& old, const rocksdb::ReadOptions& read, Db& out,
                      uint64_t* records);

// `by_category` and `by_type`: each name's format-1 entries (one empty
// value per event), in key order, become posting chunks of up to
// kMigratedPostings positions, each keyed by its last position. Entries of
// reclaimed events are carried too: they are the hole check's evidence. A
// malformed entry (a short key, a position 0, a value) is Corruption.
Status ConvertIndexPostings(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                            Db& out);
inline constexpr size_t kMigratedPostings = 256;

// A family both formats store alike (`streams`, `by_tag`, `dedup`,
// `checkpoints`, `views`, `snapshots`), copied verbatim into `family`; a
// family the old store lacks copies nothing. *entries (if given): keys
// copied.
Status CopyFamily(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                  std::string_view name, Db& out, Db::Family family, uint64_t* entries = nullptr);

// `default`: every counter as it is, except the format version, which the
// new store holds already ("2").
Status CopyCounters(format1::Format1Store& old, const rocksdb::ReadOptions& read, Db& out);

}  // namespace evlog::migrate
