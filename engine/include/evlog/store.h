// Store: an evlog event store in one local directory.
//
// Caveats, read these first:
//  - One process writes a store at a time. A second writer gets Busy at once.
//    Any number of processes may open it with Options::read_only beside the
//    writer; they see new events after CatchUp().
//  - Appends are serialized by a single writer thread that commits queued
//    appends together (group commit): positions are gapless and in commit
//    order, and N concurrent durable appends cost one WAL sync.
//  - An append is all or nothing, over all its events and streams.
//  - Acknowledged means durable per the append's Durability: kSync survives a
//    power loss, kBuffered survives a process crash.
//  - All methods are thread-safe. Iterators are used by one thread at a time
//    and must be destroyed before the Store.

#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evlog/change_feed.h"
#include "evlog/event_store.h"
#include "evlog/event_iterator.h"
#include "evlog/metrics.h"
#include "evlog/options.h"
#include "evlog/snapshot.h"
#include "evlog/status.h"
#include "evlog/subscription.h"
#include "evlog/types.h"
#include "evlog/view.h"

namespace evlog {

struct RestoreOptions {
  // Replace the store directory if it is not empty. Even then it must hold
  // an evlog store that no process has open.
  // Default: false
  bool overwrite = false;
};

struct MigrateOptions {
  // Keep the old store, renamed to "<path>.format1", instead of removing it
  // once the new one is in place.
  // Default: false
  bool keep_old = false;
};

// What Store::Migrate did.
struct MigrateInfo {
  // False if the store was in format 2 already (nothing was done).
  bool migrated = false;
  // Events converted, and the store's last position.
  uint64_t events = 0;
  Position last_position;
  // Where the old store was kept (keep_old), else empty.
  std::string old_store;
};

// The embedded EventStore (event_store.h): the calls it shares with a
// remote Client are documented there; those below are the Store's own, or
// say what the embedded form adds.
class Store final : public EventStore {
 public:
  // The format version this build reads and writes. Open refuses a store
  // with a newer one, and one with an older one (format 1: convert it with
  // Store::Migrate, `evlog migrate`).
  static constexpr uint32_t kFormatVersion = 2;

  // Opens the store in directory `path`, creating it if it does not exist and
  // options.create_if_missing is set.
  //
  // Errors: NotFound if there is no store at `path` and create_if_missing is
  // off (or the store is opened read-only); InvalidArgument for bad options,
  // a regular file, a non-empty directory that is not a store, or another
  // program's RocksDB database (one without evlog's format version, which is
  // left untouched); Corruption if the store's CURRENT file is missing; Busy
  // if another process (or this one) has it open for writing;
  // NotSupported if it was written by a newer format version, or by format
  // 1 (the message names `evlog migrate --db <path>`; nothing in the store
  // is changed); Corruption or
  // IOError from the storage.
  static Result<std::unique_ptr<Store>> Open(const Options& options, std::string_view path);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Completes every queued append, syncs the log and closes the store.
  ~Store();

  // Appends and waits until the append is acknowledged (see Durability).
  //
  // Errors (nothing is written for any of them):
  //  - InvalidArgument: a limit of Options exceeded, an empty or reserved
  //    ('$'-prefixed) or malformed name, no events, a stream listed twice.
  //  - WrongExpectedVersion: a stream is not at its expected version;
  //    stream() and actual_version() say which and where it is.
  //  - ConditionFailed: the append condition matched a later event.
  //  - IdempotencyConflict: some but not all event ids were already
  //    committed, or an id appears twice in the request.
  //  - ReadOnly: the store was opened read-only.
  //  - IOError: the write failed (nothing of the append is written). On a
  //    full disk (ENOSPC) each later append retries and succeeds once space
  //    is freed, without a reopen; after any other I/O error appends fail
  //    until the store is reopened.
  //  - Aborted: the store is closing.
  // If every event id was already committed (within the dedup window, to the
  // same streams), returns the original result with deduplicated set.
  Result<AppendResult> Append(AppendRequest request) override;
  using EventStore::Append;

  // Queues an append and returns at once; `done` is called exactly once with
  // the result. Requests from one thread are committed in the order queued.
  // `done` runs on the store's writer thread (or, for a request rejected by
  // validation, on the calling thread before AppendAsync returns): keep it
  // short and never call Append (sync) from it.
  void AppendAsync(AppendRequest request, AppendCallback done) override;

  // Reads: see EventStore. Iterators must be destroyed before the Store.
  Result<std::unique_ptr<EventIterator>> ReadStream(std::string_view stream,
                                                    const ReadStreamOptions& options = {}) override;
  Result<std::unique_ptr<EventIterator>> ReadAll(const ReadAllOptions& options = {}) override;

  // See EventStore. Each query item is read from its indexes (tag and type
  // postings, intersected), never by a scan of the log unless an item
  // matches every event.
  Result<QueryResult> Read(const Query& query, const QueryOptions& options = {}) override;
  Result<Position> ReadEach(const Query& query, const QueryOptions& options,
                            const QueryVisitor& visit) override;

  // The current version of `stream`: Version(0) if it has no events.
  Result<Version> StreamVersion(std::string_view stream) override;

  // Streams sorted by name with their current versions, as of one
  // consistent snapshot of the store; streams without events (soft-deleted
  // and compacted away, or only reserved) are left out.
  // Errors: Corruption if a stream's row does not decode; IOError from the
  // storage. A category or start_after that matches nothing gives an empty
  // list, not an error.
  Result<std::vector<StreamInfo>> ListStreams(const ListStreamsOptions& options = {}) override;

  // EventStore::Follow, embedded: a thread of its own reads a ChangeFeed and
  // hands each batch to `on_events`. Errors as OpenFeed.
  Result<std::unique_ptr<FeedFollower>> Follow(FollowOptions options,
                                               FollowCallback on_events) override;

  // A change feed over the global log (see change_feed.h). On a read-only
  // store the feed follows the writer process, polling for its commits every
  // few milliseconds.
  // Errors: InvalidArgument for max_batch_events 0 or a category or event
  // type filter longer than a stream name or event type can be; Trimmed if
  // options.start is At(p) or After(p) with p below the store's trim
  // horizon (the newest event a trim or delete removed: the feed would miss
  // events), never for Oldest or Latest.
  Result<std::unique_ptr<ChangeFeed>> OpenFeed(const ChangeFeedOptions& options = {});

  // Starts a durable subscription (see subscription.h). It resumes after its
  // stored checkpoint, or at options.feed.start the first time.
  // Errors: ReadOnly on a read-only store; InvalidArgument for a bad name
  // (1..200 bytes, no NUL or '/'), a missing handler or bad group settings.
  Result<std::unique_ptr<Subscription>> Subscribe(SubscriptionOptions options,
                                                  BatchHandler handler);

  // Every subscription that has stored a checkpoint, by name.
  Result<std::vector<SubscriptionInfo>> ListSubscriptions() override;

  // The checkpoint the store keeps for durable consumer `name` that reads
  // the feed itself (a process reading through evlogd, a connector) rather
  // than through Subscribe: everything up to it is handled. Position() if
  // it has none. Such a consumer counts as a durable subscription of that
  // name: ListSubscriptions shows its lag, trims never pass its checkpoint.
  // Errors: InvalidArgument for a bad name (as SubscriptionOptions::name).
  Result<Position> GetCheckpoint(std::string_view name) override;
  // Stores `position` as consumer `name`'s checkpoint, replacing it (it may
  // move back, to handle events again). Not synced: after a power loss the
  // consumer may resume a little earlier, which at-least-once allows.
  // REQUIRES: no Subscription of that name runs.
  // Errors: InvalidArgument for a bad name or a position past the last
  // committed one; ReadOnly on a read-only store.
  Status SetCheckpoint(std::string_view name, Position position) override;

  // The events subscription `name` parked, oldest first. Empty if none.
  Result<std::vector<ParkedEvent>> ListParked(std::string_view name) override;

  // Asks subscription `name` to deliver its parked events again. The
  // subscription replays them the next time it runs (at once if it is
  // running); events that fail again are parked again. Returns how many
  // events are queued for replay. NotFound if it has never parked any.
  Result<uint64_t> ReplayParked(std::string_view name) override;

  // Hosted subscriptions (hosted_subscription.h): every consumer of one
  // name in this process shares its broker. Destroy every consumer before
  // the Store.
  Result<bool> CreateSubscription(const HostedSubscriptionSpec& spec) override;
  Status DeleteSubscription(std::string_view name) override;
  Result<std::unique_ptr<SubscriptionConsumer>> Consume(std::string_view name) override;

  // Starts (or resumes) the view `options.name` (see view.h).
  // Errors: ReadOnly on a read-only store; InvalidArgument for a bad name or
  // a missing handler.
  Result<std::unique_ptr<View>> OpenView(ViewOptions options, ViewHandler handler);

  // Queries a view by name without running it (e.g. from another process,
  // read-only): its current version as of its last applied batch. NotFound
  // if no view of that name has applied anything.
  Result<std::optional<std::string>> ViewGet(std::string_view view, std::string_view key) override;
  // The rows whose keys start with `prefix`, in key order, at most
  // `max_count`; with `start_after`, only keys after it (to page through a
  // large view: pass the last key of the previous page).
  Result<std::vector<std::pair<std::string, std::string>>> ViewScan(
      std::string_view view, std::string_view prefix, size_t max_count = SIZE_MAX,
      std::string_view start_after = {}) override;

  // Saves `state` as the state of `stream` at `version` (see snapshot.h).
  // Errors: NotFound if the stream has no events; InvalidArgument if
  // `version` is 0 or beyond the stream's last version.
  Status SaveSnapshot(std::string_view stream, Version version, std::string_view state) override;

  // The newest snapshot of `stream`; nullopt if it has none (also when the
  // stream does not exist).
  // Errors: Corruption if the snapshot record or the stream's row does not
  // decode; IOError from the storage.
  Result<std::optional<Snapshot>> LoadSnapshot(std::string_view stream) override;

  // Runs a snapshot policy as a durable subscriber. Errors: ReadOnly,
  // InvalidArgument for a missing fold or name.
  Result<std::unique_ptr<Snapshotter>> StartSnapshots(SnapshotPolicy policy);

  // Sets the metadata of `stream` (see StreamMetadata); reads honour it at
  // once. The change is an event in "$meta-<stream>". truncate_before only
  // moves forward, max_count is at least 1, and a rule that would hide
  // events a durable subscription or view has not processed is refused
  // unless options.force (see EventStore::SetStreamMetadata).
  Status SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata,
                           const MetadataOptions& options = {}) override;

  // The current metadata of `stream` (defaults if it has none).
  Result<StreamMetadata> GetStreamMetadata(std::string_view stream) override;

  // Soft delete: the stream reads as not found until new events arrive, whose
  // versions continue. Hard delete: not found, and any later append fails
  // with StreamDeleted. NotFound if the stream has no events (soft) .
  Status DeleteStream(std::string_view stream, bool hard = false) override;

  // Removes old events of `stream`: those before options.before, covered by
  // its newest snapshot (unless require_snapshot is off), older than the
  // retention window, and already processed by every durable subscription
  // and view. Reads honour the trim at once; the bytes are reclaimed later.
  // Returns the stream's new first readable version. NotFound if the stream
  // has no events.
  Result<Version> TrimStream(std::string_view stream, const TrimOptions& options = {}) override;

  // TrimStream, with how many versions it removed and what stopped it.
  Result<TrimResult> Trim(std::string_view stream, const TrimOptions& options = {}) override;

  // Compacts every column family now, reclaiming the bytes of trimmed,
  // deleted and expired data (RocksDB otherwise does it in the background
  // as files are rewritten). Blocks until done.
  Status Compact() override;

  // Asks the process that runs view `view` to rebuild it (View::Rebuild).
  // Works from another process and on a read-only store: the request is a
  // file in the store directory, which a running view picks up within a
  // second. Follow it with GetViewProgress. NotFound if no such view.
  Status RequestViewRebuild(std::string_view view) override;

  // Withdraws a request nobody picked up. Always OK (a request that is
  // gone is withdrawn).
  Status CancelViewRebuild(std::string_view view) override;

  // The progress of view `view`, from its stored state: works from another
  // process and on a read-only store.
  // Errors: NotFound if no view of that name has applied anything;
  // Corruption if its stored state is malformed; IOError from the storage.
  Result<ViewProgress> GetViewProgress(std::string_view view) override;

  // Every view's progress, from the stored states: works from another
  // process and on a read-only store. Errors as GetViewProgress.
  Result<std::vector<ViewInfo>> ListViews() override;

  // EventStore::ViewWait, embedded: the view runs in this or another
  // process; this follows the progress it stores (CatchUp and a look every
  // 20 ms). Errors as EventStore::ViewWait, and those of CatchUp.
  Result<ViewProgress> ViewWait(std::string_view view, Position position,
                                std::chrono::milliseconds timeout) override;

  // The position of the last committed event, 0 when empty. For a read-only
  // store, as of Open or the last CatchUp().
  Position LastPosition() const;

  // Counts of the store, cheap (no scan of the log; disk_bytes lists the
  // store directory). A writable store always succeeds. Errors (read-only
  // store, which reads the stream counter): Corruption if the counter is
  // malformed; IOError from the storage.
  Result<StoreStats> Stats() override;

  // What this process's store has done since Open (see metrics.h): append,
  // sync and latency counters (zero on a read-only store), subscription
  // lag and parked events, RocksDB stalls and compactions. Cheap enough to
  // scrape every few seconds: on disk it reads only what ListSubscriptions
  // reads. Errors: those of ListSubscriptions (Corruption, IOError).
  Result<MetricsSnapshot> Metrics() override;

  // The flushes and compactions RocksDB has completed since Open (Metrics'
  // rocksdb.flushes + rocksdb.compactions), read from two counters and
  // nothing else. Each may have freed much memory (a flushed memtable, a
  // compaction's buffers): a caller that returns freed memory to the system
  // (evlogd) watches it move. Thread-safe.
  uint64_t BackgroundJobsCompleted() const;

  // Walks every record and index entry and checks that they agree: the
  // block checksums of every table file; every record decodes and verifies
  // and carries the position (log) or stream and version (stream table) of
  // its key; positions 1..last are all present except those of trimmed,
  // deleted or expired events; versions of each stream are contiguous
  // and its head matches the log; both copies of every event are equal;
  // every category, type and dedup entry points at an event of that
  // category, type or id (or at a reclaimed position); every event has its
  // index entries, and its tag entries are exactly its distinct tags; the
  // counters cover everything; every event's JSON data (and metadata that
  // looks like JSON) is valid within Options::max_json_depth, as readers
  // require (an event stored beyond it reads as Corruption). Stream metadata is
  // honoured as readers honour it: a freshly trimmed store verifies clean.
  //
  // Reads the whole store: minutes for hundreds of millions of events. Run
  // it on a quiet store; appends committed during the walk may be reported.
  // Returns the report (a corrupt store is a report with problems, not an
  // error); IOError if the storage could not be read.
  Result<VerifyReport> Verify() override;

  // Writes a consistent backup of the store to the directory `dest`, which
  // must not exist or be empty, and returns the position it ends at.
  //
  // Online: appends on other threads go on while it runs (it flushes the
  // memtables first; appends are not paused for that). The backup is a RocksDB checkpoint: all column
  // families at one sequence number, so it ends exactly after a group commit
  // and holds every event up to `position` with no gap and nothing after it;
  // every append acknowledged before Backup was called is in it. Table files
  // are hard links when `dest` is on the store's file system (they are never
  // modified), copies otherwise. Pending view rebuild requests are included;
  // a manifest (EVLOG-BACKUP, docs/format.md) lists every file and its size.
  //
  // Atomic: the backup is written into a hidden directory beside `dest`
  // (".<name>.backup-XXXXXX") and renamed to `dest` only when complete; a
  // crash leaves that hidden directory, never a partial `dest`.
  //
  // A backup directory is a store that opens read-only (Options::read_only)
  // as it is; opening it for writing changes it, after which Restore refuses
  // it. Restore it with Store::Restore (evlog restore).
  //
  // Errors: InvalidArgument if `dest` is empty, is not empty, is not a
  // directory, is a symbolic link, or lies inside the store directory;
  // NotFound if its parent directory does not exist; ReadOnly on a
  // read-only store; IOError from the file system. Nothing is left at
  // `dest` on any error.
  Result<BackupInfo> Backup(std::string_view dest) override;

  // Restores the backup in directory `backup` (written by Backup) into the
  // store directory `path`, which must not exist or be empty unless
  // options.overwrite is set. The backup is left unchanged.
  //
  // Trusts nothing in the backup: copies only the files its manifest lists,
  // each checked for its size, and refuses names that could lead outside
  // the backup or the store directory ('..', absolute names, symbolic links
  // on the way). The copy is made in a hidden directory beside `path`
  // (".<name>.restore-XXXXXX"), opened read-only to check that it is a store
  // at the manifest's position, and only then renamed to `path`. With
  // overwrite, the copy and the old store are exchanged in one atomic step
  // (renameat2 RENAME_EXCHANGE), so a crash leaves `path` holding the old
  // store or the restored one, and the old store is removed with the hidden
  // directory. On a file system that cannot exchange, the old store is
  // moved into the hidden directory first: a crash between those two
  // renames leaves it there and `path` missing.
  //
  // Errors: NotFound if `backup` is not a directory or the parent of `path`
  // does not exist; InvalidArgument if `backup` has no manifest, a listed
  // name escapes, `path` and `backup` overlap, or `path` is not empty
  // (without overwrite) or not a store (with it); Busy if the store at
  // `path` is open in a process; Corruption if a listed file is missing or
  // of another size, or the copy does not open at the manifest's position;
  // NotSupported for a newer backup format; IOError from the file system.
  // On every error `path` is as it was.
  static Result<BackupInfo> Restore(std::string_view backup, std::string_view path,
                                    const RestoreOptions& options = {});

  // Converts the format-1 store in directory `path` into format 2, offline:
  // no process may have it open (docs/cli.md, `evlog migrate`). The new
  // store is built beside it (".<name>.migrate-XXXXXX"), verified against
  // the old one, synced, and swapped in with one atomic rename; a process
  // killed at any point leaves the old store or the new one at `path`, and
  // the next Migrate or Open completes or undoes what it left. A store in
  // format 2 already is left alone (migrated false). Needs about the
  // store's size in free space.
  //
  // Errors: NotFound if there is no store at `path`; Busy if a process has
  // it open, or opened it during the migration; Corruption if a record of
  // the old store is damaged or the new store fails verification (the old
  // store is then unchanged: run `evlog verify`); InvalidArgument if
  // keep_old is set and "<path>.format1" exists; NotSupported for another
  // format version; IOError from the file system. On every error the old
  // store is as it was.
  static Result<MigrateInfo> Migrate(std::string_view path, const MigrateOptions& options = {});

  // Read-only stores: makes events appended by the writer process since Open
  // or the previous CatchUp visible. A no-op on a writable store.
  // LastPosition() (and a feed) advances only to a position up to which every
  // event is readable here: when the writer process changed its files while
  // this ran (a writer closing or opening the store), the new events may
  // become visible only at a later call — never with a gap below them.
  Status CatchUp() override;

  // Syncs the write-ahead log, making every acknowledged buffered append
  // durable against power loss.
  Status Sync();

  // The directory this store lives in.
  const std::string& path() const;

 private:
  struct Rep;
  explicit Store(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace evlog
