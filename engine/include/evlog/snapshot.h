// Snapshots: an aggregate's serialized state at a stream version, so that
// loading the aggregate reads the newest snapshot and only the events after
// it — the seeds' snapshot table, kept by the engine.
//
// The state bytes are the application's own encoding; evlog stores them
// verbatim. A snapshot policy (Store::StartSnapshots) takes snapshots every N
// events per stream as a durable subscriber, with the application's fold.
//
// Thread-safety: the Store methods are thread-safe; a Snapshotter runs on its
// own thread. Lifetime: destroy it before the Store.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

struct Snapshot {
  // Every event of the stream up to this version is folded into `state`.
  Version version;
  // When the snapshot was saved, microseconds since the Unix epoch.
  int64_t timestamp_us = 0;
  std::string state;
};

// Folds `events` (in version order) into `previous` (nullopt: the empty
// state) and returns the new serialized state.
using SnapshotFold = std::function<Result<std::string>(std::string_view stream,
                                                       const std::optional<std::string>& previous,
                                                       const std::vector<OwnedEvent>& events)>;

struct SnapshotPolicy {
  // Durable name of the policy's subscription. Required.
  std::string name;
  // Only streams of this category. Empty: all streams.
  std::string category;
  // Take a snapshot when a stream is this many events past its newest one.
  // Default: 100
  uint64_t every_events = 100;
  // Required.
  SnapshotFold fold;
};

// Runs a SnapshotPolicy as a durable subscription named policy.name (its
// checkpoint is listed by Store::ListSubscriptions). Stop() or destroy it
// to stop.
class Snapshotter {
 public:
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;
  // Stop()s.
  ~Snapshotter();

  // Stops after the batch in hand (if any) and joins its thread.
  void Stop();

  // Waits until every event up to `position` has been considered. Returns
  // OK when reached, TimedOut after `timeout`, or status() if the policy
  // has stopped.
  Status WaitFor(Position position, std::chrono::milliseconds timeout);

  // OK while running or after Stop(); otherwise why the policy stopped: the
  // fold's error, or a storage error reading events or saving a snapshot.
  // A policy stops at a failing batch rather than skip a snapshot; the
  // next StartSnapshots with the same name retries it.
  Status status() const;

  // Internal, opaque: its state (made by Store::StartSnapshots).
  struct Rep;

 private:
  explicit Snapshotter(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace evlog
