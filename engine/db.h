// db: the RocksDB handle of a store, its column families, and the format
// version check. Opening here is the only place that knows how a store
// directory is created, locked and recognised.

#pragma once

#include <rocksdb/db.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "commit_signal.h"
#include "evlog/options.h"
#include "evlog/status.h"
#include "iterator_pool.h"
#include "live_tail.h"
#include "metrics.h"
#include "trim.h"
#include "wal_gate.h"

namespace evlog {

// Converts a RocksDB status into ours.
Status FromRocks(const rocksdb::Status& s);

// Test-only: every store opened after this call (in this process) does its
// file I/O through `fs` instead of the local file system; nullptr restores
// the default. Fault-injection tests (tests/engine/fault_fs.h) use it to fail
// writes, syncs and reads and to simulate a power loss. Not part of the
// public API, which exposes no RocksDB type.
// REQUIRES: no store is being opened concurrently.
void SetFileSystemForTesting(std::shared_ptr<rocksdb::FileSystem> fs);

// NotSupported for the store at `path`, written in the older format
// `version`: the message names `evlog migrate --db <path>`.
Status OlderFormat(const std::string& path, uint64_t version);

struct Db {
  // Column families, in the order they are opened. See docs/format.md.
  enum Family : size_t {
    kDefault,
    kLog,
    kStream,
    kStreams,
    kByCategory,
    kByType,
    kDedup,
    kCheckpoints,
    kViews,
    kSnapshots,
    kByTag,
    kIds,
    kCount
  };
  // Every format-2 store has all of them. `ids` is format 2's own: its
  // presence is how Open tells a format-2 store from a format-1 one by the
  // manifest alone, before it writes anything (docs/plans/format2.md §3.1).
  // Since slice 6(b) it holds the caller ids (committed_ids.h); `dedup`
  // holds those of stores written before, read until they leave the window.
  static constexpr std::string_view kFamilyNames[kCount] = {
      "default", "log",         "stream", "streams",   "by_category", "by_type",
      "dedup",   "checkpoints", "views",  "snapshots", "by_tag",      "ids"};

  // Opens (or creates) the RocksDB database at `path` with evlog's column
  // families and checks the format version. First completes or undoes a
  // migration killed in `path`'s parent (RecoverMigration, migrate.h). See
  // Store::Open for the errors; a format-1 store is NotSupported, naming
  // `evlog migrate`, and is left as it was.
  // With Compactions::kOff no automatic compaction runs (`evlog migrate`
  // builds and checks a new store so: the trim filter must not reclaim
  // hidden events between its count and the old store's).
  enum class Compactions { kAuto, kOff };
  static Result<std::unique_ptr<Db>> Open(const Options& options, const std::string& path,
                                          Compactions compactions = Compactions::kAuto);

  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Null only for kByTag on a read-only open of a store without it.
  rocksdb::ColumnFamilyHandle* cf(Family f) const {
    return f < handles.size() ? handles[f] : nullptr;
  }

  // Reads a decimal counter of the "default" family; `missing` if absent.
  Status ReadCounter(std::string_view key, uint64_t missing, uint64_t* out) const;

  // Read-only instances: applies what the writer process committed since the
  // last call and advances `commits` once every event up to it is readable
  // (see catch_up.h). A no-op on a writable instance.
  Status CatchUp();

  // Compacts every column family now (Store::Compact). Blocks until done.
  Status CompactAll();

  // Bytes of the regular files under the store directory; what cannot be
  // read is not counted.
  uint64_t DiskBytes() const;

  // The position of the last committed event: advanced by the writer after
  // each group commit, read by readers, feeds and the dedup compaction filter.
  std::shared_ptr<CommitSignal> commits = std::make_shared<CommitSignal>();
  // Every event removed by a trim or delete has a position at or below this:
  // a feed asked to start before it would miss them, and is refused.
  std::atomic<uint64_t> trim_horizon{0};
  std::mutex trim_mu;  // serializes raising it
  // Serializes CatchUp (read-only instances).
  std::mutex catch_up_mu;
  // Set once any stream has metadata: readers then check every stream's.
  std::atomic<bool> has_metadata{false};
  // The writer's recent commits for caught-up feeds (live_tail.h); null on
  // a read-only store or with Options::live_tail_bytes 0.
  std::shared_ptr<LiveTail> tail;
  // Events the change feeds delivered, by where they were read.
  FeedMetrics feed_metrics;
  // Per-stream trim points, shared with the trim filters.
  std::shared_ptr<TruncationTable> truncations = std::make_shared<TruncationTable>();
  // Between the writer's WAL writes and its syncs (wal_gate.h); told by the
  // file system `env` wraps when each WAL is created and starts a sync.
  std::shared_ptr<WalGate> wal_gate = std::make_shared<WalGate>();
  // Must outlive `db`: the default file system (or SetFileSystemForTesting's)
  // under the WAL hooks of `wal_gate`.
  std::unique_ptr<rocksdb::Env> env;
  // RocksDB's stalls, flushes and compactions, counted as it reports them.
  std::shared_ptr<RocksDbEvents> rocksdb_events = std::make_shared<RocksDbEvents>();
  // Iterators kept between posting reads (queries); closed before `db`.
  // Also a listener: a flush or compaction drops its idle iterators.
  std::shared_ptr<IteratorPool> iterators = std::make_shared<IteratorPool>();
  std::unique_ptr<rocksdb::CompactionFilter> dedup_filter;     // `dedup` (older stores' rows)
  std::unique_ptr<rocksdb::CompactionFilter> ids_filter;       // `ids`
  std::unique_ptr<rocksdb::CompactionFilter> trim_filter;      // `by_tag`
  std::unique_ptr<rocksdb::CompactionFilter> log_trim_filter;  // `log`, `stream` (chunks)
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  bool read_only = false;
  // The store directory.
  std::string path;
  // Where a read-only (secondary) instance keeps its own info logs; removed
  // on close.
  std::string secondary_dir;
};

}  // namespace evlog
