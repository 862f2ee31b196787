// EventStore: what an application can do with an evlog store, wherever the
// store lives. Two implementations:
//  - evlog::Store (store.h): the store in a local directory, in this process;
//  - evlog::Client (<evlog/client.h>, library evlog::client): a session with
//    evlogd, which serves a store over TCP.
// Code written against EventStore switches between them with one line:
//
//   std::unique_ptr<evlog::EventStore> store;
//   if (embedded) store = std::move(evlog::Store::Open(options, dir)).value();
//   else          store = std::move(evlog::Client::Connect({.port = 7411})).value();
//   store->Append("order-1", evlog::ExpectedVersion::NoStream(), {event});
//
// Errors are the same Status codes in both forms (a WrongExpectedVersion
// carries stream() and actual_version() in both). Each call below lists the
// codes of the call itself; through a Client any call may also fail with
// the session's own errors (client.h): IOError when the connection is lost
// and not regained, Aborted when the client is destroyed with the call
// pending, and NotSupported when the daemon is too old to serve the call
// (it answered "unknown request"; the message names the call).
//
// What only one form can do stays on that class: opening, closing,
// restoring and syncing a directory are the Store's; durable in-process
// subscriptions, views and snapshot policies need the application's code in
// the process that holds the store (Store::Subscribe, OpenView,
// StartSnapshots); a Client has connection options and reconnects.
//
// Thread-safety: all methods are thread-safe, in both forms. Iterators (one
// thread at a time) and followers are destroyed before their store/client.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evlog/change_feed.h"
#include "evlog/event_iterator.h"
#include "evlog/hosted_subscription.h"
#include "evlog/metrics.h"
#include "evlog/snapshot.h"
#include "evlog/status.h"
#include "evlog/subscription.h"
#include "evlog/types.h"
#include "evlog/view.h"

namespace evlog {

// One append: events for one or more streams, each with its expected version,
// committed atomically, optionally guarded by a condition.
struct AppendRequest {
  std::vector<StreamAppend> streams;
  std::optional<AppendCondition> condition;
  Durability durability = Durability::kSync;
  // Default: kError (a retry must repeat the original append).
  DuplicatePolicy duplicates = DuplicatePolicy::kError;
};

enum class Direction : uint8_t { kForward, kBackward };

struct ReadStreamOptions {
  // First version to return. Forward: versions >= from (nullopt: 1).
  // Backward: versions <= from (nullopt: the stream's last version).
  std::optional<Version> from;
  // Most events to return. Default: no limit.
  size_t max_count = std::numeric_limits<size_t>::max();
  // Default: forward.
  Direction direction = Direction::kForward;
};

struct ReadAllOptions {
  // First position to return (inclusive). Default: 0, the beginning.
  Position from;
  // Most events to return. Default: no limit.
  size_t max_count = std::numeric_limits<size_t>::max();
  // Only events of streams in this category ("product" for "product-42").
  // Empty: all. At most one of category and event_type may be set.
  std::string category;
  // Only events of this type. Empty: all.
  std::string event_type;
  // Also the events of system streams (names starting with '$': stream
  // metadata "$meta-<stream>", parked events "$parked-<subscription>").
  // false hides them as if filtered out. The CLI, HTTP and the connectors
  // pass false unless asked (--system, ?system=true). Default: true
  bool include_system = true;
};

struct ListStreamsOptions {
  // Only streams of this category. Empty: all.
  std::string category;
  // Streams sorted by name after this one (for paging). Empty: from the start.
  std::string start_after;
  // Most streams to return. Default: no limit.
  size_t max_count = std::numeric_limits<size_t>::max();
  // Also system streams (names starting with '$'); see
  // ReadAllOptions::include_system. Default: true
  bool include_system = true;
};

struct TrimOptions {
  // Remove events before this version. Default: every event the other rules
  // allow.
  std::optional<Version> before;
  // Keep events younger than this. Default: 0, no age rule.
  uint64_t retention_seconds = 0;
  // Only remove events covered by the stream's newest snapshot.
  // Default: true
  bool require_snapshot = true;
};

// What stopped a trim before the version it was asked to reach.
enum class TrimLimit : uint8_t {
  // Nothing: it reached options.before (or the stream's end).
  kNone = 0,
  // Nothing to trim: options.before is at or below the first readable
  // version.
  kNothingToTrim,
  // require_snapshot, and the stream's newest snapshot (if any) covers less.
  kNoSnapshot,
  // A durable subscription or view has not processed the next event
  // (TrimResult::held_by names it).
  kSubscription,
  // The next event is younger than options.retention_seconds.
  kRetention,
};

// What a trim did, and why it stopped where it did.
struct TrimResult {
  // The stream's first readable version after the trim.
  Version first_kept;
  // Versions this trim hid; 0 when it removed nothing (`limit` says why).
  uint64_t removed = 0;
  TrimLimit limit = TrimLimit::kNone;
  // With kSubscription: "subscription 'NAME'" or "view 'NAME'".
  std::string held_by;
};

// A stable snake_case name of `limit` ("nothing_to_trim", "no_snapshot",
// "subscription", "retention"; "none").
std::string_view TrimLimitName(TrimLimit limit);

struct MetadataOptions {
  // Apply a rule even if it hides events a durable subscription or view has
  // not processed yet (they skip them). Default: such a change is refused.
  bool force = false;
};

struct StoreStats {
  // Events ever appended: the last position, since positions are gapless.
  // Trimmed, deleted and expired events are counted; they are not
  // subtracted (a store does not count its live events).
  uint64_t appended = 0;
  // Streams ever created.
  uint64_t streams = 0;
  // Position of the last committed event (0 when empty).
  Position last_position;
  // Bytes of the store directory on disk.
  uint64_t disk_bytes = 0;
};

// What Store::Verify found. See Store::Verify.
struct VerifyReport {
  // Most problems listed in `problems`; problem_count counts them all.
  static constexpr size_t kMaxListedProblems = 100;

  // Events found in the log.
  uint64_t events = 0;
  // Streams (rows of the stream table), system streams included.
  uint64_t streams = 0;
  // The store's last position counter.
  Position last_position;
  // Positions whose events trims, deletes or retention rules removed and
  // compaction reclaimed (index entries pointing at them are skipped by
  // readers).
  uint64_t reclaimed = 0;
  // Index entries checked: category, type and dedup.
  uint64_t index_entries = 0;
  // One line per problem, in the order found; at most kMaxListedProblems.
  std::vector<std::string> problems;
  uint64_t problem_count = 0;

  bool ok() const { return problem_count == 0; }
};

// What Store::Backup wrote, or Store::Restore restored.
struct BackupInfo {
  // The backup holds every event up to this position and none after it: the
  // last position of a group commit.
  Position position;
  // Files and bytes in the backup (the manifest excluded).
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// How EventStore::Follow pushes the change feed.
struct FollowOptions {
  // Where it starts and its filters (start, category, stream_prefix,
  // event_type). max_batch_events caps a batch embedded; through evlogd the
  // batch limits are the daemon's.
  ChangeFeedOptions feed;
  // Credits granted at a time: at most this many events are handed to the
  // callback beyond those granted again. Default: 1024
  uint64_t window = 1024;
  // Grant credits as the callback consumes events.
  // false: only the first window is granted; call FeedFollower::Grant for
  // more (a consumer that takes events only as fast as it stores them).
  // Default: true
  bool auto_credit = true;
};

// A running EventStore::Follow. Destroying it ends it (as Cancel).
class FeedFollower {
 public:
  virtual ~FeedFollower() = default;

  // Allows `events` more (FollowOptions::auto_credit off, or on top of it).
  virtual void Grant(uint64_t events) = 0;
  // Ends it; no callback runs after it returns. REQUIRES: not called from
  // the follower's own callback. Errors: those of the session (a Client).
  virtual Status Cancel() = 0;
  // The feed position after the last batch handed to the callback: follow
  // again with FeedStart::After(position()) to resume.
  virtual Position position() const = 0;
};

// EventStore::Read(Query): where to start, how many, which way.
struct QueryOptions {
  // First position to consider (inclusive). Forward: positions >= from
  // (nullopt: 1). Backward: positions <= from (nullopt: the head).
  std::optional<Position> from;
  // Most events to return. Default: no limit (mind the memory: every
  // match is copied into the result).
  size_t max_count = std::numeric_limits<size_t>::max();
  // Default: forward.
  Direction direction = Direction::kForward;
};

// What EventStore::Read(Query) found.
struct QueryResult {
  // The matching events, in position order (descending when backward).
  std::vector<OwnedEvent> events;
  // The position of the last event committed when the read began (0 for an
  // empty store), whether or not anything matched: pass it as
  // AppendCondition::after to decide on exactly what was read.
  Position head;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // ---- Appends -------------------------------------------------------------

  // Appends and waits until the append is acknowledged (see Durability).
  //
  // Errors (nothing is written for any of them):
  //  - InvalidArgument: a limit exceeded, an empty or reserved ('$'-prefixed)
  //    or malformed name, no events, a stream listed twice.
  //  - WrongExpectedVersion: a stream is not at its expected version;
  //    stream() and actual_version() say which and where it is.
  //  - ConditionFailed: the append condition matched a later event.
  //  - IdempotencyConflict: some but not all event ids were already
  //    committed, or an id appears twice in the request.
  //  - StreamDeleted: a stream was hard-deleted.
  //  - ReadOnly: the store was opened read-only.
  //  - IOError: the write failed (see Store::Append on a full disk).
  //  - Aborted: the store is closing.
  // If every event id was already committed (within the dedup window, to the
  // same streams), returns the original result with deduplicated set.
  virtual Result<AppendResult> Append(AppendRequest request) = 0;

  // Single-stream shorthand for Append(AppendRequest).
  Result<AppendResult> Append(std::string_view stream, ExpectedVersion expected,
                              std::vector<EventData> events,
                              Durability durability = Durability::kSync) {
    AppendRequest request;
    request.streams.push_back(StreamAppend{
        .stream = std::string(stream), .expected = expected, .events = std::move(events)});
    request.durability = durability;
    return Append(std::move(request));
  }

  // Queues an append and returns at once; `done` is called exactly once with
  // the result (errors as Append). Requests from one thread are committed in
  // the order queued. `done` runs on the store's writer thread or the
  // client's I/O thread (or, for a request rejected before it is queued, on
  // the calling thread): keep it short and never make a sync call from it.
  using AppendCallback = std::function<void(Result<AppendResult>)>;
  virtual void AppendAsync(AppendRequest request, AppendCallback done) = 0;

  // ---- Reads ---------------------------------------------------------------

  // Events of one stream, in version order (or backward).
  // Errors: NotFound if the stream has no events (or was deleted, or its
  // metadata hides every event); InvalidArgument for a bad name. Errors met
  // while iterating surface through the iterator's status() (Corruption,
  // IOError; through a Client also the session's errors).
  virtual Result<std::unique_ptr<EventIterator>> ReadStream(
      std::string_view stream, const ReadStreamOptions& options = {}) = 0;

  // Events of the global log in position order, optionally of one category
  // or one event type. Errors: InvalidArgument when both category and
  // event_type are set. Errors met while iterating surface through the
  // iterator's status() (Corruption when the log misses an event, IOError).
  virtual Result<std::unique_ptr<EventIterator>> ReadAll(const ReadAllOptions& options = {}) = 0;

  // The events that match `query` (see Query in types.h; docs/dcb.md), in
  // position order from options.from, and the store's head. Trims, deletes
  // and stream rules hide events exactly as from ReadAll. Events and head
  // come from one consistent view: nothing past the head is returned (a
  // Client pages a long result and keeps to the first page's head).
  // Errors: InvalidArgument for a query beyond the limits of Options (see
  // Query); Corruption if an index entry has no matching event or a record
  // fails verification; IOError from the storage.
  virtual Result<QueryResult> Read(const Query& query, const QueryOptions& options = {}) = 0;

  // Read without the result: calls `visit` with each event Read would
  // return, in the same order, and returns the head Read would return.
  // The event is a view valid only during the call (copy it with
  // OwnedEvent::From to keep it); `visit` returns false to stop early.
  // Embedded, each event is viewed where it was read and decoded: no
  // OwnedEvent, no allocation per event, which is most of a short read's
  // cost after RocksDB's. Through a Client, the events of Read's result are
  // visited. Errors as Read.
  using QueryVisitor = std::function<bool(const RecordedEvent& event)>;
  virtual Result<Position> ReadEach(const Query& query, const QueryOptions& options,
                                    const QueryVisitor& visit) {
    Result<QueryResult> result = Read(query, options);
    if (!result.ok()) return result.status();
    for (const OwnedEvent& e : result->events) {
      if (!visit(e.view())) break;
    }
    return result->head;
  }

  // The current version of `stream`: Version(0) if it has no events.
  // Errors: InvalidArgument for a bad name; IOError from the storage.
  virtual Result<Version> StreamVersion(std::string_view stream) = 0;

  // Streams sorted by name with their current versions.
  // Errors: Corruption or IOError from the storage.
  virtual Result<std::vector<StreamInfo>> ListStreams(const ListStreamsOptions& options = {}) = 0;

  // Counters of the store. Errors: IOError from the storage.
  virtual Result<StoreStats> Stats() = 0;

  // What the store's process has done since it opened the store (see
  // metrics.h). Errors: IOError from the storage.
  virtual Result<MetricsSnapshot> Metrics() = 0;

  // Makes commits of another writer process visible (a read-only Store);
  // OK at once where reads always see the latest commit (a writable Store,
  // a Client). Errors: IOError or Corruption from the storage.
  virtual Status CatchUp() = 0;

  // Pushes the change feed to `on_events`, batch by batch in position
  // order, on a thread of the store's (embedded) or the client's I/O thread
  // (remote), as long as it has credits (FollowOptions::window). Once, when
  // it ends, `on_events` gets the error that ended it. The callback may run
  // before Follow returns; keep it short and make no sync call from it.
  // Errors: InvalidArgument for a bad filter; Trimmed if the start is below
  // the trim horizon; Busy at evlogd's per-session subscription limit.
  // Errors that end it later: Aborted (the store closing), Corruption,
  // IOError.
  using FollowCallback = std::function<void(Result<std::vector<OwnedEvent>> events)>;
  virtual Result<std::unique_ptr<FeedFollower>> Follow(FollowOptions options,
                                                       FollowCallback on_events) = 0;

  // ---- Streams -------------------------------------------------------------

  // The current metadata of `stream` (defaults if it has none).
  // Errors: InvalidArgument for a bad name; Corruption or IOError.
  virtual Result<StreamMetadata> GetStreamMetadata(std::string_view stream) = 0;

  // Sets the metadata of `stream`; reads honour it at once. What the
  // current rules hide stays hidden (so reads never depend on when
  // compaction ran): a truncate_before not given keeps the current one, and
  // relaxing or clearing max_count or max_age_seconds raises
  // truncate_before past the events they hid. Errors: InvalidArgument for a
  // reserved name, hard_deleted (use DeleteStream), max_count 0, or a
  // truncate_before below the current one; ConditionFailed (its
  // conflicting_position the event) if the rules would hide an event a
  // durable subscription or view has not processed, unless options.force;
  // StreamDeleted for a hard-deleted stream; ReadOnly; IOError.
  virtual Status SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata,
                                   const MetadataOptions& options = {}) = 0;

  // Soft delete: the stream reads as not found until new events arrive,
  // whose versions continue. Hard delete: not found, and any later append
  // fails with StreamDeleted. Errors: NotFound if the stream has no events
  // (soft); InvalidArgument for a reserved name; ReadOnly; IOError.
  virtual Status DeleteStream(std::string_view stream, bool hard = false) = 0;

  // Removes old events of `stream` (see Store::TrimStream) and returns its
  // new first readable version. Errors: NotFound if the stream has no
  // events; InvalidArgument for a reserved name; ReadOnly; IOError.
  virtual Result<Version> TrimStream(std::string_view stream, const TrimOptions& options = {}) = 0;

  // TrimStream, reporting how many versions it removed and what stopped it
  // (a trim that removes nothing is no error: result.limit says why).
  // Errors: those of TrimStream.
  virtual Result<TrimResult> Trim(std::string_view stream, const TrimOptions& options = {}) = 0;

  // ---- Snapshots -----------------------------------------------------------

  // Saves `state` as the state of `stream` at `version` (see snapshot.h).
  // Errors: NotFound if the stream has no events; InvalidArgument if
  // `version` is 0 or beyond the stream's last version; ReadOnly; IOError.
  virtual Status SaveSnapshot(std::string_view stream, Version version,
                              std::string_view state) = 0;

  // The newest snapshot of `stream`; nullopt if it has none.
  // Errors: InvalidArgument for a bad name; Corruption or IOError.
  virtual Result<std::optional<Snapshot>> LoadSnapshot(std::string_view stream) = 0;

  // ---- Views (run by an application; queried from anywhere) ----------------

  // The value of `key` in view `view`, as of its last applied batch;
  // nullopt if the key has none. Errors: NotFound if no view of that name
  // has applied anything; Corruption or IOError.
  virtual Result<std::optional<std::string>> ViewGet(std::string_view view,
                                                     std::string_view key) = 0;

  // The rows whose keys start with `prefix`, in key order, at most
  // `max_count`; with `start_after`, only keys after it (to page through a
  // large view). Errors as ViewGet.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ViewScan(
      std::string_view view, std::string_view prefix,
      size_t max_count = std::numeric_limits<size_t>::max(), std::string_view start_after = {}) = 0;

  // Asks the process that runs view `view` to rebuild it (View::Rebuild);
  // follow it with GetViewProgress. Errors: NotFound if no such view;
  // IOError if the request cannot be written.
  virtual Status RequestViewRebuild(std::string_view view) = 0;

  // Withdraws a rebuild request nobody picked up. OK also when there is
  // none.
  virtual Status CancelViewRebuild(std::string_view view) = 0;

  struct ViewProgress {
    // Increases by one with every completed rebuild.
    uint64_t generation = 0;
    // Events up to here are reflected.
    Position position;
    // The rebuild in flight, or the last one: applied up to `rebuild_position`
    // of `rebuild_target`.
    Position rebuild_position;
    Position rebuild_target;
  };
  // Where view `view` is. Errors: NotFound if no such view; Corruption or
  // IOError.
  virtual Result<ViewProgress> GetViewProgress(std::string_view view) = 0;

  struct ViewInfo {
    std::string name;
    ViewProgress progress;
    // Last committed position minus progress.position.
    uint64_t lag = 0;
  };
  // Every view that has applied anything (run by any process), by name.
  // Errors: Corruption if a view's stored state is malformed; IOError.
  virtual Result<std::vector<ViewInfo>> ListViews() = 0;

  // Waits until view `view` (run by any process) has applied every event up
  // to `position`, at most `timeout` (through evlogd also at most the
  // daemon's limit, 30 s by default), and returns its progress then.
  // Errors: TimedOut if it did not get there; NotFound if no such view.
  virtual Result<ViewProgress> ViewWait(std::string_view view, Position position,
                                        std::chrono::milliseconds timeout) = 0;

  // ---- Durable consumers ---------------------------------------------------

  // Every subscription (and consumer checkpoint) stored, by name, with its
  // lag. Errors: Corruption or IOError.
  virtual Result<std::vector<SubscriptionInfo>> ListSubscriptions() = 0;

  // The checkpoint of durable consumer `name` that reads the feed itself
  // (Follow, a connector): Position() if it has none. Such a consumer
  // counts as a durable subscription of that name: listed with its lag,
  // trims never pass it. Errors: InvalidArgument for a bad name (1..200
  // bytes, no NUL or '/').
  virtual Result<Position> GetCheckpoint(std::string_view name) = 0;

  // Stores `position` as consumer `name`'s checkpoint, replacing it (it may
  // move back). REQUIRES: no Subscription of that name runs. Errors:
  // InvalidArgument for a bad name or a position past the last committed
  // one; ReadOnly on a read-only store.
  virtual Status SetCheckpoint(std::string_view name, Position position) = 0;

  // The events subscription `name` parked, oldest first; empty if none.
  // Errors: InvalidArgument for a bad name; Corruption or IOError.
  virtual Result<std::vector<ParkedEvent>> ListParked(std::string_view name) = 0;

  // Asks subscription `name` to deliver its parked events again; returns
  // how many are queued for replay. Errors: NotFound if it has never parked
  // any; ReadOnly; IOError.
  virtual Result<uint64_t> ReplayParked(std::string_view name) = 0;

  // ---- Hosted subscriptions (hosted_subscription.h) --------------------------

  // Creates hosted subscription `spec.name`: stores its definition and a
  // checkpoint just before its start point, so from now on it is listed,
  // has a lag and holds trims back, consumed or not. Returns true if it
  // created it, false if it existed with the same definition (a no-op).
  // Errors: InvalidArgument for a bad name or limit, or when the name is
  // taken (by another definition, or by a durable consumer's checkpoint);
  // ReadOnly.
  virtual Result<bool> CreateSubscription(const HostedSubscriptionSpec& spec) = 0;

  // Deletes hosted subscription `name`: its definition and checkpoint (its
  // parked events stay). Errors: NotFound if there is none; Busy while it
  // has consumers; ReadOnly.
  virtual Status DeleteSubscription(std::string_view name) = 0;

  // Attaches a consumer to hosted subscription `name`; it competes with the
  // others for the events. Errors: NotFound if there is no such hosted
  // subscription; InvalidArgument for a bad name; ReadOnly.
  virtual Result<std::unique_ptr<SubscriptionConsumer>> Consume(std::string_view name) = 0;

  // ---- Maintenance -----------------------------------------------------------

  // Checks the whole store (see Store::Verify; through evlogd the daemon
  // walks its store). Returns the report: a corrupt store is a report with
  // problems, not an error. Errors: IOError if the storage could not be
  // read.
  virtual Result<VerifyReport> Verify() = 0;

  // Compacts the whole store now, reclaiming the bytes of trimmed, deleted
  // and expired events (otherwise reclaimed in the background as files are
  // rewritten); blocks until done. Errors: ReadOnly on a read-only store;
  // IOError or Corruption from the storage.
  virtual Status Compact() = 0;

  // Writes a consistent backup into directory `dest` (see Store::Backup;
  // through evlogd `dest` is a path on the daemon's machine). Errors:
  // InvalidArgument for a bad `dest`, NotFound if its parent does not
  // exist, ReadOnly, IOError; Busy through evlogd while it writes another.
  virtual Result<BackupInfo> Backup(std::string_view dest) = 0;
};

}  // namespace evlog
