// Options for opening a store. A plain aggregate: set what you need with
// designated initializers and leave the rest at their defaults.
//
//   evlog::Options options{.create_if_missing = true, .max_event_bytes = 64 << 10};

#pragma once

#include <cstddef>
#include <cstdint>

namespace evlog {

struct Options {
  // Create the store directory and an empty store if none exists.
  // Default: true
  bool create_if_missing = true;

  // Open for reading only, beside a writer that may have the store open in
  // another process. Reads see the data as of Open and of each CatchUp().
  // Appends fail with ReadOnly. Several read-only opens may coexist. Each
  // keeps RocksDB's info logs in a directory `evlog-secondary-*` under the
  // temporary directory ($TMPDIR), removed at close; one left by a process
  // that died first is removed by the next read-only open.
  // Default: false
  bool read_only = false;

  // Largest accepted stream name, in bytes. Names are 1..max bytes, no NUL.
  // Default: 255
  size_t max_stream_name_bytes = 255;

  // Largest accepted event type, in bytes. Types are 1..max bytes, no NUL.
  // Default: 255
  size_t max_event_type_bytes = 255;

  // Largest accepted event: data + metadata + type + tag bytes.
  // Default: 1 MiB
  size_t max_event_bytes = 1 << 20;

  // Largest accepted append: the sum of its events' sizes.
  // Default: 1 MiB
  size_t max_append_bytes = 1 << 20;

  // Deepest nesting accepted in JSON an event carries: data whose content
  // type is JSON must be one valid JSON text (RFC 8259) nesting at most this
  // many arrays and objects, and so must metadata that starts with '{' or
  // '[' (other metadata is free bytes). Deeper or invalid: InvalidArgument,
  // nothing written. The same bound guards every reader that renders stored
  // JSON (evlog, evlogd), which never recurses on it.
  // Default: 512
  size_t max_json_depth = 512;

  // Most tags accepted on one event (EventData::tags; each 1..255 bytes).
  // More: InvalidArgument, nothing written. Tag bytes count towards
  // max_event_bytes.
  // Default: 32
  size_t max_tags_per_event = 32;

  // Most items accepted in one Query (a read or an append condition), and
  // most types in one item; each item's tags are bounded by
  // max_tags_per_event. More: InvalidArgument.
  // Default: 64
  size_t max_query_items = 64;

  // Most events accepted in one append (over all its streams).
  // Default: 10,000
  size_t max_events_per_append = 10'000;

  // Most streams accepted in one multi-stream append.
  // Default: 100
  size_t max_streams_per_append = 100;

  // Idempotency window. A retried append whose event ids were committed
  // within the last `dedup_window_events` positions and `dedup_window_seconds`
  // returns the original result and writes nothing. Outside the window a
  // retry is a new append. Both bounds apply; the window survives restarts.
  // Memory: the writer holds the caller-given ids inside the window, about
  // 32 bytes each (up to 64 right after its table doubles), so
  // dedup_window_events bounds it: about 32 MB at the default for a store
  // whose every event has a caller id; generated ids cost nothing. The open
  // reads about 20 bytes per id in the window to rebuild it.
  // Default: 1,000,000 events and 24 hours
  uint64_t dedup_window_events = 1'000'000;
  uint64_t dedup_window_seconds = 24 * 3600;

  // Largest group commit, in bytes of encoded records. The single writer
  // drains queued appends into one WriteBatch until this is reached.
  // Default: 4 MiB
  size_t max_group_bytes = 4 << 20;

  // With Durability::kBuffered, the write-ahead log is synced at most this
  // long after a buffered append is acknowledged.
  // Default: 5 ms
  uint32_t buffered_sync_interval_ms = 5;

  // Memory for RocksDB's block cache, shared by all column families.
  // Default: 64 MiB
  size_t block_cache_bytes = 64 << 20;

  // Memtable size per column family before it is flushed.
  // Default: 32 MiB
  size_t write_buffer_bytes = 32 << 20;

  // Stream heads (id and version, about 150 bytes each) the writer keeps in
  // memory. Beyond this, heads not used recently are dropped and read again
  // from the store when next appended to.
  // Default: 262,144
  size_t stream_head_cache_entries = 1 << 18;

  // Memory for the live tail: the writer keeps its most recent commits in
  // memory, so that change feeds which have caught up (subscriptions, views,
  // snapshot policies, evlogd's pushed subscriptions and SSE) take new events
  // from there, decoded once for all of them, instead of reading RocksDB.
  // A feed further behind reads RocksDB and rejoins the tail when it catches
  // up. The oldest commits leave first; Metrics reports the memory held
  // (tail_bytes). The tail is kept only while a feed is open: a store nobody
  // follows pays nothing for it. 0 turns it off. Unused by a read-only
  // store, whose feeds follow the writer process through RocksDB.
  // Default: 64 MiB
  size_t live_tail_bytes = 64 << 20;

  // Microseconds a change feed that has caught up spins, watching the
  // committed position, before it parks until the writer wakes it. For
  // applications that pin cores and want delivery without a thread wake-up;
  // each waiting feed burns its core while it spins. 0: park at once.
  // Default: 0
  uint32_t live_feed_spin_us = 0;

  // Run RocksDB's flushes and compactions at the lowest CPU priority (nice
  // 19), so that they do not preempt appends and live feeds on a machine
  // with few cores: on 2 vCPUs this cut L1's p99 (append to live-feed
  // delivery) about threefold (docs/bench.md). The price: under a writer
  // that keeps every core busy, a flush runs only in the time the
  // foreground leaves it, and RocksDB may hold writes back until it is done.
  // Process-wide: the threads belong to RocksDB's default environment, which
  // every store in the process shares, and their priority cannot be raised
  // again; the first store opened with this set lowers it for the rest of
  // the process's life. Ignored by a read-only store.
  // Default: false
  bool low_priority_background = false;
};

}  // namespace evlog
