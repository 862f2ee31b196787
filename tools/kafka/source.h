// Source: where evlog-kafka reads the change feed from, durably — a named
// consumer whose checkpoint moves only after a batch was handled. Written
// once against evlog::EventStore (evlog/event_store.h), so the embedded
// store (`--db DIR`, EmbeddedSource) and evlogd (`--connect`, RemoteSource in
// source_remote.h) are one code path: EventStore::Follow pushes the feed
// against credits, and the checkpoint is the store's consumer checkpoint
// (EventStore::GetCheckpoint / SetCheckpoint: listed with its lag by
// `evlog subscriptions`, holding trims back) or, when a checkpoint file is
// named, that local file.
//
// The checkpoint file holds one line, the position of the last event
// handled, written to FILE.tmp, synced and renamed over FILE: a crash leaves
// the old or the new checkpoint, never a torn one. A missing file (or no
// stored checkpoint) starts at the oldest event.
//
// Delivery is at least once: a batch whose handler failed is offered again
// (after a bounded backoff) and never skipped; after a crash, the batch that
// was in hand is offered again. A lost connection is not an error: the
// source opens its store again (bounded backoff) and follows on after its
// checkpoint, dropping what it had queued. Errors that a retry cannot mend
// (a wrong token, a trimmed position, a checkpoint it cannot store) stop it.
//
// Invariant: the checkpoint moves past an event only after the handler
// returned OK for the batch holding it. Events are handed over only
// against credits granted as batches leave the queue, so the queue never
// holds more than two batches.
//
// Thread-safety: Start once; Wait, Stop and checkpoint from any thread.

#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "evlog/event_store.h"
#include "evlog/subscription.h"

namespace evlog::kafka {

struct SourceOptions {
  // The consumer's name (its checkpoint's key in the store). Required
  // unless a checkpoint file is named.
  std::string subscription;
  // Only events of streams in this category. Default: empty, all.
  std::string category;
  // Also the events of system streams ('$'-prefixed: metadata changes,
  // parked events), as evlog-kafka --system asks. Default: false
  bool include_system = false;
  // Most events per batch. Default: 100
  size_t batch_events = 100;
  // Wait before offering a failed batch again (and before opening the store
  // again); doubled each time up to max_backoff. Default: 100 ms and 10 s
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
};

// Opens the store a Source reads: at Start, and again after a lost
// connection. Embedded, it hands out the same borrowed store each time.
using StoreOpener = std::function<Result<std::shared_ptr<EventStore>>()>;

class Source {
 public:
  // `checkpoint_file`: where the checkpoint lives; empty: in the store as
  // `options.subscription`'s checkpoint. `trust_position`: the follower's
  // position() moves only after its callback returned (Store::Follow), so
  // a drained source may checkpoint it, past events the filter skipped;
  // otherwise the checkpoint is the last event handled.
  Source(StoreOpener open, std::string checkpoint_file, SourceOptions options,
         bool trust_position = false);
  virtual ~Source();
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  // Reads the checkpoint, opens the store and starts handing batches to
  // `handler` on the source's own thread, after the checkpoint (or from the
  // oldest event, the first time). The checkpoint moves past a batch only
  // when `handler` returned OK. Errors: InvalidArgument for a bad name, a
  // checkpoint file that does not hold a position, or neither a file nor a
  // name; IOError if the file cannot be read; the store's (Store::Open's,
  // Client::Connect's, EventStore::Follow's).
  Status Start(BatchHandler handler);

  // Waits up to `timeout` for the source to stop. TimedOut while it runs;
  // otherwise OK (stopped by Stop) or the error that stopped it.
  Status Wait(std::chrono::milliseconds timeout);

  // Waits up to `timeout` until checkpoint() >= position. OK when reached,
  // TimedOut, or the error (Aborted after Stop) that stopped the source.
  Status WaitFor(Position position, std::chrono::milliseconds timeout);

  // Stops after the batch in hand; a batch whose handler has not returned OK
  // is not checkpointed. Idempotent.
  void Stop();

  // Every event up to here was handled and checkpointed.
  Position checkpoint() const;

  // The checkpoint stored in `file`: Position() if the file does not exist.
  static Result<Position> ReadCheckpoint(const std::string& file);
  // Replaces `file` with `position`, durably (see above).
  static Status WriteCheckpoint(const std::string& file, Position position);

 private:
  Status Follow();
  void Run();
  // Sleeps before attempt `attempt` + 1; false if stopping.
  bool Backoff(uint32_t attempt);
  void Finish(Status s);

  StoreOpener open_;
  std::string checkpoint_file_;
  bool trust_position_;
  SourceOptions options_;
  BatchHandler handler_;

  std::shared_ptr<EventStore> store_;
  std::unique_ptr<FeedFollower> follower_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // events queued, link lost, checkpoint moved, stopped
  std::deque<OwnedEvent> queue_;
  Status lost_;  // why the follower ended; OK while it runs
  bool stop_ = false;
  bool finished_ = false;
  Status status_;
  Position checkpoint_;
};

// The change feed of a Store (any EventStore) in this process. `store` is
// borrowed and must outlive this source.
class EmbeddedSource final : public Source {
 public:
  EmbeddedSource(EventStore& store, SourceOptions options);
};

}  // namespace evlog::kafka
