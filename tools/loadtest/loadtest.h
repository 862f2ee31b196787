// Daemon load test (issue #7): starts evlogd on an ephemeral loopback port
// and, for a bounded time, runs against it
// - `sessions` well-behaved clients, each pipelining `pipeline` chains of
//   appends to streams of its own (exact expected versions, so every one
//   must succeed) and one chain to a few streams shared by all (exact
//   expected versions from what the session last saw, so they conflict and
//   retry), while reader threads read streams and the log on the same
//   sessions;
// - `slow_readers` sessions that subscribe from the oldest event with a huge
//   credit and keep asking for pages of the log (or, with `slow_pipeline`,
//   pipeline that many subscriptions and full-page reads at once), and
//   never read their socket;
// - `malformed` sessions that send a bad frame (garbage, length 0, a length
//   above the limit, a cut message, a request before Hello), wait for the
//   close and start over;
// - `half_open` sessions that connect, send half a frame (some after a
//   Hello, some before) and go silent.
// Meanwhile it samples evlogd's resident set (/proc/PID/status) and checks
// that it is alive; it notes the resident set before the sessions connect
// once the busy ones have closed and the store has run no flush or
// compaction for `settle_seconds`. At the end it stops the clients, sends evlogd SIGTERM,
// expects exit status 0, reopens the store embedded and checks that every
// acknowledged append is at its acknowledged position and version with its
// id, and that the log holds nothing else (every append ended acknowledged
// or refused, so nothing may have been written beside the acks).

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "evlog/store.h"

namespace evlog::loadtest {

struct LoadOptions {
  // The evlogd binary.
  std::string evlogd;
  // The store evlogd serves (created if missing). Its log goes to
  // `db`.evlogd.log.
  std::string db;
  // Well-behaved sessions. Default: 256
  int sessions = 256;
  // Append chains per session, each with one append in flight. Default: 4
  int pipeline = 4;
  // Threads making read calls on the well-behaved sessions. Default: 2
  int readers = 2;
  int slow_readers = 16;
  // Requests each slow reader pipelines at once, then sends nothing more:
  // that many subscriptions from the oldest event and that many ReadAll of
  // a full page. 0: one subscription, then a page of 1,000 events per tick.
  // Default: 0
  int slow_pipeline = 0;
  // MiB of 512 KiB events appended (to "loadtest-big") before evlogd starts,
  // so that reads and pushes from the oldest event carry big pages.
  // Default: 0
  int preload_mib = 0;
  // How long the store runs no flush or compaction, after the busy sessions
  // close, before rss_after_close_kib is sampled.
  // Default: 0
  double settle_seconds = 0;
  int malformed = 8;
  int half_open = 16;
  // How long the load runs. Default: 60 s
  double seconds = 60;
  uint64_t seed = 1;
};

struct LoadResult {
  // evlogd answered connections and was running at every sample.
  bool evlogd_alive = false;
  // evlogd's wait status after SIGTERM (0: exited with 0).
  int evlogd_status = -1;
  // The load, evlogd's exit after SIGTERM, and the verification.
  double seconds = 0;
  double stop_seconds = 0;
  double verify_seconds = 0;
  uint64_t appends_acked = 0;
  uint64_t events_acked = 0;
  // Appends to shared streams refused with WrongExpectedVersion (retried).
  uint64_t conflicts = 0;
  uint64_t reads = 0;
  uint64_t events_read = 0;
  uint64_t slow_reader_requests = 0;
  uint64_t malformed_sent = 0;
  // Malformed sessions the daemon closed.
  uint64_t malformed_closed = 0;
  uint64_t half_open_opened = 0;
  // evlogd's peak resident set (VmHWM) and the largest VmRSS sampled, KiB.
  uint64_t peak_rss_kib = 0;
  uint64_t max_sampled_rss_kib = 0;
  // evlogd's VmRSS once it has started (after the preload, and a read of
  // the whole log that warms its block cache), and
  // settle_seconds after the well-behaved sessions, slow readers and
  // malformed sessions closed and no compaction runs or waits.
  uint64_t baseline_rss_kib = 0;
  uint64_t rss_after_close_kib = 0;
  // What RocksDB held for the store at those two moments (memtables, block
  // cache in use, table readers; evlog_rocksdb_*_bytes), KiB. Appends fill
  // memtables and reads fill the cache up to their Options bounds, so
  // rss_after_close_kib - store_memory_after_close_kib is what evlogd kept
  // beside the store once the sessions had gone.
  uint64_t store_memory_baseline_kib = 0;
  uint64_t store_memory_after_close_kib = 0;
  // Events the preload appended (in the log beside the acknowledged ones).
  uint64_t preloaded_events = 0;
  // Acknowledged events found where acknowledged, and events in the log.
  uint64_t events_verified = 0;
  uint64_t log_events = 0;
  std::vector<std::string> problems;
};

LoadResult RunLoad(const LoadOptions& options);

// One acknowledged append: `count` events of `stream` from `first_version`
// at `first_position` on, event k with id LoadEventId(op, k).
struct AckedAppend {
  std::string stream;
  uint64_t first_version = 0;
  uint64_t count = 0;
  uint64_t first_position = 0;
  uint64_t op = 0;
};

// The id of event `k` of append `op`.
Uuid LoadEventId(uint64_t op, uint32_t k);

// Checks `store` against every acknowledged append (each event at its
// version and position with its id) and that the log holds exactly
// result.events_acked events. Sets result.events_verified and
// result.log_events; adds what it finds to result.problems.
void VerifyAcks(Store& store, std::vector<AckedAppend> acks, LoadResult& result);

}  // namespace evlog::loadtest
