// The Store façade: wires Db, Writer and the readers together. No logic of
// its own beyond argument plumbing.

#include "evlog/store.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>

#include "backup.h"
#include "change_feed.h"
#include "checkpoint.h"
#include "clock.h"
#include "codec.h"
#include "db.h"
#include "keys.h"
#include "reader.h"
#include "request.h"
#include "sequence.h"
#include "snapshot.h"
#include "stream_metadata.h"
#include "subscription.h"
#include "synced_mark.h"
#include "trim.h"
#include "verify.h"
#include "view.h"
#include "writer.h"

namespace evlog {

struct Store::Rep {
  Options options;
  std::string path;
  std::unique_ptr<Db> db;
  // Null when read-only.
  std::unique_ptr<Writer> writer;
};

namespace {

// The "error" field of a parked event's metadata, {"error":"...",...}.
std::string ParkedError(std::string_view metadata) {
  constexpr std::string_view kKey = "{\"error\":\"";
  if (!metadata.starts_with(kKey)) return std::string(metadata);
  std::string out;
  for (size_t i = kKey.size(); i < metadata.size() && metadata[i] != '"'; ++i) {
    if (metadata[i] == '\\' && i + 1 < metadata.size()) ++i;
    out.push_back(metadata[i]);
  }
  return out;
}

// The lowest position any durable subscription or view has processed up
// to; the last position when there are none.
Result<Position> OldestCheckpoint(const Db& db) {
  uint64_t oldest = db.commits->committed();
  std::unique_ptr<rocksdb::Iterator> it(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kCheckpoints)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView();
    std::string_view value = it->value().ToStringView();
    bool progress = key.find('\0') == std::string_view::npos && value.size() == 8;
    bool view = key.ends_with(std::string_view("\0view", 5)) && value.size() == 16;
    if (progress) oldest = std::min(oldest, keys::GetU64BE(value.data()));
    if (view) oldest = std::min(oldest, keys::GetU64BE(value.data() + 8));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return Position(oldest);
}

// Raises the trim horizon to the position of version `last_removed` of the
// stream with id `stream_id`, the newest event a trim or delete removed.
Status RaiseTrimHorizon(Db& db, uint64_t stream_id, Version last_removed) {
  if (last_removed.value() == 0) return Status::OK();
  std::string record;
  rocksdb::Status s = db.db->Get(rocksdb::ReadOptions(), db.cf(Db::kStream),
                                 keys::StreamKey(stream_id, last_removed), &record);
  if (!s.ok()) return FromRocks(s);
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  if (Status st = codec::DecodeEvent(record, &scratch, &event); !st.ok()) return st;
  std::lock_guard<std::mutex> lock(db.trim_mu);
  if (event.position.value() <= db.trim_horizon.load()) return Status::OK();
  db.trim_horizon.store(event.position.value());
  return FromRocks(db.db->Put(rocksdb::WriteOptions(), db.cf(Db::kDefault),
                              rocksdb::Slice(keys::kTrimHorizon.data(), keys::kTrimHorizon.size()),
                              keys::EncodeCounter(event.position.value())));
}

uint64_t DirectoryBytes(const std::string& path) {
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

}  // namespace

Store::Store(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Store::~Store() {
  rep_->db->commits->Interrupt();
  if (rep_->writer) {
    rep_->writer->Stop();
    // RocksDB does not flush at close when the WAL is on: the next open
    // would replay the WAL. Flushing here makes the open after a clean
    // close quick; a failure only leaves the replay to that open.
    rocksdb::FlushOptions flush;
    flush.allow_write_stall = true;
    rep_->db->db->Flush(flush, rep_->db->handles).PermitUncheckedError();
  }
}

Result<std::unique_ptr<Store>> Store::Open(const Options& options, std::string_view path) {
  auto rep = std::make_unique<Rep>();
  rep->options = options;
  rep->path = std::string(path);
  // Read before the open: a writer in another process only raises it after
  // the log it covers is written, so what the open then reads reaches it.
  const uint64_t synced = ReadSyncedMark(rep->path);
  auto db = Db::Open(rep->options, rep->path);
  if (!db.ok()) return db.status();
  rep->db = std::move(db).value();

  uint64_t last_position = 0, next_stream_id = 1;
  if (Status s = rep->db->ReadCounter(keys::kLastPosition, 0, &last_position); !s.ok()) return s;
  if (Status s = rep->db->ReadCounter(keys::kNextStreamId, 1, &next_stream_id); !s.ok()) return s;
  rep->db->commits->Advance(last_position);
  // A read-only open has the race a catch-up checks for (catch_up.h): a
  // writer that flushed and deleted a WAL while the secondary instance read
  // the MANIFEST and then the WALs. One checked catch-up reads the MANIFEST
  // again and fills such a hole before anyone reads, and before the synced
  // mark is held against the log (a WAL missed that way is not a lost one).
  if (options.read_only) {
    if (Status s = rep->db->CatchUp(); !s.ok()) return s;
    if (Status s = rep->db->ReadCounter(keys::kLastPosition, 0, &last_position); !s.ok()) {
      return s;
    }
  }
  if (Status s = CheckSyncedMark(rep->path, synced, last_position); !s.ok()) return s;
  if (!options.read_only) {
    auto mark = SyncedMark::Open(rep->db->db->GetEnv()->GetFileSystem(), rep->path, last_position);
    if (!mark.ok()) return mark.status();
    rep->writer = std::make_unique<Writer>(rep->db.get(), rep->options, next_stream_id,
                                           std::move(mark).value());
  }
  return std::unique_ptr<Store>(new Store(std::move(rep)));
}

void Store::AppendAsync(AppendRequest request, AppendCallback done) {
  if (!rep_->writer) {
    done(Status::ReadOnly("the store was opened read-only"));
    return;
  }
  AppendWithCallback(*rep_->writer, rep_->options, std::move(request), std::move(done));
}

Result<AppendResult> Store::Append(AppendRequest request) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  return AppendAndWait(*rep_->writer, rep_->options, std::move(request));
}

Result<std::unique_ptr<EventIterator>> Store::ReadStream(std::string_view stream,
                                                         const ReadStreamOptions& options) {
  if (Status s = ValidateStreamName(stream, rep_->options.max_stream_name_bytes,
                                    /*allow_reserved=*/true);
      !s.ok()) {
    return s;
  }
  StreamHead head;
  if (Status s = LoadStreamHead(*rep_->db, rocksdb::ReadOptions(), stream, &head); !s.ok()) {
    return s;
  }
  if (head.version.value() == 0) {
    return Status::NotFound("stream '" + std::string(stream) + "' not found");
  }
  ReadBounds bounds;
  if (rep_->db->has_metadata.load()) {
    StreamMetadata metadata;
    if (Status s = LoadMetadata(*rep_->db, stream, &metadata); !s.ok()) return s;
    bounds = BoundsFor(metadata, head.version, WallMicros());
    // A max count moves as the stream grows: let compaction follow.
    rep_->db->truncations->Raise(stream, bounds.min_version);
    if (bounds.gone) {
      return Status::NotFound("stream '" + std::string(stream) + "' was deleted");
    }
  }
  return NewStreamIterator(*rep_->db, head.id, options, bounds);
}

Result<std::unique_ptr<EventIterator>> Store::ReadAll(const ReadAllOptions& options) {
  if (!options.category.empty() && !options.event_type.empty()) {
    return Status::InvalidArgument("read by category and by event type at once is not supported");
  }
  return NewLogIterator(*rep_->db, options);
}

Result<Version> Store::StreamVersion(std::string_view stream) {
  if (Status s = ValidateStreamName(stream, rep_->options.max_stream_name_bytes,
                                    /*allow_reserved=*/true);
      !s.ok()) {
    return s;
  }
  StreamHead head;
  if (Status s = LoadStreamHead(*rep_->db, rocksdb::ReadOptions(), stream, &head); !s.ok()) {
    return s;
  }
  return head.version;
}

Result<std::vector<StreamInfo>> Store::ListStreams(const ListStreamsOptions& options) {
  return evlog::ListStreams(*rep_->db, options);
}

Result<std::unique_ptr<ChangeFeed>> Store::OpenFeed(const ChangeFeedOptions& options) {
  return evlog::OpenFeed(rep_->db.get(), rep_->options, options);
}

Result<std::unique_ptr<Subscription>> Store::Subscribe(SubscriptionOptions options,
                                                       BatchHandler handler) {
  return OpenSubscription(rep_->db.get(), rep_->writer.get(), rep_->options, std::move(options),
                          std::move(handler));
}

Result<Position> Store::GetCheckpoint(std::string_view name) {
  if (Status s = checkpoint::ValidateName("subscription", name); !s.ok()) return s;
  uint64_t position = 0;
  if (Status s = checkpoint::Get(*rep_->db, checkpoint::ProgressKey(name, 1, 0), 0, &position);
      !s.ok()) {
    return s;
  }
  return Position(position);
}

Status Store::SetCheckpoint(std::string_view name, Position position) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  if (Status s = checkpoint::ValidateName("subscription", name); !s.ok()) return s;
  const uint64_t last = rep_->db->commits->committed();
  if (position.value() > last) {
    return Status::InvalidArgument("checkpoint " + std::to_string(position.value()) +
                                   " is past the last committed position " +
                                   std::to_string(last));
  }
  return checkpoint::Put(*rep_->db, checkpoint::ProgressKey(name, 1, 0), position.value());
}

Result<std::vector<SubscriptionInfo>> Store::ListSubscriptions() {
  const Db& db = *rep_->db;
  const uint64_t last = db.commits->committed();
  std::vector<SubscriptionInfo> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kCheckpoints)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = it->key().ToStringView();
    if (key.find('\0') != std::string_view::npos) continue;  // replay marks
    if (it->value().size() != 8) return Status::Corruption("malformed checkpoint");
    SubscriptionInfo info{.name = std::string(key),
                          .checkpoint = Position(keys::GetU64BE(it->value().data()))};
    info.lag = last > info.checkpoint.value() ? last - info.checkpoint.value() : 0;
    std::string_view base = key.substr(0, key.find('/'));
    uint64_t replayed = 0;
    if (Status s = checkpoint::Get(db, checkpoint::ReplayedKey(base), 0, &replayed); !s.ok()) {
      return s;
    }
    StreamHead parked;
    if (Status s =
            LoadStreamHead(db, rocksdb::ReadOptions(), checkpoint::ParkedStream(base), &parked);
        !s.ok()) {
      return s;
    }
    info.parked = parked.version.value() > replayed ? parked.version.value() - replayed : 0;
    out.push_back(std::move(info));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

Result<std::vector<ParkedEvent>> Store::ListParked(std::string_view name) {
  const Db& db = *rep_->db;
  uint64_t replayed = 0;
  if (Status s = checkpoint::Get(db, checkpoint::ReplayedKey(name), 0, &replayed); !s.ok()) {
    return s;
  }
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), checkpoint::ParkedStream(name), &head);
      !s.ok()) {
    return s;
  }
  std::vector<ParkedEvent> out;
  if (head.id == 0) return out;
  auto it = NewStreamIterator(db, head.id, ReadStreamOptions{});
  codec::AlignedBuffer scratch;
  for (; it->Valid(); it->Next()) {
    const RecordedEvent& parked = it->event();
    RecordedEvent original;
    if (Status s = codec::DecodeEvent(parked.data, &scratch, &original); !s.ok()) return s;
    out.push_back(ParkedEvent{.event = OwnedEvent::From(original),
                              .error = ParkedError(parked.metadata),
                              .parked_version = parked.version,
                              .replayed = parked.version.value() <= replayed});
  }
  if (!it->status().ok()) return it->status();
  return out;
}

Result<uint64_t> Store::ReplayParked(std::string_view name) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  StreamHead parked;
  if (Status s = LoadStreamHead(*rep_->db, rocksdb::ReadOptions(), checkpoint::ParkedStream(name),
                                &parked);
      !s.ok()) {
    return s;
  }
  if (parked.version.value() == 0) {
    return Status::NotFound("subscription '" + std::string(name) + "' has no parked events");
  }
  uint64_t replayed = 0;
  if (Status s = checkpoint::Get(*rep_->db, checkpoint::ReplayedKey(name), 0, &replayed); !s.ok()) {
    return s;
  }
  if (Status s = checkpoint::Put(*rep_->db, checkpoint::ReplayToKey(name), parked.version.value());
      !s.ok()) {
    return s;
  }
  rep_->db->commits->Poke();
  return parked.version.value() - std::min(replayed, parked.version.value());
}

Result<std::unique_ptr<View>> Store::OpenView(ViewOptions options, ViewHandler handler) {
  return evlog::OpenView(rep_->db.get(), rep_->options, std::move(options), std::move(handler));
}

Result<std::optional<std::string>> Store::ViewGet(std::string_view view, std::string_view key) {
  auto state = LoadViewState(*rep_->db, view);
  if (!state.ok()) return state.status();
  if (!state->exists) return Status::NotFound("no view '" + std::string(view) + "'");
  return evlog::ViewGet(*rep_->db, view, state->generation, key);
}

Result<std::vector<std::pair<std::string, std::string>>> Store::ViewScan(
    std::string_view view, std::string_view prefix, size_t max_count, std::string_view start_after) {
  auto state = LoadViewState(*rep_->db, view);
  if (!state.ok()) return state.status();
  if (!state->exists) return Status::NotFound("no view '" + std::string(view) + "'");
  return evlog::ViewScan(*rep_->db, view, state->generation, prefix, max_count, start_after);
}

Status Store::SaveSnapshot(std::string_view stream, Version version, std::string_view state) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  return evlog::SaveSnapshot(*rep_->db, stream, version, state);
}

Result<std::optional<Snapshot>> Store::LoadSnapshot(std::string_view stream) {
  return evlog::LoadSnapshot(*rep_->db, stream);
}

Result<std::unique_ptr<Snapshotter>> Store::StartSnapshots(SnapshotPolicy policy) {
  return evlog::StartSnapshots(rep_->db.get(), rep_->writer.get(), rep_->options,
                               std::move(policy));
}

Status Store::RequestViewRebuild(std::string_view view) {
  auto state = LoadViewState(*rep_->db, view);
  if (!state.ok()) return state.status();
  if (!state->exists) return Status::NotFound("no view '" + std::string(view) + "'");
  std::string path = RebuildRequestPath(*rep_->db, view);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream request(path);
  if (!request || !(request << "rebuild\n") || !request.flush()) {
    return Status::IOError("cannot write the rebuild request '" + path + "'");
  }
  return Status::OK();
}

Status Store::CancelViewRebuild(std::string_view view) {
  std::error_code ec;
  std::filesystem::remove(RebuildRequestPath(*rep_->db, view), ec);
  return Status::OK();
}

Result<Store::ViewProgress> Store::GetViewProgress(std::string_view view) {
  auto state = LoadViewState(*rep_->db, view);
  if (!state.ok()) return state.status();
  if (!state->exists) return Status::NotFound("no view '" + std::string(view) + "'");
  auto rebuild = LoadRebuildState(*rep_->db, view);
  if (!rebuild.ok()) return rebuild.status();
  return ViewProgress{.generation = state->generation,
                      .position = state->position,
                      .rebuild_position = rebuild->position,
                      .rebuild_target = rebuild->target};
}

Status Store::SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  if (Status s = ValidateStreamName(stream, rep_->options.max_stream_name_bytes); !s.ok()) return s;
  if (metadata.hard_deleted) {
    return Status::InvalidArgument("a hard delete is DeleteStream(stream, /*hard=*/true)");
  }
  return WriteMetadata(stream, metadata, /*tombstone=*/false);
}

Status Store::WriteMetadata(std::string_view stream, const StreamMetadata& metadata,
                            bool tombstone) {
  AppendRequest request;
  request.streams.push_back(
      StreamAppend{.stream = MetaStream(stream),
                   .events = {EventData{.type = std::string(kMetadataEventType),
                                        .data = EncodeMetadata(metadata),
                                        .content_type = ContentType::kJson}}});
  auto r = AppendAndWait(*rep_->writer, rep_->options, std::move(request), /*system=*/true,
                         tombstone ? std::string(stream) : std::string());
  if (!r.ok()) return r.status();
  StreamHead head;
  if (Status s = LoadStreamHead(*rep_->db, rocksdb::ReadOptions(), stream, &head); !s.ok()) {
    return s;
  }
  if (head.id != 0) rep_->db->truncations->Set(stream, RuleFor(metadata, head.version));
  return Status::OK();
}

Status Store::Compact() {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (size_t f = 0; f < Db::kCount; ++f) {
    auto family = static_cast<Db::Family>(f);
    if (Status s =
            FromRocks(rep_->db->db->CompactRange(options, rep_->db->cf(family), nullptr, nullptr));
        !s.ok()) {
      return s;
    }
  }
  return Status::OK();
}

Result<StreamMetadata> Store::GetStreamMetadata(std::string_view stream) {
  StreamMetadata metadata;
  if (Status s = LoadMetadata(*rep_->db, stream, &metadata); !s.ok()) return s;
  return metadata;
}

Status Store::DeleteStream(std::string_view stream, bool hard) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  if (Status s = ValidateStreamName(stream, rep_->options.max_stream_name_bytes); !s.ok()) return s;
  StreamMetadata metadata;
  if (Status s = LoadMetadata(*rep_->db, stream, &metadata); !s.ok()) return s;
  StreamHead head;
  if (Status s = LoadStreamHead(*rep_->db, rocksdb::ReadOptions(), stream, &head); !s.ok()) {
    return s;
  }
  if (hard) {
    metadata.hard_deleted = true;
  } else {
    if (head.version.value() == 0) {
      return Status::NotFound("stream '" + std::string(stream) + "' not found");
    }
    metadata.deleted = true;
    metadata.truncate_before = Version(head.version.value() + 1);
  }
  if (Status s = WriteMetadata(stream, metadata, /*tombstone=*/hard); !s.ok()) return s;
  if (head.version.value() == 0) return Status::OK();
  return RaiseTrimHorizon(*rep_->db, head.id, head.version);
}

Result<Version> Store::TrimStream(std::string_view stream, const TrimOptions& options) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  const Db& db = *rep_->db;
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  if (head.version.value() == 0) {
    return Status::NotFound("stream '" + std::string(stream) + "' not found");
  }
  StreamMetadata metadata;
  if (Status s = LoadMetadata(db, stream, &metadata); !s.ok()) return s;
  const Version current = metadata.truncate_before.value_or(Version(1));
  Version target = options.before.value_or(Version(head.version.value() + 1));
  if (options.require_snapshot) {
    auto snapshot = evlog::LoadSnapshot(db, stream);
    if (!snapshot.ok()) return snapshot.status();
    Version covered =
        snapshot->has_value() ? Version((*snapshot)->version.value() + 1) : Version(1);
    target = std::min(target, covered);
  }
  // Never past what a durable consumer still has to process, nor younger
  // than the retention window.
  auto oldest = OldestCheckpoint(db);
  if (!oldest.ok()) return oldest.status();
  const int64_t keep_after_us =
      options.retention_seconds == 0
          ? std::numeric_limits<int64_t>::max()
          : WallMicros() - static_cast<int64_t>(options.retention_seconds) * 1'000'000;
  auto it = NewStreamIterator(db, head.id, {.from = current});
  for (; it->Valid() && it->event().version < target; it->Next()) {
    if (it->event().position > *oldest || it->event().timestamp_us >= keep_after_us) {
      target = it->event().version;
      break;
    }
  }
  if (!it->status().ok()) return it->status();
  if (target <= current) return current;
  metadata.truncate_before = target;
  if (Status s = WriteMetadata(stream, metadata, /*tombstone=*/false); !s.ok()) return s;
  if (Status s = RaiseTrimHorizon(*rep_->db, head.id, Version(target.value() - 1)); !s.ok()) {
    return s;
  }
  return target;
}

Position Store::LastPosition() const { return Position(rep_->db->commits->committed()); }

Result<StoreStats> Store::Stats() {
  StoreStats stats;
  stats.last_position = LastPosition();
  stats.appended = stats.last_position.value();
  if (rep_->writer) {
    stats.streams = rep_->writer->stream_count();
  } else {
    uint64_t next_stream_id = 1;
    if (Status s = rep_->db->ReadCounter(keys::kNextStreamId, 1, &next_stream_id); !s.ok()) {
      return s;
    }
    stats.streams = next_stream_id - 1;
  }
  stats.disk_bytes = DirectoryBytes(rep_->path);
  return stats;
}

Result<MetricsSnapshot> Store::Metrics() {
  static const WriteMetrics kReadOnly;  // no writer: zeros, same buckets
  MetricsSnapshot m;
  (rep_->writer ? rep_->writer->metrics() : kReadOnly).Fill(&m);
  auto subscriptions = ListSubscriptions();
  if (!subscriptions.ok()) return subscriptions.status();
  m.subscriptions = std::move(*subscriptions);
  m.rocksdb = ReadRocksDbMetrics(*rep_->db, rep_->db->rocksdb_events.get());
  return m;
}

Result<VerifyReport> Store::Verify() { return VerifyStore(*rep_->db); }

Result<BackupInfo> Store::Backup(std::string_view dest) { return WriteBackup(*rep_->db, dest); }

Result<BackupInfo> Store::Restore(std::string_view backup, std::string_view path,
                                  const RestoreOptions& options) {
  return RestoreBackup(backup, path, options);
}

Status Store::CatchUp() { return rep_->db->CatchUp(); }

Status Store::Sync() {
  if (!rep_->writer) return Status::OK();
  return rep_->writer->Sync();
}

const std::string& Store::path() const { return rep_->path; }

}  // namespace evlog
