// The Store façade: wires Db, Writer and the readers together. No logic of
// its own beyond argument plumbing: each call forwards to the file of its
// concept (reader, checkpoint, parked, trim, stream_metadata, view,
// snapshot, backup, verify).

#include "evlog/store.h"

#include "backup.h"
#include "migrate.h"
#include "change_feed.h"
#include "checkpoint.h"
#include "db.h"
#include "hosted_spec.h"
#include "hosted_subscription.h"
#include "keys.h"
#include "parked.h"
#include "query.h"
#include "reader.h"
#include "request.h"
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
  std::unique_ptr<hosted::Brokers> brokers;
};

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
    if (options.live_tail_bytes > 0) {
      rep->db->tail = std::make_shared<LiveTail>(options.live_tail_bytes);
    }
    auto mark = SyncedMark::Open(rep->db->db->GetEnv()->GetFileSystem(), rep->path, last_position);
    if (!mark.ok()) return mark.status();
    rep->writer = std::make_unique<Writer>(rep->db.get(), rep->options, next_stream_id,
                                           std::move(mark).value());
  }
  rep->brokers = std::make_unique<hosted::Brokers>(rep->db.get(), rep->writer.get(), &rep->options);
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
  return evlog::ReadStream(*rep_->db, rep_->options, stream, options);
}

Result<std::unique_ptr<EventIterator>> Store::ReadAll(const ReadAllOptions& options) {
  if (!options.category.empty() && !options.event_type.empty()) {
    return Status::InvalidArgument("read by category and by event type at once is not supported");
  }
  return NewLogIterator(*rep_->db, options);
}

Result<QueryResult> Store::Read(const Query& query, const QueryOptions& options) {
  if (Status s = ValidateQuery(rep_->options, query); !s.ok()) return s;
  return ReadQuery(*rep_->db, query, options);
}

Result<Position> Store::ReadEach(const Query& query, const QueryOptions& options,
                                 const QueryVisitor& visit) {
  if (Status s = ValidateQuery(rep_->options, query); !s.ok()) return s;
  return VisitQuery(*rep_->db, query, options, visit);
}

Result<Version> Store::StreamVersion(std::string_view stream) {
  return evlog::StreamVersion(*rep_->db, rep_->options, stream);
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
  return checkpoint::GetConsumer(*rep_->db, name);
}

Status Store::SetCheckpoint(std::string_view name, Position position) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  return checkpoint::SetConsumer(*rep_->db, name, position);
}

Result<std::vector<SubscriptionInfo>> Store::ListSubscriptions() {
  auto list = checkpoint::List(*rep_->db);
  if (!list.ok()) return list;
  // A hosted subscription's lag counts only what its filter matches.
  for (SubscriptionInfo& info : *list) {
    if (info.name.find('/') != std::string::npos) continue;  // a group member
    auto spec = hosted::Load(*rep_->db, info.name);
    if (!spec.ok()) return spec.status();
    if (!spec->has_value()) continue;
    auto lag = hosted::Lag(rep_->db.get(), rep_->options, **spec, info.checkpoint);
    if (!lag.ok()) return lag.status();
    info.lag = *lag;
  }
  return list;
}

Result<bool> Store::CreateSubscription(const HostedSubscriptionSpec& spec) {
  return rep_->brokers->Create(spec);
}

Status Store::DeleteSubscription(std::string_view name) { return rep_->brokers->Delete(name); }

Result<std::unique_ptr<SubscriptionConsumer>> Store::Consume(std::string_view name) {
  return rep_->brokers->Consume(name);
}

Result<std::vector<ParkedEvent>> Store::ListParked(std::string_view name) {
  return parked::List(*rep_->db, name);
}

Result<uint64_t> Store::ReplayParked(std::string_view name) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  return parked::RequestReplay(*rep_->db, name);
}

Result<std::unique_ptr<View>> Store::OpenView(ViewOptions options, ViewHandler handler) {
  return evlog::OpenView(rep_->db.get(), rep_->options, std::move(options), std::move(handler));
}

Result<std::optional<std::string>> Store::ViewGet(std::string_view view, std::string_view key) {
  auto state = LoadExistingView(*rep_->db, view);
  if (!state.ok()) return state.status();
  return evlog::ViewGet(*rep_->db, view, state->generation, key);
}

Result<std::vector<std::pair<std::string, std::string>>> Store::ViewScan(
    std::string_view view, std::string_view prefix, size_t max_count, std::string_view start_after) {
  auto state = LoadExistingView(*rep_->db, view);
  if (!state.ok()) return state.status();
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
  return RequestRebuild(*rep_->db, view);
}

Status Store::CancelViewRebuild(std::string_view view) {
  CancelRebuild(*rep_->db, view);
  return Status::OK();
}

Result<Store::ViewProgress> Store::GetViewProgress(std::string_view view) {
  return LoadViewProgress(*rep_->db, view);
}

Result<std::vector<Store::ViewInfo>> Store::ListViews() { return evlog::ListViews(*rep_->db); }

Status Store::SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata,
                                const MetadataOptions& options) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  return evlog::SetStreamMetadata(*rep_->db, *rep_->writer, rep_->options, stream, metadata,
                                  options);
}


Status Store::Compact() {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  return rep_->db->CompactAll();
}

Result<StreamMetadata> Store::GetStreamMetadata(std::string_view stream) {
  StreamMetadata metadata;
  if (Status s = LoadMetadata(*rep_->db, stream, &metadata); !s.ok()) return s;
  return metadata;
}

Status Store::DeleteStream(std::string_view stream, bool hard) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  return evlog::DeleteStream(*rep_->db, *rep_->writer, rep_->options, stream, hard);
}

Result<Version> Store::TrimStream(std::string_view stream, const TrimOptions& options) {
  auto result = Trim(stream, options);
  if (!result.ok()) return result.status();
  return result->first_kept;
}

Result<TrimResult> Store::Trim(std::string_view stream, const TrimOptions& options) {
  if (!rep_->writer) return Status::ReadOnly("the store was opened read-only");
  return evlog::TrimStream(*rep_->db, *rep_->writer, rep_->options, stream, options);
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
  stats.disk_bytes = rep_->db->DiskBytes();
  return stats;
}

Result<MetricsSnapshot> Store::Metrics() {
  static const WriteMetrics kReadOnly;  // no writer: zeros, same buckets
  MetricsSnapshot m;
  (rep_->writer ? rep_->writer->metrics() : kReadOnly).Fill(&m);
  auto subscriptions = ListSubscriptions();
  if (!subscriptions.ok()) return subscriptions.status();
  m.subscriptions = std::move(*subscriptions);
  if (const LiveTail* tail = rep_->db->tail.get(); tail != nullptr) {
    m.tail_bytes = tail->bytes();
    m.tail_events = tail->events();
  }
  m.feed_tail_events = rep_->db->feed_metrics.tail_events.load(std::memory_order_relaxed);
  m.feed_log_events = rep_->db->feed_metrics.log_events.load(std::memory_order_relaxed);
  if (rep_->writer) m.id_window_bytes = rep_->writer->id_window_bytes();
  m.rocksdb = ReadRocksDbMetrics(*rep_->db, rep_->db->rocksdb_events.get());
  return m;
}

uint64_t Store::BackgroundJobsCompleted() const {
  const RocksDbEvents* events = rep_->db->rocksdb_events.get();
  return events == nullptr ? 0 : events->JobsCompleted();
}

Result<VerifyReport> Store::Verify() {
  return VerifyStore(*rep_->db, rep_->options.max_json_depth);
}

Result<BackupInfo> Store::Backup(std::string_view dest) { return WriteBackup(*rep_->db, dest); }

Result<BackupInfo> Store::Restore(std::string_view backup, std::string_view path,
                                  const RestoreOptions& options) {
  return RestoreBackup(backup, path, options);
}

Result<MigrateInfo> Store::Migrate(std::string_view path, const MigrateOptions& options) {
  return MigrateStore(std::string(path), options);
}

Status Store::CatchUp() { return rep_->db->CatchUp(); }

Status Store::Sync() {
  if (!rep_->writer) return Status::OK();
  return rep_->writer->Sync();
}

const std::string& Store::path() const { return rep_->path; }

}  // namespace evlog
