#include "writer.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>

#include "chunk.h"
#include "chunk_batch.h"
#include "clock.h"
#include "codec.h"
#include "condition.h"
#include "keys.h"
#include "postings.h"
#include "stream_metadata.h"

namespace evlog {

namespace {

rocksdb::Slice AsSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

}  // namespace

namespace {

// The bytes a group's batch will likely hold: each record twice (its log
// and its stream chunk) and once more per tag (a covering posting), plus
// each chunk's header, slot and key, with room for postings and counters.
// Reserved up front, the batch never grows by copying itself, which cost
// more per event than the copies of the records into it (W1).
size_t BatchBytesEstimate(const std::vector<std::unique_ptr<PendingAppend>>& appends) {
  size_t bytes = 4096;
  for (const auto& append : appends) {
    size_t record = 0;
    for (const StreamAppend& sa : append->request.streams) {
      for (const EventData& e : sa.events) {
        const size_t size = append->records[record++].size();
        bytes += 2 * size + 128 + e.tags.size() * (size + 32);
      }
    }
  }
  return bytes;
}

}  // namespace

// The state of one group commit while its appends are decided.
struct Writer::Group {
  explicit Group(size_t batch_bytes) : batch(batch_bytes) {}

  rocksdb::WriteBatch batch;
  uint64_t next_position = 0;
  uint64_t next_stream_id = 0;
  int64_t now_us = 0;
  bool sync = false;
  // The caller ids of the log chunk being filled: its `ids` chunk.
  std::vector<chunk::IdEntry> chunk_ids;
  // Every event staged in this group, in position order, for the
  // conditions and the duplicate checks of later appends of the group.
  // Points into their requests, which live until the group is done.
  std::vector<StagedEvent> staged;
  // This group's number: a head whose saved_by_group is it is in `undo`.
  uint64_t number = 0;
  // Heads as they were before this group, to restore if the write fails.
  std::vector<std::pair<StreamHead*, StreamHead>> undo;
  // Scratch for Stage: the heads of the append being staged.
  std::vector<StreamHead*> heads;
  // Scratch for the key of a stream chunk.
  char stream_key[keys::kStreamKeyBytes];
  // A "$meta-" stream was created: readers must start checking metadata.
  bool creates_metadata = false;
  // With a live tail that a feed reads: the records written to `log`, in
  // position order, moved out of their appends once the last log chunk is
  // in the batch (which copied them).
  bool publish = false;
  std::vector<std::string> records;
  std::vector<std::string*> to_publish;
  // The log chunk being filled (format 2, §1.4): it points into the
  // appends' records until it is sealed into the batch.
  chunk::ChunkBuilder log{chunk::ChunkKind::kLog};
  // The stream chunk being filled: the events of one (append, stream),
  // sealed at its end or at the chunk bound.
  chunk::ChunkBuilder stream{chunk::ChunkKind::kStream};
  uint64_t stream_id = 0;
  // The category and type postings of the log chunk being filled, put with
  // it (one chunk per name, §1.2). The names point into the requests.
  PostingsBuilder categories;
  PostingsBuilder types;
  ChunkPieces pieces;
};

Writer::Writer(Db* db, const Options& options, uint64_t next_stream_id,
               std::unique_ptr<SyncedMark> synced)
    : db_(db),
      options_(options),
      heads_(db),
      ids_(db, options),
      commits_(*db->commits),
      next_stream_id_(next_stream_id),
      synced_(std::move(synced)) {
  ids_.Load(Position(commits_.committed()), WallMicros());
  id_window_bytes_.store(ids_.window().MemoryBytes(), std::memory_order_relaxed);
  thread_ = std::thread([this] { Run(); });
  syncer_ = std::thread([this] { SyncLoop(); });
}

Writer::~Writer() { Stop(); }

void Writer::Submit(std::unique_ptr<PendingAppend> append) {
  if (append->enqueued_us == 0) append->enqueued_us = MonotonicMicros();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(append));
      work_cv_.notify_one();
      return;
    }
  }
  append->done(Status::Aborted("the store is closing"));
}

void Writer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    work_cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    stop_sync_ = true;
    sync_cv_.notify_one();
  }
  if (syncer_.joinable()) syncer_.join();
  if (unsynced_) TimedSyncWAL().PermitUncheckedError();
}

rocksdb::Status Writer::TimedSyncWAL() {
  std::lock_guard<std::mutex> lock(wal_mu_);
  // After a failed write there is nothing to sync: RocksDB's WAL is in an
  // error state, and Debian's build of RocksDB (assertions on) aborts the
  // process on a SyncWAL then. The gate keeps a write from failing between
  // this check and SyncWAL's own (wal_gate.h).
  if (!db_->wal_gate->Arm()) {
    return rocksdb::Status::IOError("a write failed; the store syncs again once an append succeeds");
  }
  // Every event up to here is in the WAL the sync covers.
  const uint64_t covered = commits_.committed();
  const uint64_t start = MonotonicMicros();
  rocksdb::Status s = db_->db->SyncWAL();
  db_->wal_gate->Disarm();
  if (s.ok()) {
    metrics_.RecordFsync(MonotonicMicros() - start);
    MarkSynced(covered);
  }
  return s;
}

Status Writer::Sync() { return FromRocks(TimedSyncWAL()); }

void Writer::Resume() {
  rocksdb::Status s;
  {
    std::lock_guard<std::mutex> lock(wal_mu_);
    s = db_->db->Resume();
  }
  if (!s.ok()) {
    // A full disk (ENOSPC) is a hard error RocksDB resumes from once space
    // is freed; any other failed write (EIO) is fatal to this instance.
    failed_ = Status::IOError(
        s.severity() > rocksdb::Status::Severity::kHardError
            ? "a write failed and the store accepts no more appends until it is reopened: " +
                  s.ToString()
            : "the store cannot write; it retries before each append (free space on a full "
              "disk): " +
                  s.ToString());
    return;
  }
  failed_ = Status::OK();
  db_->wal_gate->ClearFailure();
}

void Writer::TakeGroup(std::vector<std::unique_ptr<PendingAppend>>& group) {
  size_t bytes = 0;
  while (!queue_.empty() &&
         (group.empty() || bytes + queue_.front()->bytes <= options_.max_group_bytes)) {
    bytes += queue_.front()->bytes;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

SyncWaiter* Writer::PassLeadership() {
  if (!queue_.empty() && queue_.front()->waiter != nullptr) return queue_.front()->waiter;
  busy_ = false;
  // Wake the writer thread only when it has something to do: asynchronous
  // appends queued, or a Stop() waiting for the leader. Waking it for
  // nothing costs two context switches per append.
  if (stopping_ || !queue_.empty()) work_cv_.notify_one();
  return nullptr;
}

void Writer::Run() {
  std::vector<std::unique_ptr<PendingAppend>> group;
  for (;;) {
    group.clear();
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return !busy_ && (stopping_ || !queue_.empty()); });
      if (queue_.empty()) return;  // stopping, everything done, nobody committing
      busy_ = true;
      TakeGroup(group);
    }
    std::vector<Result<AppendResult>> results = CommitGroup(group);
    // Callbacks before the next group's: in queue order.
    Complete(group, results);
    std::lock_guard<std::mutex> lock(mu_);
    busy_ = false;
  }
}

void Writer::Complete(std::vector<std::unique_ptr<PendingAppend>>& appends,
                      std::vector<Result<AppendResult>>& results) {
  for (size_t i = 0; i < appends.size(); ++i) appends[i]->done(std::move(results[i]));
}

Result<AppendResult> Writer::SubmitAndCommit(std::unique_ptr<PendingAppend> append) {
  append->enqueued_us = MonotonicMicros();
  SyncWaiter waiter;
  append->waiter = &waiter;
  append->done = [&waiter](Result<AppendResult> r) {
    waiter.result.emplace(std::move(r));
    waiter.state.store(SyncWaiter::kDone, std::memory_order_release);
    // The waiter may have returned by now: notify only names the address
    // to the kernel's futex, it never reads or writes it.
    waiter.state.notify_one();
  };
  std::vector<std::unique_ptr<PendingAppend>> group;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return Status::Aborted("the store is closing");
    queue_.push_back(std::move(append));
    if (busy_) {
      // A follower: whoever commits this append completes it; or the leader
      // that finishes before it hands this thread the leader role.
      lock.unlock();
      uint32_t state;
      while ((state = waiter.state.load(std::memory_order_acquire)) == SyncWaiter::kWaiting) {
        waiter.state.wait(SyncWaiter::kWaiting, std::memory_order_acquire);
      }
      if (state == SyncWaiter::kDone) return std::move(*waiter.result);
      lock.lock();
    }
    busy_ = true;
    TakeGroup(group);
  }
  // The leader: commit the queue's front, until this caller's own append
  // is done (it may not fit in the first group behind a long queue).
  for (;;) {
    std::vector<Result<AppendResult>> results = CommitGroup(group);
    const bool own_done =
        std::ranges::any_of(group, [&](const auto& a) { return a->waiter == &waiter; });
    // Buffered groups of synchronous callers only: as RocksDB's
    // ExitAsBatchGroupLeader, the next leader starts while this one wakes
    // its followers. Callbacks of asynchronous appends keep queue order: a
    // group holding any completes them first. A durable group wakes its
    // followers first too: they append again at once, and the next group,
    // started only then, takes them into the same sync (started before,
    // groups settle at half the writers, as on branch pipe16, §4.3.1).
    const bool early_handoff = std::ranges::all_of(group, [](const auto& a) {
      return a->waiter != nullptr && a->request.durability != Durability::kSync;
    });
    if (own_done && early_handoff) {
      SyncWaiter* next;
      {
        std::lock_guard<std::mutex> lock(mu_);
        next = PassLeadership();
      }
      WakeAsLeader(next);
      Complete(group, results);
      break;
    }
    Complete(group, results);
    std::lock_guard<std::mutex> lock(mu_);
    if (own_done) {
      WakeAsLeader(PassLeadership());
      break;
    }
    group.clear();
    TakeGroup(group);
  }
  return std::move(*waiter.result);
}

void Writer::WakeAsLeader(SyncWaiter* next) {
  if (next == nullptr) return;
  next->state.store(SyncWaiter::kLead, std::memory_order_release);
  next->state.notify_one();
}

void Writer::SyncLoop() {
  std::unique_lock<std::mutex> lock(sync_mu_);
  for (;;) {
    sync_cv_.wait(lock, [this] { return stop_sync_ || unsynced_; });
    if (stop_sync_) return;
    sync_cv_.wait_for(lock, std::chrono::milliseconds(options_.buffered_sync_interval_ms),
                      [this] { return stop_sync_; });
    unsynced_ = false;
    lock.unlock();
    // A failed background sync is found again by the next synced write,
    // which reports it to its caller.
    TimedSyncWAL().PermitUncheckedError();
    lock.lock();
  }
}

std::vector<Result<AppendResult>> Writer::CommitGroup(
    std::vector<std::unique_ptr<PendingAppend>>& appends) {
  Group group(BatchBytesEstimate(appends));
  group.number = ++groups_;
  const uint64_t first_position = commits_.committed() + 1;
  const uint64_t first_stream_id = next_stream_id_.load(std::memory_order_relaxed);
  group.next_position = first_position;
  group.next_stream_id = first_stream_id;
  group.now_us = WallMicros();
  if (LiveTail* tail = db_->tail.get(); tail != nullptr) {
    group.publish = tail->HasReaders();
    // Nobody follows: free what the tail held. A feed that opens later
    // reads RocksDB up to the first group published after it.
    if (!group.publish && tail->bytes() > 0) tail->Clear();
  }

  if (!failed_.ok()) Resume();
  ids_.NewGroup();
  std::vector<Result<AppendResult>> results;
  results.reserve(appends.size());
  for (auto& append : appends) {
    results.push_back(failed_.ok() ? Stage(*append, group) : Result<AppendResult>(failed_));
  }

  SealLogChunk(group);
  for (std::string* rec : group.to_publish) group.records.push_back(std::move(*rec));
  if (group.batch.Count() > 0) {
    group.batch.Put(db_->cf(Db::kDefault), AsSlice(keys::kLastPosition),
                    keys::EncodeCounter(group.next_position - 1));
    if (group.next_stream_id != first_stream_id) {
      group.batch.Put(db_->cf(Db::kDefault), AsSlice(keys::kNextStreamId),
                      keys::EncodeCounter(group.next_stream_id));
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = group.sync;
    const uint64_t write_start = group.sync ? MonotonicMicros() : 0;
    db_->wal_gate->BeginWrite();
    rocksdb::Status s = db_->db->Write(write_options, &group.batch);
    db_->wal_gate->EndWrite(!s.ok());
    if (s.ok()) {
      CountGroup(appends, results, group.next_position - first_position, write_start);
      if (group.creates_metadata) db_->has_metadata.store(true);
      next_stream_id_.store(group.next_stream_id, std::memory_order_relaxed);
      // Into the tail before the position moves: a feed that sees the new
      // committed position finds every event up to it there.
      if (group.publish && !group.records.empty()) {
        db_->tail->Publish(
            std::make_shared<const TailGroup>(first_position, std::move(group.records)));
      }
      commits_.Advance(group.next_position - 1);
      if (group.sync) {
        MarkSynced(group.next_position - 1);
      } else {
        // Wake the syncer only when it has nothing pending: it is already
        // counting down otherwise, and a wake-up per group costs a context
        // switch per append on a small machine.
        std::lock_guard<std::mutex> lock(sync_mu_);
        if (!unsynced_) {
          unsynced_ = true;
          sync_cv_.notify_one();
        }
      }
    } else {
      failed_ = Status::IOError(
          "write failed, nothing of this append was written (the store retries before each "
          "append; a full disk must have space freed): " +
          s.ToString());
      for (auto it = group.undo.rbegin(); it != group.undo.rend(); ++it) *it->first = it->second;
      ids_.Undo(first_position);
      for (auto& r : results) {
        if (r.ok()) r = failed_;
      }
    }
  }

  heads_.Shrink(options_.stream_head_cache_entries);
  id_window_bytes_.store(ids_.window().MemoryBytes(), std::memory_order_relaxed);
  return results;
}

void Writer::CountGroup(const std::vector<std::unique_ptr<PendingAppend>>& appends,
                        const std::vector<Result<AppendResult>>& results, uint64_t events,
                        uint64_t write_start_us) {
  const uint64_t now = MonotonicMicros();
  if (write_start_us != 0) metrics_.RecordFsync(now - write_start_us);
  uint64_t committed = 0, bytes = 0;
  for (size_t i = 0; i < appends.size(); ++i) {
    if (!results[i].ok() || results[i]->deduplicated) continue;
    ++committed;
    bytes += appends[i]->bytes;
    metrics_.append_latency_us.RecordExclusive(now - appends[i]->enqueued_us);
  }
  AddExclusive(metrics_.appends, committed);
  AddExclusive(metrics_.events, events);
  AddExclusive(metrics_.bytes, bytes);
  metrics_.group_events.RecordExclusive(events);
}

Result<AppendResult> Writer::Stage(PendingAppend& append, Group& group) {
  // DuplicatePolicy::kSkip: per event (as append.records), whether it was
  // committed before and is left out.
  std::vector<bool> skip;
  if (append.caller_ids > 0) {
    auto duplicate = FindDuplicate(append, group, &skip);
    if (!duplicate.ok()) return duplicate.status();
    if (duplicate->has_value()) return std::move(**duplicate);
  }
  const auto skipped = [&](size_t record) { return !skip.empty() && skip[record]; };
  if (append.request.condition) {
    if (Status s = CheckCondition(*db_, *append.request.condition, group.staged); !s.ok()) {
      return s;
    }
  }

  const auto& streams = append.request.streams;
  std::vector<StreamHead*>& heads = group.heads;
  heads.clear();
  for (const StreamAppend& sa : streams) {
    auto head = heads_.Find(sa.stream);
    if (!head.ok()) return head.status();
    StreamHead* h = *head;
    if (h->tombstoned) {
      return Status::StreamDeleted("stream '" + sa.stream + "' was deleted permanently");
    }
    if (!sa.expected.Matches(h->version)) {
      return Status::WrongExpectedVersion("stream '" + sa.stream + "' is at version " +
                                              std::to_string(h->version.value()) +
                                              ", the append expected " + sa.expected.ToString(),
                                          sa.stream, h->version.value());
    }
    heads.push_back(h);
  }
  // Everything that can fail is decided before the first Put: an append is
  // staged whole or not at all.
  StreamHead* tombstone = nullptr;
  if (!append.tombstone.empty()) {
    auto head = heads_.Find(append.tombstone);
    if (!head.ok()) return head.status();
    tombstone = *head;
  }

  AppendResult result;
  result.streams.reserve(streams.size());
  size_t record = 0;
  size_t written = 0;
  for (size_t i = 0; i < streams.size(); ++i) {
    const StreamAppend& sa = streams[i];
    StreamHead* h = heads[i];
    size_t to_write = 0;
    for (size_t k = 0; k < sa.events.size(); ++k) to_write += skipped(record + k) ? 0 : 1;
    written += to_write;
    SaveHead(h, group);
    if (h->id == 0 && to_write > 0) {
      h->id = group.next_stream_id++;
      h->created_position = Position(group.next_position);
      group.batch.Put(db_->cf(Db::kStreams), sa.stream,
                      codec::EncodeStreamRow({h->id, h->created_position}));
      if (sa.stream.starts_with(kMetaPrefix)) group.creates_metadata = true;
    }
    StreamAppendResult r{.stream = sa.stream,
                         .first_version = Version(h->version.value() + 1),
                         .first_position = Position(group.next_position)};
    std::string_view category = CategoryOf(sa.stream);
    group.stream_id = h->id;
    for (const EventData& e : sa.events) {
      if (skipped(record)) {
        r.skipped.push_back(e.id);
        ++record;
        continue;
      }
      Position position(group.next_position++);
      h->version = Version(h->version.value() + 1);
      std::string& rec = append.records[record];
      codec::PatchEvent(&rec, position, h->version, group.now_us);
      if (!group.log.empty() && (group.log.count() >= chunk::kMaxChunkEvents ||
                                 group.log.record_bytes() + rec.size() > chunk::kMaxChunkBytes)) {
        SealLogChunk(group);
      }
      // One CRC for both chunks the record goes into.
      const uint32_t crc = chunk::RecordCrc(rec);
      group.log.Add(position.value(), rec, group.now_us, crc);
      if (!group.stream.empty() &&
          (group.stream.count() >= chunk::kMaxChunkEvents ||
           group.stream.record_bytes() + rec.size() > chunk::kMaxChunkBytes)) {
        SealStreamChunk(group);
      }
      group.stream.Add(h->version.value(), rec, group.now_us, crc);
      if (group.publish) group.to_publish.push_back(&rec);
      group.categories.Add(category, position.value());
      group.types.Add(e.type, position.value());
      for (size_t t = 0; t < e.tags.size(); ++t) {
        // A tag given twice gets one entry: the second Put is skipped.
        const std::string& tag = e.tags[t];
        if (std::find(e.tags.begin(), e.tags.begin() + static_cast<ptrdiff_t>(t), tag) !=
            e.tags.begin() + static_cast<ptrdiff_t>(t)) {
          continue;
        }
        // A covering posting: the record itself, so a query by tag reads
        // one range of `by_tag` instead of a point read of `log` per event.
        group.batch.Put(db_->cf(Db::kByTag), keys::TagKey(tag, position), rec);
      }
      group.staged.push_back(
          StagedEvent{position.value(), &e, category, sa.stream, h->version.value()});
      if (append.CallerId(record)) {
        group.chunk_ids.push_back(chunk::IdEntry{position.value(), e.id});
        ids_.Add(e.id, position.value(), group.now_us);
      }
      ++record;
    }
    SealStreamChunk(group);
    r.last_version = h->version;
    r.last_position = Position(group.next_position - 1);
    result.streams.push_back(std::move(r));
  }
  result.deduplicated = !skip.empty() && written == 0;
  if (tombstone != nullptr) {
    StreamHead* h = tombstone;
    SaveHead(h, group);
    if (h->id == 0) h->id = group.next_stream_id++;
    h->tombstoned = true;
    group.batch.Put(db_->cf(Db::kStreams), append.tombstone,
                    codec::EncodeStreamRow({h->id, h->created_position, true}));
  }
  if (append.request.durability == Durability::kSync) group.sync = true;
  return result;
}

void Writer::SaveHead(StreamHead* head, Group& group) {
  if (head->saved_by_group == group.number) return;
  group.undo.emplace_back(head, *head);
  head->saved_by_group = group.number;
}

void Writer::SealLogChunk(Group& group) {
  if (group.log.empty()) return;
  const uint64_t last = group.log.last();
  PutChunk(group.batch, db_->cf(Db::kLog), keys::LogKey(Position(last)), group.log, &group.pieces);
  if (!group.chunk_ids.empty()) {
    group.batch.Put(db_->cf(Db::kIds), keys::LogKey(Position(last)),
                    chunk::EncodeIds(last, group.now_us, group.chunk_ids));
    group.chunk_ids.clear();
  }
  group.categories.Flush(&group.batch, db_->cf(Db::kByCategory));
  group.types.Flush(&group.batch, db_->cf(Db::kByType));
}

void Writer::SealStreamChunk(Group& group) {
  if (group.stream.empty()) return;
  keys::PutStreamKey(group.stream_id, Version(group.stream.last()), group.stream_key);
  PutChunk(group.batch, db_->cf(Db::kStream),
           std::string_view(group.stream_key, keys::kStreamKeyBytes), group.stream, &group.pieces);
}

Result<std::optional<AppendResult>> Writer::FindDuplicate(const PendingAppend& append,
                                                          Group& group, std::vector<bool>* skip) {
  const Position last(commits_.committed());
  // One entry per event from the first hit on (with empty ones before it):
  // nearly every append has none and allocates nothing here.
  std::vector<std::optional<CommittedEvent>> hits;
  size_t found = 0, record = 0;
  for (const StreamAppend& sa : append.request.streams) {
    for (const EventData& e : sa.events) {
      const size_t this_record = record++;
      std::optional<CommittedEvent> hit;
      if (append.CallerId(this_record)) {
        // Nothing commits while this group is staged: the window is the
        // same for every append of the group, and what it holds above
        // `last` is this group's, in group.staged.
        auto r = ids_.Find(e.id, last, group.now_us, group.staged);
        if (!r.ok()) return r.status();
        hit = std::move(*r);
      }
      if (hit && found++ == 0) {
        hits.reserve(append.total_events);
        hits.resize(this_record);  // the events before it: not committed
      }
      if (found > 0) hits.push_back(std::move(hit));
    }
  }
  if (found == 0) return std::optional<AppendResult>();
  const bool skipping = append.request.duplicates == DuplicatePolicy::kSkip;
  // kSkip: the committed events are left out of what Stage writes.
  const auto skip_committed = [&]() -> Result<std::optional<AppendResult>> {
    skip->reserve(hits.size());
    for (const auto& hit : hits) skip->push_back(hit.has_value());
    return std::optional<AppendResult>();
  };
  if (found != append.total_events) {
    if (skipping) return skip_committed();
    return Status::IdempotencyConflict(std::to_string(found) + " of the append's " +
                                       std::to_string(append.total_events) +
                                       " events were already committed; a retry must repeat "
                                       "exactly the original append, or skip the committed "
                                       "events (duplicate policy skip)");
  }
  AppendResult result;
  result.deduplicated = true;
  size_t i = 0;
  for (const StreamAppend& sa : append.request.streams) {
    StreamAppendResult r{.stream = sa.stream};
    for (size_t k = 0; k < sa.events.size(); ++k, ++i) {
      const CommittedEvent& hit = *hits[i];
      bool in_order = k == 0 || (hit.version.value() == r.last_version.value() + 1 &&
                                 hit.position > r.last_position);
      if (hit.stream != sa.stream || !in_order) {
        if (skipping) return skip_committed();
        return Status::IdempotencyConflict(
            "event id " + sa.events[k].id.ToString() + " was committed to stream '" + hit.stream +
            "' at version " + std::to_string(hit.version.value()) + ", not as part of this append");
      }
      if (k == 0) {
        r.first_version = hit.version;
        r.first_position = hit.position;
      }
      r.last_version = hit.version;
      r.last_position = hit.position;
    }
    result.streams.push_back(std::move(r));
  }
  return std::optional<AppendResult>(std::move(result));
}

void AppendWithCallback(Writer& writer, const Options& options, AppendRequest request,
                        std::function<void(Result<AppendResult>)> done, bool system) {
  auto pending = std::make_unique<PendingAppend>();
  if (Status s = PrepareAppend(options, std::move(request), pending.get(), system); !s.ok()) {
    done(std::move(s));
    return;
  }
  pending->done = std::move(done);
  writer.Submit(std::move(pending));
}

Result<AppendResult> AppendAndWait(Writer& writer, const Options& options, AppendRequest request,
                                   bool system, std::string tombstone) {
  auto pending = std::make_unique<PendingAppend>();
  if (Status s = PrepareAppend(options, std::move(request), pending.get(), system); !s.ok()) {
    return s;
  }
  pending->tombstone = std::move(tombstone);
  return writer.SubmitAndCommit(std::move(pending));
}

}  // namespace evlog
