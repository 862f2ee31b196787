// format1: the little of storage format 1 that `evlog migrate` (migrate.h)
// reads and this build does not otherwise: the RocksDB database of a
// format-1 store opened with the families it has, and the two families
// format 2 changed, `log` and `stream`, which held one EventRecord per key
// (docs/format.md, "Format 1"). Every other family is the same in both
// formats and is copied as it is.
//
// Invariant: nothing here writes to the store. The open takes RocksDB's
// LOCK (so no writer runs beside a migration) and may replay the WAL into a
// table, as any writable open does; no compaction runs.
//
// Thread-safety: one thread at a time.

#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codec.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog::format1 {

class Format1Store {
 public:
  // Opens the database at `path` as RocksDB's primary with the column
  // families it has, default options, no compaction filters and automatic
  // compactions off. Errors: Busy if a process has the store open for
  // writing; InvalidArgument if it lacks a family evlog's format 1 always
  // had (`log`, `stream`, `streams`, `dedup`, ...); Corruption or IOError
  // from RocksDB.
  static Result<std::unique_ptr<Format1Store>> Open(const std::string& path);

  Format1Store(const Format1Store&) = delete;
  Format1Store& operator=(const Format1Store&) = delete;
  // Closes the database (and releases its LOCK).
  ~Format1Store();

  // The family `name`, or null if the store has none of that name (`by_tag`
  // and `snapshots` came after format 1's first release).
  rocksdb::ColumnFamilyHandle* family(std::string_view name) const;
  // Every family the store has, by name.
  const std::vector<std::string>& names() const { return names_; }
  rocksdb::DB& db() { return *db_; }

  // The store's format version ("evlog.format_version"); 0 if it has none.
  Status FormatVersion(uint64_t* version);
  // A counter of `default`; `missing` when absent.
  Status Counter(std::string_view key, uint64_t missing, uint64_t* value);

  // Closes the database now; the destructor then does nothing.
  Status Close();

 private:
  Format1Store() = default;

  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

// Checks one format-1 `log` entry and decodes it into *event (views into
// `value` or `scratch`): the key is 8 bytes, the value a valid EventRecord
// of that position. Corruption naming the position otherwise.
Status ReadLogEntry(std::string_view key, std::string_view value, codec::AlignedBuffer* scratch,
                    RecordedEvent* event);

// The same for a `stream` entry: a 16-byte key of (stream id, version)
// holding that version's EventRecord; *stream_id is the key's.
Status ReadStreamEntry(std::string_view key, std::string_view value,
                       codec::AlignedBuffer* scratch, uint64_t* stream_id, RecordedEvent* event);

}  // namespace evlog::format1
