// migrate_passes: the passes of `evlog migrate` (migrate.h) that fill a new
// format-2 store from a format-1 one, one function per family, so that a
// later slice that changes one family's layout replaces one pass.
//
// Invariant: each pass reads the old store under `read` (one snapshot) in
// key order and keeps at most one pending chunk (≤ kMaxChunkEvents records
// or kMaxChunkBytes, or one bigger record) plus one write batch of at most
// kPassBatchBytes: memory is bounded whatever the store's size, but for
// the old store's caller ids (ReadCallerIds). Writes go without the WAL;
// the caller flushes the new store before it trusts it.

#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "db.h"
#include "evlog/status.h"
#include "evlog/types.h"
#include "format1.h"

namespace evlog::migrate {

// A pass writes its batch once it holds this many bytes.
inline constexpr size_t kPassBatchBytes = 8 << 20;

// One format-1 `dedup` row: the caller gave the event at `position` the id
// `id`. The row's commit time is not kept: the event's own is the same.
struct CallerId {
  uint64_t position = 0;
  Uuid id;
};

// Every `dedup` row (id -> position, commit time), in position order: the
// caller-given ids ConvertLog turns into `ids` chunks. The family is keyed
// by id, so it is read whole: 24 bytes per row in memory (the old store's
// filter kept about one idempotency window of rows: about 24 MB at the
// default window, less than the writer's own window of the same ids).
// Corruption for a malformed row, a row past `last_position` (the old
// store's last position), or two rows naming one position.
Status ReadCallerIds(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                     uint64_t last_position, std::vector<CallerId>* ids);

// `log` and `dedup`: each run of consecutive positions committed at the
// same time becomes log chunks of at most the writer's bound (chunk.h),
// built by the writer's ChunkBuilder and PutChunk. A chunk never spans a
// missing position (a reclaimed event stays a gap between two chunks'
// ranges, which the hole check explains as before) nor two commit times.
// Every record is checked (format1::ReadLogEntry) and copied byte for byte.
// A log chunk with events named by `ids` (ReadCallerIds) gets the `ids`
// chunk the writer writes for it: under the log chunk's key, with its
// commit time and those ids, ascending. A row whose event is gone
// (reclaimed) is dropped: a retry of it would not be a duplicate either.
// *events: the records converted; *caller_ids: the ids written.
// Corruption (naming `evlog verify`) for a bad record, or a row naming a
// position whose event has another id.
Status ConvertLog(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                  const std::vector<CallerId>& ids, Db& out, uint64_t* events,
                  uint64_t* caller_ids);

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

// A family both formats store alike (`streams`, `by_tag`, `checkpoints`,
// `views`, `snapshots`), copied verbatim into `family`; a
// family the old store lacks copies nothing. *entries (if given): keys
// copied.
Status CopyFamily(format1::Format1Store& old, const rocksdb::ReadOptions& read,
                  std::string_view name, Db& out, Db::Family family, uint64_t* entries = nullptr);

// `default`: every counter as it is, except the format version, which the
// new store holds already ("2").
Status CopyCounters(format1::Format1Store& old, const rocksdb::ReadOptions& read, Db& out);

}  // namespace evlog::migrate
