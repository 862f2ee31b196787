#include "db.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "catch_up.h"
#include "backup.h"
#include "dedup.h"
#include "evlog/store.h"
#include "info_log.h"
#include "keys.h"
#include "memtable.h"
#include "migrate.h"
#include "owned_dir.h"
#include "stream_metadata.h"

namespace evlog {

namespace fs = std::filesystem;

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  std::string msg = s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  if (s.IsNotSupported()) return Status::NotSupported(msg);
  if (s.IsBusy()) return Status::Busy(msg);
  return Status::IOError(msg);
}

namespace {

// A read-only store's RocksDB secondary instance keeps its info logs in a
// directory of its own under the temporary directory, removed at close; a
// process killed first leaves it, and the next read-only open removes it
// (owned_dir.h).
constexpr std::string_view kSecondaryPrefix = "evlog-secondary-";

// True if every entry of `path` is a file RocksDB writes while it creates a
// database, before CURRENT: what a process killed during the first Open
// leaves behind. Creating the store there again is safe and must work.
bool OnlyCreationLeftovers(const std::string& path) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    const bool leftover = name == "LOG" || name == "LOCK" || name == "IDENTITY" ||
                          name.starts_with("LOG.old.") || name == "MANIFEST-000001" ||
                          name.ends_with(".dbtmp") || name.ends_with(".log");
    if (!leftover || !entry.is_regular_file(ec)) return false;
  }
  return !ec;
}

// True if `path` holds files RocksDB writes only after CURRENT exists: a
// table, an options file, or a manifest other than the first. Without
// CURRENT, such a directory is a store that lost it, not a half-created one.
bool LooksLikeADatabase(const std::string& path) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".sst") || name.starts_with("OPTIONS-") ||
        (name.starts_with("MANIFEST-") && name != "MANIFEST-000001")) {
      return true;
    }
  }
  return false;
}

// Drops every line: for looking into a database without writing to it.
class NullLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

// Refuses a RocksDB database that is not an evlog store before Open adds
// column families to it (which would leave its owner unable to open it),
// and finds the store's format version, *version (0: none yet).
// The common case, exactly evlog's families, costs a read of the manifest:
// only a format-2 store has them all (`ids`). Otherwise the database is
// opened read-only, writing nothing, and is ours if its default family
// holds evlog's format version (format 1, or a store of another evlog
// version) or is empty with only families of evlog's (a creation killed
// while it added them, before the format version was written: version 0).
Status PeekStore(const std::string& path, uint64_t* version) {
  rocksdb::DBOptions options;
  options.info_log = std::make_shared<NullLogger>();
  std::vector<std::string> names;
  if (Status s = FromRocks(rocksdb::DB::ListColumnFamilies(options, path, &names)); !s.ok()) {
    return s;
  }
  const auto ours = [](const std::string& name) {
    return std::find(std::begin(Db::kFamilyNames), std::end(Db::kFamilyNames), name) !=
           std::end(Db::kFamilyNames);
  };
  const bool all_ours = std::all_of(names.begin(), names.end(), ours);
  if (all_ours && names.size() == Db::kCount) {
    *version = Store::kFormatVersion;  // CheckFormatVersion reads it after the open
    return Status::OK();
  }
  const Status foreign = Status::InvalidArgument(
      "'" + path + "' holds a RocksDB database that is not an evlog store (" +
      std::to_string(names.size()) +
      " column families, no evlog format version); "
      "evlog opens only its own stores and leaves this one untouched");
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, path, families, &handles, &raw);
  if (!s.ok()) return foreign;  // e.g. a comparator of its own
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* default_family = db->DefaultColumnFamily();
  std::string value;
  s = db->Get(rocksdb::ReadOptions(), default_family, keys::kFormatVersion, &value);
  bool evlog = s.ok() && keys::ParseCounter(value, version);
  if (s.IsNotFound() && all_ours) {
    evlog = true;
    *version = 0;
    for (auto* h : handles) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
      it->SeekToFirst();
      evlog = evlog && !it->Valid() && it->status().ok();
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  db->Close().PermitUncheckedError();
  return evlog ? Status::OK() : foreign;
}

// Turns off RocksDB's own recovery from background errors: its thread
// resuming a store after ENOSPC raced the close and other flushes, and a
// flush outside a recovery syncs a WAL whose writer saw the error, which
// Debian's librocksdb aborts on (IoFaults.ReopenAfterTheFaultClears...,
// once in CI). The writer resumes the store instead, on its own thread,
// before the next append (Writer::CommitGroup).
class NoAutoRecovery : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

// See SetFileSystemForTesting. Guarded by test_fs_mu.
std::mutex test_fs_mu;
std::shared_ptr<rocksdb::FileSystem> test_fs;

std::shared_ptr<rocksdb::FileSystem> FileSystemForTesting() {
  std::lock_guard<std::mutex> lock(test_fs_mu);
  return test_fs;
}

// The name part of an index key (name + '\0' + position), for memtable
// insert hints: each name's entries arrive in position order.
class IndexNameTransform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "evlog.IndexName"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > 8; }
};

// The stream id of a `stream` key (id + the chunk's last version, 8 bytes
// BE each), for memtable insert hints: each stream's chunks arrive in
// version order. A new stream has no hint to step from; new streams take
// ascending ids, so a chunk whose last version is 1 (a stream's first
// append of one event) goes in without one, and RocksDB's sequential
// splice makes it a step from the previous new stream's instead of a
// search from the top (X1: every append a new stream of one event). A
// first append of more events still searches once for its stream.
class StreamIdTransform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "evlog.StreamId"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() == 16 && keys::GetU64BE(key.data() + 8) != 1;
  }
};

rocksdb::ColumnFamilyOptions FamilyOptions(const Options& options,
                                           const std::shared_ptr<rocksdb::Cache>& cache,
                                           Db::Family family) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = options.write_buffer_bytes;
  // Inserts into `stream` jump between streams but are sequential within
  // one, and likewise per name in the indexes: a per-prefix insert hint
  // turns most skiplist searches into a step from the last insert.
  // The log is appended in key order: one hint (an empty prefix) for all
  // its keys makes each insert a step from the previous one.
  // `dedup` rows (random keys) were put sorted per group by the writer
  // before the `ids` chunks replaced them; the hint stays for stores that
  // hold them. This is the memtable only; the tables are unchanged.
  // `ids` chunks are keyed like the log chunks they belong to.
  // No DeleteRange on a family with a hint: RocksDB 7.8 shares the hints
  // between a memtable's point and range-deletion tables (RocksDB #5118).
  if (family == Db::kLog || family == Db::kDedup || family == Db::kIds) {
    cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  } else if (family == Db::kStream) {
    cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamIdTransform>();
  } else if (family == Db::kByCategory || family == Db::kByType || family == Db::kByTag) {
    cf.memtable_insert_with_hint_prefix_extractor = std::make_shared<IndexNameTransform>();
  }
  bool point_lookups = family == Db::kDedup || family == Db::kStreams || family == Db::kDefault;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = 16 << 10;
  if (family == Db::kByTag) {
    // A tag read seeks once per query, then steps through its postings.
    // With a restart point at every key, the seek's binary search lands on
    // the key itself instead of stepping through up to 15 delta-encoded
    // keys after it, and a step need not rebuild a key from its
    // predecessor's bytes: 4% fewer instructions per one-tag read than the
    // default interval of 16, 2% fewer than 4 (#19). The cost: each key is
    // stored whole (a tag key shares about 18 bytes with its predecessor)
    // with a 4-byte restart offset: about 6 bytes per posting after
    // compression, 4% of a compacted store of tagged events (docs/bench.md).
    table.block_restart_interval = 1;
  }
  if (point_lookups) {
    // Dedup checks and stream-row lookups mostly miss or hit once: a bloom
    // filter keeps a miss from reading data blocks.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // And in the memtable: the writer looks up every stream it has not seen
    // since the open, and most of those lookups miss (a new stream).
    cf.memtable_whole_key_filtering = true;
    cf.memtable_prefix_bloom_size_ratio = 0.02;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // One writer inserts (allow_concurrent_memtable_write is off): a
  // skiplist for that case, without the checks of Debian's RocksDB build.
  cf.memtable_factory = NewSingleWriterSkipListFactory();
  return cf;
}

bool IsLockError(const rocksdb::Status& s) {
  std::string msg = s.ToString();
  std::transform(msg.begin(), msg.end(), msg.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s.IsIOError() && msg.find("lock") != std::string::npos;
}

Status CheckFormatVersion(Db& db) {
  // A fresh store is written in the current format; Open refused an older
  // one before it opened it (PeekStore), so this catches only a store whose
  // families were changed behind evlog's back.
  std::string value;
  rocksdb::Status s =
      db.db->Get(rocksdb::ReadOptions(), db.cf(Db::kDefault), keys::kFormatVersion, &value);
  if (s.IsNotFound()) {
    if (db.read_only) return Status::Corruption("store has no format version");
    return FromRocks(db.db->Put(rocksdb::WriteOptions(), db.cf(Db::kDefault), keys::kFormatVersion,
                                keys::EncodeCounter(Store::kFormatVersion)));
  }
  if (!s.ok()) return FromRocks(s);
  uint64_t version = 0;
  if (!keys::ParseCounter(value, &version)) {
    return Status::Corruption("unreadable format version '" + value + "'");
  }
  if (version < Store::kFormatVersion) return OlderFormat(db.path, version);
  if (version > Store::kFormatVersion) {
    return Status::NotSupported("store format version " + std::to_string(version) +
                                " is newer than this build of evlog supports (" +
                                std::to_string(Store::kFormatVersion) +
                                "); open it with a newer evlog");
  }
  return Status::OK();
}

}  // namespace

Status OlderFormat(const std::string& path, uint64_t version) {
  const std::string v = std::to_string(version);
  return Status::NotSupported("store '" + path + "' is in format " + v + "; this evlog reads format " +
                              std::to_string(Store::kFormatVersion) + ": run `evlog migrate --db " +
                              path +
                              "` (offline; the old store is kept until the new one is verified)");
}

void SetFileSystemForTesting(std::shared_ptr<rocksdb::FileSystem> fs) {
  std::lock_guard<std::mutex> lock(test_fs_mu);
  test_fs = std::move(fs);
}

Status Db::ReadCounter(std::string_view key, uint64_t missing, uint64_t* out) const {
  std::string value;
  rocksdb::Status s =
      db->Get(rocksdb::ReadOptions(), cf(kDefault), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) {
    *out = missing;
    return Status::OK();
  }
  if (!s.ok()) return FromRocks(s);
  if (!keys::ParseCounter(value, out)) {
    return Status::Corruption("unreadable counter " + std::string(key) + ": '" + value + "'");
  }
  return Status::OK();
}

Status Db::CatchUp() {
  if (!read_only) return Status::OK();
  return CatchUpWithWriter(*this);
}

Db::~Db() {
  // Its idle iterators hold the database's superversions.
  iterators->Close();
  if (db) {
    for (auto* h : handles) {
      if (h != nullptr) db->DestroyColumnFamilyHandle(h);
    }
    handles.clear();
    db->Close().PermitUncheckedError();
    db.reset();
  }
  if (!secondary_dir.empty()) {
    std::error_code ec;
    fs::remove_all(secondary_dir, ec);
  }
}

Result<std::unique_ptr<Db>> Db::Open(const Options& options, const std::string& path,
                                     Compactions compactions) {
  if (path.empty()) return Status::InvalidArgument("store path is empty");
  // A migration killed between its two renames left no store at `path`.
  if (Status s = RecoverMigration(path); !s.ok()) return s;
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    return Status::InvalidArgument("'" + path + "' is a file, not a store directory");
  }
  bool exists = fs::exists(fs::path(path) / "CURRENT", ec);
  if (!exists && LooksLikeADatabase(path)) {
    return Status::Corruption("CURRENT is missing in '" + path +
                              "': it holds a RocksDB database (tables, a manifest or an "
                              "options file) whose CURRENT file was removed; restore it "
                              "from a backup");
  }
  if (!exists) {
    if (!options.create_if_missing || options.read_only) {
      return Status::NotFound("no evlog store at '" + path + "'");
    }
    if (fs::exists(path, ec) && !fs::is_empty(path, ec) && !OnlyCreationLeftovers(path)) {
      return Status::InvalidArgument("'" + path +
                                     "' is a non-empty directory that is not an evlog store");
    }
  } else {
    uint64_t version = 0;
    if (Status s = PeekStore(path, &version); !s.ok()) return s;
    if (version != 0 && version < Store::kFormatVersion) return OlderFormat(path, version);
  }

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = !options.read_only;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;
  // Column families written rarely (stream rows, counters) would otherwise
  // pin every WAL file since their last flush: the WAL would grow to 4x the
  // memtables, and a crash recovery would replay all of it. At this size
  // RocksDB flushes the family holding the oldest WAL back.
  db_options.max_total_wal_size = 128 << 20;
  // One writer thread writes every batch: concurrent memtable inserts buy
  // nothing and would disable the insert hints below.
  db_options.allow_concurrent_memtable_write = false;
  db_options.enable_write_thread_adaptive_yield = false;

  auto out = std::make_unique<Db>();
  std::shared_ptr<rocksdb::FileSystem> fs = FileSystemForTesting();
  if (!fs) fs = rocksdb::FileSystem::Default();
  out->env = rocksdb::NewCompositeEnv(NewWalFileSystem(std::move(fs), out->wal_gate));
  db_options.env = out->env.get();
  if (options.low_priority_background && !options.read_only) {
    for (auto pool : {rocksdb::Env::LOW, rocksdb::Env::HIGH}) {
      rocksdb::Status s = out->env->LowerThreadPoolCPUPriority(pool, rocksdb::CpuPriority::kLow);
      if (!s.ok()) return FromRocks(s);
    }
  }
  // Called on RocksDB's background threads, off the write path (a
  // Statistics object would tax every write instead).
  db_options.listeners.push_back(out->rocksdb_events);
  db_options.listeners.push_back(std::make_shared<NoAutoRecovery>());
  db_options.listeners.push_back(out->iterators);
  db_options.max_bgerror_resume_count = 0;
  out->dedup_filter = std::make_unique<DedupWindowFilter>(out->commits, options);
  out->ids_filter = std::make_unique<IdsWindowFilter>(out->commits, options);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (size_t i = 0; i < kCount; ++i) {
    families.emplace_back(std::string(kFamilyNames[i]),
                          FamilyOptions(options, cache, static_cast<Family>(i)));
    families.back().options.disable_auto_compactions = compactions == Compactions::kOff;
  }
  families[kDedup].options.compaction_filter = out->dedup_filter.get();
  families[kIds].options.compaction_filter = out->ids_filter.get();
  out->trim_filter = std::make_unique<TrimFilter>(out->truncations);
  out->log_trim_filter = std::make_unique<ChunkTrimFilter>(out->truncations);
  families[kLog].options.compaction_filter = out->log_trim_filter.get();
  families[kStream].options.compaction_filter = out->log_trim_filter.get();
  // Covering tag postings hold the record too (an empty one, written before
  // they did, is kept: the filter keeps what it cannot decode).
  families[kByTag].options.compaction_filter = out->trim_filter.get();

  // A record damaged in the middle of the WAL makes Open fail with
  // Corruption. RocksDB's default (point-in-time recovery) would open the
  // store silently cut at the damage, dropping every acknowledged event
  // after it (Corruption.FlippedBytesInTheWalAreRefusedAtOpen). An
  // incomplete last record -- a crash during its write, never acknowledged
  // -- is still tolerated.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  out->read_only = options.read_only;
  out->path = path;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    // A secondary instance follows the primary's manifest and WAL without
    // taking the lock, so reads work beside a live writer in another process.
    const fs::path tmp = fs::temp_directory_path(ec);
    if (ec) return Status::IOError("no temporary directory: " + ec.message());
    RemoveAbandonedDirs(tmp,
                        [](std::string_view name) { return name.starts_with(kSecondaryPrefix); });
    auto dir = MakeOwnedDir(tmp, kSecondaryPrefix);
    if (!dir.ok()) return dir.status();
    out->secondary_dir = dir->string();
    db_options.max_open_files = -1;
    // A store whose writer dropped `by_tag` (tests of stores made before
    // tags) lacks it, and a secondary cannot create it: open without it
    // (cf(kByTag) is then null; readers take it as empty).
    std::vector<std::string> present;
    if (Status st = FromRocks(rocksdb::DB::ListColumnFamilies(db_options, path, &present));
        !st.ok()) {
      return st;
    }
    const bool without_tags =
        std::find(present.begin(), present.end(), kFamilyNames[kByTag]) == present.end();
    if (without_tags) families.erase(families.begin() + kByTag);
    s = rocksdb::DB::OpenAsSecondary(db_options, path, out->secondary_dir, families, &out->handles,
                                     &raw);
    if (s.ok() && without_tags) out->handles.insert(out->handles.begin() + kByTag, nullptr);
  } else {
    // RocksDB's own info log aborts the process once a write to it fails
    // (a full disk): see info_log.h.
    fs::create_directories(path, ec);
    // A restore killed before it renamed its copy into place left it beside.
    RemoveAbandonedStages(fs::path(path));
    db_options.info_log = std::make_shared<InfoLog>(path, db_options.keep_log_file_num, 64 << 20);
    s = rocksdb::DB::Open(db_options, path, families, &out->handles, &raw);
  }
  out->db.reset(raw);
  if (!s.ok()) {
    if (IsLockError(s)) {
      return Status::Busy("store '" + path + "' is in use by another writer (" + s.ToString() +
                          ")");
    }
    return FromRocks(s);
  }
  if (Status st = CheckFormatVersion(*out); !st.ok()) return st;
  out->has_metadata.store(StoreHasMetadata(*out));
  uint64_t horizon = 0;
  if (Status st = out->ReadCounter(keys::kTrimHorizon, 0, &horizon); !st.ok()) return st;
  out->trim_horizon.store(horizon);
  if (out->has_metadata.load()) {
    if (Status st = LoadTruncations(*out, out->truncations.get()); !st.ok()) return st;
  }
  return out;
}

Status Db::CompactAll() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (size_t f = 0; f < kCount; ++f) {
    if (cf(static_cast<Family>(f)) == nullptr) continue;
    if (Status s = FromRocks(db->CompactRange(options, cf(static_cast<Family>(f)), nullptr, nullptr));
        !s.ok()) {
      return s;
    }
  }
  return Status::OK();
}

uint64_t Db::DiskBytes() const {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      uint64_t size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

}  // namespace evlog
