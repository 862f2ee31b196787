// Source: where evlog-kafka reads the change feed from, durably — a named
// subscription whose checkpoint moves only after a batch was handled. Two
// forms: EmbeddedSource over a Store opened in this process (`--db DIR`),
// and the remote form through evlogd (`--connect`, see source_remote.h).
//
// Delivery is at least once: a batch whose handler failed is offered again
// (after a bounded backoff) and never skipped; after a crash, the batch that
// was in hand is offered again.
//
// Thread-safety: Start once; Wait, Stop and checkpoint from any thread.

#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "evlog/store.h"
#include "evlog/subscription.h"

namespace evlog::kafka {

struct SourceOptions {
  // The durable subscription's name (its checkpoint's key). Required.
  std::string subscription;
  // Only events of streams in this category. Default: empty, all.
  std::string category;
  // Most events per batch. Default: 100
  size_t batch_events = 100;
  // Wait before offering a failed batch again; doubled each time up to
  // max_backoff. Default: 100 ms and 10 s
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
};

class Source {
 public:
  virtual ~Source() = default;

  // Starts handing batches to `handler` on the source's own thread, from
  // after the stored checkpoint (or the oldest event, the first time).
  // The checkpoint moves past a batch only when `handler` returned OK.
  // Errors: those of Store::Subscribe (InvalidArgument for a bad name,
  // ReadOnly) or of the daemon.
  virtual Status Start(BatchHandler handler) = 0;

  // Waits up to `timeout` for the source to stop. TimedOut while it runs;
  // otherwise OK (stopped by Stop) or the error that stopped it.
  virtual Status Wait(std::chrono::milliseconds timeout) = 0;

  // Waits up to `timeout` until checkpoint() >= position. OK when reached,
  // TimedOut, or the error (Aborted after Stop) that stopped the source.
  virtual Status WaitFor(Position position, std::chrono::milliseconds timeout) = 0;

  // Stops after the batch in hand; a batch whose handler has not returned OK
  // is not checkpointed. Idempotent.
  virtual void Stop() = 0;

  // Every event up to here was handled and checkpointed.
  virtual Position checkpoint() const = 0;
};

// The change feed of a Store in this process, through Store::Subscribe.
class EmbeddedSource : public Source {
 public:
  // `store` is borrowed and must outlive this source.
  EmbeddedSource(Store& store, SourceOptions options);
  ~EmbeddedSource() override;

  Status Start(BatchHandler handler) override;
  Status Wait(std::chrono::milliseconds timeout) override;
  Status WaitFor(Position position, std::chrono::milliseconds timeout) override;
  void Stop() override;
  Position checkpoint() const override;

 private:
  Store& store_;
  SourceOptions options_;
  std::unique_ptr<Subscription> subscription_;
};

}  // namespace evlog::kafka
