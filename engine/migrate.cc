#include "migrate.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>
#include <vector>

#include "chunk.h"
#include "db.h"
#include "format1.h"
#include "keys.h"
#include "migrate_passes.h"
#include "migrate_swap.h"
#include "owned_dir.h"
#include "synced_mark.h"
#include "verify.h"

namespace evlog {

namespace fs = std::filesystem;

namespace {

// The new store is written and checked with windows that drop no `ids`
// chunk: its compaction filter must not judge chunks before the store
// holds its last position. The store's own options apply from its first open.
Options BuildOptions() {
  Options options;
  options.create_if_missing = true;
  options.dedup_window_events = std::numeric_limits<uint64_t>::max();
  options.dedup_window_seconds = std::numeric_limits<uint64_t>::max() / 2'000'000;
  return options;
}

// True if the database at `dir` has the family only format 2 has.
bool IsFormat2(const fs::path& dir) {
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &names).ok()) {
    return false;
  }
  return std::find(names.begin(), names.end(), Db::kFamilyNames[Db::kIds]) != names.end();
}

// The store directory's own files besides RocksDB's: SYNCED and requests/.
Status CopyStoreFiles(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (fs::exists(from / SyncedMark::kFileName, ec)) {
    fs::copy_file(from / SyncedMark::kFileName, to / SyncedMark::kFileName,
                  fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::IOError("cannot copy SYNCED: " + ec.message());
  }
  if (fs::is_directory(from / "requests", ec)) {
    fs::copy(from / "requests", to / "requests", fs::copy_options::recursive, ec);
    if (ec) return Status::IOError("cannot copy requests/: " + ec.message());
  }
  return Status::OK();
}

struct Converted {
  uint64_t events = 0;
  uint64_t caller_ids = 0;
  uint64_t stream_records = 0;
  uint64_t streams = 0;
};

// Step 2: fills `dir` (a new, empty store) from `old`, then flushes it.
Status Build(format1::Format1Store& old, const fs::path& dir, uint64_t last, Converted* counts) {
  auto out = Db::Open(BuildOptions(), dir.string(), Db::Compactions::kOff);
  if (!out.ok()) return out.status();
  Db& db = **out;
  db.commits->Advance(last);  // what the `ids` filter measures its window from
  const rocksdb::Snapshot* snapshot = old.db().GetSnapshot();
  struct Release {
    rocksdb::DB& db;
    const rocksdb::Snapshot* snapshot;
    ~Release() { db.ReleaseSnapshot(snapshot); }
  } release{old.db(), snapshot};
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  read.fill_cache = false;
  std::vector<migrate::CallerId> ids;
  if (Status s = migrate::ReadCallerIds(old, read, last, &ids); !s.ok()) return s;
  if (Status s = migrate::ConvertLog(old, read, ids, db, &counts->events, &counts->caller_ids);
      !s.ok()) {
    return s;
  }
  ids = {};
  if (Status s = migrate::ConvertStreams(old, read, db, &counts->stream_records); !s.ok()) return s;
  if (Status s = migrate::ConvertIndexPostings(old, read, db); !s.ok()) return s;
  const struct {
    std::string_view name;
    Db::Family family;
  } verbatim[] = {{"by_tag", Db::kByTag},
                  {"checkpoints", Db::kCheckpoints},
                  {"views", Db::kViews},
                  {"snapshots", Db::kSnapshots}};
  for (const auto& [name, family] : verbatim) {
    if (Status s = migrate::CopyFamily(old, read, name, db, family); !s.ok()) return s;
  }
  if (Status s = migrate::CopyFamily(old, read, "streams", db, Db::kStreams, &counts->streams);
      !s.ok()) {
    return s;
  }
  if (Status s = migrate::CopyCounters(old, read, db); !s.ok()) return s;
  rocksdb::FlushOptions flush;
  flush.allow_write_stall = true;
  return FromRocks(db.db->Flush(flush, db.handles));
}

// The last version of each stream, in stream id order: the next one from
// `it` (positioned at a stream's first key, or invalid). False at the end.
bool NextHead(rocksdb::Iterator& it, uint64_t* id, uint64_t* head) {
  if (!it.Valid()) return false;
  Version version;
  if (!keys::ParseStreamKey(it.key().ToStringView(), id, &version)) return false;
  for (uint64_t other = *id; it.Valid(); it.Next()) {
    if (!keys::ParseStreamKey(it.key().ToStringView(), &other, &version) || other != *id) break;
    *head = version.value();
  }
  return true;
}

// Step 3: the new store verifies clean and agrees with the old one.
Status Check(format1::Format1Store& old, const fs::path& dir, const Converted& counts,
             uint64_t* last_position) {
  auto opened = Db::Open(BuildOptions(), dir.string(), Db::Compactions::kOff);
  if (!opened.ok()) return opened.status();
  Db& db = **opened;
  Result<VerifyReport> report = VerifyStore(db, Options().max_json_depth);
  if (!report.ok()) return report.status();
  const auto differs = [](const std::string& what) {
    return Status::Corruption("the converted store differs from the old one: " + what +
                              "; the old store is unchanged (run `evlog verify` on it)");
  };
  if (!report->ok()) {
    return differs("verify found " + std::to_string(report->problem_count) + " problems, first: " +
                   report->problems.front());
  }
  if (report->events != counts.events) {
    return differs(std::to_string(report->events) + " events in its log, " +
                   std::to_string(counts.events) + " in the old one");
  }
  if (report->streams != counts.streams) {
    return differs(std::to_string(report->streams) + " streams, " +
                   std::to_string(counts.streams) + " in the old one");
  }
  // Verify decoded each chunk and matched each id with its event; this,
  // that the ids chunks hold every id converted (none lost in writing).
  uint64_t ids = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kIds)));
    std::vector<chunk::IdEntry> entries;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      Position key;
      int64_t commit_us = 0;
      if (keys::ParseLogKey(it->key().ToStringView(), &key) &&
          chunk::DecodeIds(it->value().ToStringView(), key.value(), &commit_us, &entries).ok()) {
        ids += entries.size();
      }
    }
    if (Status s = FromRocks(it->status()); !s.ok()) return s;
  }
  if (ids != counts.caller_ids) {
    return differs(std::to_string(ids) + " caller ids in its ids chunks, " +
                   std::to_string(counts.caller_ids) + " converted");
  }
  for (std::string_view key : {keys::kLastPosition, keys::kNextStreamId, keys::kTrimHorizon}) {
    uint64_t was = 0, is = 0;
    if (Status s = old.Counter(key, 0, &was); !s.ok()) return s;
    if (Status s = db.ReadCounter(key, 0, &is); !s.ok()) return s;
    if (was != is) return differs(std::string(key) + " " + std::to_string(is) + ", was " + std::to_string(was));
    if (key == keys::kLastPosition) *last_position = is;
  }
  if (report->last_position.value() != *last_position) return differs("its last position");
  std::unique_ptr<rocksdb::Iterator> before(
      old.db().NewIterator(rocksdb::ReadOptions(), old.family("stream")));
  std::unique_ptr<rocksdb::Iterator> after(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kStream)));
  before->SeekToFirst();
  after->SeekToFirst();
  for (;;) {
    uint64_t id_was = 0, head_was = 0, id_is = 0, head_is = 0;
    const bool more_was = NextHead(*before, &id_was, &head_was);
    const bool more_is = NextHead(*after, &id_is, &head_is);
    if (more_was != more_is || id_was != id_is || head_was != head_is) {
      return differs("the head of stream id " + std::to_string(more_is ? id_is : id_was));
    }
    if (!more_was) break;
  }
  if (Status s = FromRocks(before->status()); !s.ok()) return s;
  return FromRocks(after->status());
}

}  // namespace

Result<MigrateInfo> MigrateStore(const std::string& path, const MigrateOptions& options,
                                 const MigrateHooks& hooks) {
  if (path.empty()) return Status::InvalidArgument("store path is empty");
  const fs::path dir = migrate::NormalPath(path);
  if (Status s = RecoverMigration(dir.string()); !s.ok()) return s;
  std::error_code ec;
  if (!fs::exists(dir / "CURRENT", ec)) {
    return Status::NotFound("no evlog store at '" + dir.string() + "'");
  }
  const fs::path kept = dir.string() + std::string(migrate::kKeptSuffix);
  if (options.keep_old && fs::exists(fs::symlink_status(kept, ec))) {
    return Status::InvalidArgument("'" + kept.string() +
                                   "' exists: --keep-old would keep the old store there");
  }
  MigrateInfo info;
  if (IsFormat2(dir)) {
    // Opened as any store is: a read-only open checks the version.
    auto store = Store::Open(Options{.read_only = true}, dir.string());
    if (!store.ok()) return store.status();
    info.last_position = (*store)->LastPosition();
    return info;
  }
  if (Status s = migrate::CheckFreeSpace(dir, hooks); !s.ok()) return s;
  auto opened = format1::Format1Store::Open(dir.string());
  if (!opened.ok()) return opened.status();
  format1::Format1Store& old = **opened;
  uint64_t version = 0;
  if (Status s = old.FormatVersion(&version); !s.ok()) return s;
  if (version != 1) {
    return Status::NotSupported("store '" + dir.string() + "' has format version " +
                                std::to_string(version) +
                                "; evlog migrate converts format 1 into format 2");
  }
  uint64_t last = 0;
  if (Status s = old.Counter(keys::kLastPosition, 0, &last); !s.ok()) return s;
  if (Status s = CheckSyncedMark(dir.string(), ReadSyncedMark(dir.string()), last); !s.ok()) {
    return s;
  }
  hooks.At("opened");

  auto stage = MakeOwnedDir(dir.parent_path(),
                            "." + dir.filename().string() + std::string(migrate::kStageInfix));
  if (!stage.ok()) return stage.status();
  // Removed on every error before the swap; SwapIn removes it after.
  struct Removed {
    fs::path path;
    bool armed = true;
    ~Removed() {
      std::error_code ignored;
      if (armed) fs::remove_all(path, ignored);
    }
  } remove_stage{*stage};
  const fs::path built = *stage / "new";
  Converted counts;
  if (Status s = Build(old, built, last, &counts); !s.ok()) return s;
  if (Status s = CopyStoreFiles(dir, built); !s.ok()) return s;
  hooks.At("built");
  if (Status s = Check(old, built, counts, &last); !s.ok()) return s;
  hooks.At("verified");
  if (Status s = migrate::SyncTree(built); !s.ok()) return s;
  hooks.At("synced");
  remove_stage.armed = false;
  Status swapped = migrate::SwapIn(dir, *stage, old, options.keep_old, hooks, &info.old_store);
  if (!swapped.ok()) {
    // Before the marker, the stage holds only the new store: remove it.
    // After it, leave the stage to RecoverMigration.
    if (!fs::exists(*stage / migrate::kMarkerName, ec)) fs::remove_all(*stage, ec);
    return swapped;
  }
  hooks.At("done");
  info.migrated = true;
  info.events = counts.events;
  info.last_position = Position(last);
  return info;
}

}  // namespace evlog
