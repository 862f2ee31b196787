// Writer: the single writer of a store, with group commit.
//
// Invariant: positions are assigned only here, in commit order, without
// gaps. Appends from any thread are queued; the writer thread drains the
// queue, decides each append against the current stream heads (expected
// versions, conditions, duplicates), puts every accepted append of the group
// into one WriteBatch, writes it with one WAL sync if any append asked for
// durability, then advances the committed position and completes the
// callbacks in queue order. An append that fails is never partly written.
//
// Who commits (caller-as-leader, as RocksDB's write group): a synchronous
// append (SubmitAndCommit) queues itself and, if nobody is committing,
// becomes the leader: it takes the queue from the front (bounded by
// max_group_bytes) as one group, commits it, completes the others of the
// group, and leads again until its own append is done. It then hands the
// leader role to the next queued append if that is synchronous (a waiting
// caller, woken anyway; before waking the group's followers if the group
// was buffered and all synchronous, after otherwise), or else wakes the
// writer thread, which commits asynchronous appends (Submit) the same way. `busy_` is the leader role: it
// passes from holder to holder without being released in between.
//
// Thread-safety: Submit, SubmitAndCommit, committed() and Sync are safe from
// any thread; one group is committed at a time (`busy_`), and only the
// committing thread bumps the append counters of metrics().

#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "committed_ids.h"
#include "db.h"
#include "evlog/options.h"
#include "evlog/status.h"
#include "metrics.h"
#include "request.h"
#include "sequence.h"
#include "synced_mark.h"

namespace evlog {

namespace chunk {
class ChunkBuilder;
}  // namespace chunk

// A synchronous caller waiting in Writer::SubmitAndCommit (on its stack).
// The thread that commits its append stores the result and then kDone; the
// thread that finishes a group may store kLead instead: the leader role
// (`busy_`) is now the waiter's.
struct SyncWaiter {
  static constexpr uint32_t kWaiting = 0;
  static constexpr uint32_t kLead = 1;
  static constexpr uint32_t kDone = 2;
  std::atomic<uint32_t> state{kWaiting};
  std::optional<Result<AppendResult>> result;
};

class Writer {
 public:
  // Starts the writer thread. `db->commits` and `next_stream_id` hold the
  // persisted counters read at open. After each WAL sync the writer
  // advances `synced` (if not null) to the last position the sync covered.
  Writer(Db* db, const Options& options, uint64_t next_stream_id,
         std::unique_ptr<SyncedMark> synced = nullptr);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // Stop()s.
  ~Writer();

  // Queues an append; its callback runs on the thread that commits it (the
  // writer thread, or a synchronous caller leading a group) once decided
  // and (if accepted) written. After Stop(), completes it with Aborted.
  void Submit(std::unique_ptr<PendingAppend> append);

  // Queues an append and waits for its result: as a follower (another
  // thread commits it and wakes this one) or as the leader (this thread
  // commits it, with whatever is queued before it). `append->done` is not
  // called: the result is returned. After Stop(), Aborted.
  Result<AppendResult> SubmitAndCommit(std::unique_ptr<PendingAppend> append);

  // Completes everything queued, syncs the log and joins the threads.
  void Stop();

  // Position of the last event whose write completed.
  Position committed() const { return Position(commits_.committed()); }

  // Streams created so far.
  uint64_t stream_count() const { return next_stream_id_.load(std::memory_order_relaxed) - 1; }

  // Syncs the WAL now.
  Status Sync();

  // Bytes the idempotency window holds now (CommittedIds), as of the last
  // group.
  uint64_t id_window_bytes() const { return id_window_bytes_.load(std::memory_order_relaxed); }

  // Appends, events, bytes, group sizes, syncs and latencies so far.
  const WriteMetrics& metrics() const { return metrics_; }

 private:
  struct Group;

  void Run();
  // Takes the queue's front (bounded by max_group_bytes) into `group`.
  // REQUIRES: mu_ and busy_ held.
  void TakeGroup(std::vector<std::unique_ptr<PendingAppend>>& group);
  // Gives up busy_ (with mu_ held): to the queue's front if it is a
  // synchronous caller (returned, to be woken with kLead once mu_ is
  // released), else releases it and wakes the writer thread if it has work
  // (or a Stop() waits).
  SyncWaiter* PassLeadership();
  // Hands `next` (if not null) the leader role PassLeadership gave it.
  static void WakeAsLeader(SyncWaiter* next);
  void SyncLoop();
  // Decides and writes a group; returns each append's result, in order,
  // without completing any. REQUIRES: busy_ held.
  std::vector<Result<AppendResult>> CommitGroup(
      std::vector<std::unique_ptr<PendingAppend>>& appends);
  // Completes each append of a group with its result, in queue order.
  static void Complete(std::vector<std::unique_ptr<PendingAppend>>& appends,
                       std::vector<Result<AppendResult>>& results);
  // Decides one append and, if accepted, adds it to the group's batch.
  Result<AppendResult> Stage(PendingAppend& append, Group& group);
  // Adds `head` as it is now to the group's undo list, once per group.
  static void SaveHead(StreamHead* head, Group& group);
  // Puts the group's pending log chunk, if any, into its batch, with its
  // postings and its `ids` chunk.
  void SealLogChunk(Group& group);
  // Puts the group's pending stream chunk, if any, into its batch.
  void SealStreamChunk(Group& group);
  // The original result when `append` repeats a committed append; nullopt
  // when it is new, or (DuplicatePolicy::kSkip) when some of its events were
  // committed: *skip then flags them, per event.
  Result<std::optional<AppendResult>> FindDuplicate(const PendingAppend& append, Group& group,
                                                    std::vector<bool>* skip);
  // Counts a written group: its appends, `events`, bytes and latencies, and
  // its sync if `write_start_us` is not 0.
  void CountGroup(const std::vector<std::unique_ptr<PendingAppend>>& appends,
                  const std::vector<Result<AppendResult>>& results, uint64_t events,
                  uint64_t write_start_us);
  // SyncWAL, timed into metrics_; then advances the synced mark. IOError
  // without syncing after a failed write, until a Resume succeeds.
  rocksdb::Status TimedSyncWAL();
  void MarkSynced(uint64_t position) {
    if (synced_) synced_->Advance(position);
  }
  // After a failed write: asks RocksDB to resume (it flushes every memtable
  // to new files and starts a new WAL, leaving the WAL that failed behind)
  // and clears failed_ if it did. Nothing acknowledged is lost: acknowledged
  // appends are in the memtables it flushes; the failed group was never
  // acknowledged nor applied (positions and heads were rolled back).
  // REQUIRES: busy_ held.
  void Resume();

  Db* const db_;
  const Options& options_;
  StreamHeads heads_;
  // The caller ids committed inside the idempotency window; rebuilt by the
  // constructor, touched only by the leader.
  CommittedIds ids_;
  std::atomic<uint64_t> id_window_bytes_{0};
  // Groups committed so far: each group's number (StreamHead::saved_by_group).
  uint64_t groups_ = 0;

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<std::unique_ptr<PendingAppend>> queue_;
  bool stopping_ = false;
  // A thread (the writer's, or a caller's in SubmitAndCommit) is committing
  // a group. Only the holder touches heads_, failed_ and the counters.
  bool busy_ = false;

  // Shared with readers, feeds and the dedup compaction filter.
  CommitSignal& commits_;
  std::atomic<uint64_t> next_stream_id_;
  // After a failed write (or a background error: a flush on a full disk)
  // RocksDB refuses writes, and its WAL writer must not be synced again:
  // each later group first resumes the store (Resume), and fails with this
  // until that works.
  Status failed_;
  // Held around SyncWAL and DB::Resume, so a background sync never runs on
  // a WAL a resume is switching away from. Whether a write failed (the WAL
  // must not be synced) is db_->wal_gate's.
  std::mutex wal_mu_;

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool unsynced_ = false;
  bool stop_sync_ = false;

  WriteMetrics metrics_;
  // Null if the store keeps no synced mark.
  const std::unique_ptr<SyncedMark> synced_;

  std::thread thread_;
  std::thread syncer_;
};

// Validates, queues and waits for an append. `system` allows '$' streams;
// `tombstone` (system only) names a stream the append hard-deletes.
Result<AppendResult> AppendAndWait(Writer& writer, const Options& options, AppendRequest request,
                                   bool system = false, std::string tombstone = {});

// Validates and queues an append; `done` runs once with the result.
void AppendWithCallback(Writer& writer, const Options& options, AppendRequest request,
                        std::function<void(Result<AppendResult>)> done, bool system = false);

}  // namespace evlog
