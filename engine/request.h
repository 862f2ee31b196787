// request: checks an append request against the limits in Options and encodes
// its events, on the caller's thread, before it is queued for the writer.
// What reaches the writer is well-formed; the writer only decides what
// depends on the store's state (versions, conditions, duplicates).

#pragma once

#include <string>
#include <vector>

#include "evlog/options.h"
#include "evlog/status.h"
#include "evlog/store.h"

namespace evlog {

struct SyncWaiter;

struct PendingAppend {
  AppendRequest request;
  // One encoded record per event, in request order (stream by stream), with
  // the commit-time fields still zero.
  std::vector<std::string> records;
  // Per event (same order as records): whether the caller gave its id, so
  // that the append can be a retry. Generated ids are never looked up.
  // Empty when caller_ids is 0 (no id given): ask CallerId.
  std::vector<bool> caller_id;
  size_t caller_ids = 0;
  size_t total_events = 0;
  size_t bytes = 0;
  // When the writer got it (MonotonicMicros), for the append latency.
  uint64_t enqueued_us = 0;
  // System appends only: the stream this append hard-deletes.
  std::string tombstone;
  Store::AppendCallback done;
  // Set for a synchronous caller waiting in Writer::SubmitAndCommit: the
  // thread that finishes a group may hand it the leader role (writer.h).
  SyncWaiter* waiter = nullptr;

  // Whether the caller gave the id of event `record` (request order).
  bool CallerId(size_t record) const { return caller_ids > 0 && caller_id[record]; }
};

// Validates `request` and fills `out` with it and its encoded events. Event
// data is moved into the records; `out->request` keeps names and types.
// Errors: InvalidArgument for a broken limit or name, IdempotencyConflict
// for an event id that appears twice.
// `system` appends (by the engine itself) may write reserved '$' streams.
Status PrepareAppend(const Options& options, AppendRequest request, PendingAppend* out,
                     bool system = false);

// Checks a query against the limits in Options (types, tag sizes, counts).
// InvalidArgument naming the item at fault.
Status ValidateQuery(const Options& options, const Query& query);

// Checks a stream name: 1..max bytes of UTF-8, no NUL, and (unless
// `allow_reserved`) not starting with '$'.
Status ValidateStreamName(std::string_view name, size_t max_bytes, bool allow_reserved = false);

// True for the streams the engine itself writes ('$'-prefixed: "$meta-x",
// "$parked-x"): the one rule that include_system (ReadAllOptions,
// ChangeFeedOptions, ListStreamsOptions) filters on.
inline bool IsSystemStream(std::string_view name) { return name.starts_with('$'); }

}  // namespace evlog
