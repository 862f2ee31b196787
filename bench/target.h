// Target: one system under measurement, seen through the operations the
// standard workloads need. evlog-bench runs every workload against each
// target in the same run: the engine, raw RocksDB (raw_rocksdb.h) and SQLite
// (sqlite_log.h), so every figure it prints is a ratio of the same run.
//
// Streams are named by number, "stream-<n>" (StreamName); every event has
// type "ItemAdded" and the 128-byte payload (bench_util.h).

#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "inventory.h"

namespace evlog {
class Store;
}

namespace evlog::bench {

enum class System { kEvlog, kRocksDbRaw, kSqlite };

// "evlog", "rocksdb-raw", "sqlite": the names in the JSON report.
const char* SystemName(System system);
// Parses SystemName's output; false for anything else.
bool ParseSystem(const std::string& name, System* system);

// "stream-<n>", written into `out` (reused by the caller, so the hot loops
// allocate nothing for names).
void StreamName(uint64_t n, std::string* out);

// The streams one writer appends to, round-robin: first, first + stride,
// first + 2 * stride, ... below `count` streams in all.
struct StreamSet {
  uint64_t first = 0;
  uint64_t stride = 1;
  uint64_t count = 1000;
};

// The caller-given id of W5's event at `version` of stream `n`: 16 bytes that
// look random (as clients' request ids do, so the targets' id indexes meet
// them in no useful order), the same in every run and for every target,
// distinct for every (n, version), never all zero.
std::array<uint8_t, 16> EventId(uint64_t n, uint64_t version);

// Called with the latency of each append in microseconds, when the workload
// records latencies (synchronous appends only).
using LatencySink = void (*)(void* context, float micros);

// The synchronous round-robin loop of the baselines: calls
// `append_one(name, n, expected_version)` for stream "stream-<n>" (versions
// from 0 per stream) for
// `appends` appends over `streams`, timing each into `sink` if set. Returns
// the number for which append_one returned false.
template <class AppendOne>
int64_t RoundRobin(const StreamSet& streams, int64_t appends, LatencySink sink, void* sink_context,
                   AppendOne append_one) {
  using Clock = std::chrono::steady_clock;
  std::vector<uint64_t> versions((streams.count - streams.first + streams.stride - 1) /
                                 streams.stride);
  std::string name;
  int64_t failed = 0;
  size_t slot = 0;
  for (int64_t i = 0; i < appends; ++i) {
    const uint64_t n = streams.first + slot * streams.stride;
    StreamName(n, &name);
    const auto start = Clock::now();
    if (!append_one(name, n, versions[slot]++)) ++failed;
    if (sink != nullptr) {
      sink(sink_context, std::chrono::duration<float, std::micro>(Clock::now() - start).count());
    }
    if (++slot == versions.size()) slot = 0;
  }
  return failed;
}

class Target {
 public:
  virtual ~Target() = default;

  // Appends `appends` single events round-robin over `streams`, each with an
  // exact expected version, from the calling thread; several threads may
  // call it at once with disjoint sets. `pipelined` lets a target that can
  // keep many appends in flight from one thread (the engine's AppendAsync)
  // do so; the others append one at a time. With TargetOptions::event_ids
  // every event carries its EventId, checked before the write: an id
  // already written (a retry) is not written again, and the append succeeds
  // with the original result. Returns the number of failed appends.
  virtual int64_t AppendRoundRobin(const StreamSet& streams, int64_t appends, bool sync,
                                   bool pipelined, LatencySink sink, void* sink_context) = 0;

  // Appends `appends` batches of `batch` events each to one stream, each
  // batch atomic with an exact expected version. Returns failures.
  virtual int64_t AppendBatches(uint64_t stream, int64_t appends, int batch, bool pipelined) = 0;

  // Loads `events` events round-robin over `streams` streams as fast as the
  // target allows (set-up for the read workloads; not measured).
  virtual void Load(int64_t events, uint64_t streams) = 0;

  // Flushes memtables and compacts (or checkpoints), so reads meet the
  // on-disk layout rather than memory.
  virtual void Settle() = 0;

  // Reads stream `stream` from its first event to its last, decoding every
  // event and checking its version follows the previous one. Returns the
  // number of events read, or -1 on an error.
  virtual int64_t ReadStream(uint64_t stream) = 0;

  // Reads the whole log in position order, decoding every event. Returns the
  // number of events read, or -1 on an error.
  virtual int64_t ScanAll() = 0;

  // Q1: `threads` threads make `decisions` decisions in all, each over one
  // of `tags` tags picked at random: read the events carrying the tag,
  // decide, append one event with the tag on the condition that no event
  // with it was appended since the read; a conflict is read and decided
  // again. Returns the conflicts, or -1 where the target has no such
  // condition (raw RocksDB). Throws on a failed read or append.
  virtual int64_t Decide(int threads, int64_t decisions, int tags) {
    (void)threads, (void)decisions, (void)tags;
    return -1;
  }

  // A1's set-up (inventory.h): `history` events (HistoryType) for each of
  // products "product-0".."product-<products - 1>", not measured. A target
  // with snapshots starts taking them, one every kSnapshotEvery events of a
  // product, and returns once those of the set-up are taken. Throws on a
  // failure, and where the target has no A1 (raw RocksDB).
  virtual void LoadInventory(int products, int64_t history) {
    (void)products, (void)history;
    throw std::runtime_error("no aggregate commands");
  }

  // A1: the clerk of one command thread; several threads each hold their
  // own. Throws where the target has no A1.
  virtual std::unique_ptr<InventoryClerk> OpenClerk() {
    throw std::runtime_error("no aggregate commands");
  }

  // The engine's store, for the workloads only the engine has (L1, F1, V1);
  // null for the baselines.
  virtual Store* engine() { return nullptr; }
};

struct TargetOptions {
  // Durable appends: the engine's Durability::kSync, RocksDB sync=true,
  // SQLite synchronous=FULL (NORMAL otherwise).
  bool sync = false;
  // W5: the events of AppendRoundRobin carry caller-given ids (EventId) and
  // the target checks each before it writes: the engine's idempotent
  // appends, raw RocksDB's id key looked up per append, SQLite's UNIQUE id
  // column. Default: false (every event gets an id of the target's own).
  bool event_ids = false;
  // The engine's Options::live_feed_spin_us (L1, F1 with --spin-us).
  uint32_t live_feed_spin_us = 0;
  // The engine's Options::low_priority_background (--low-priority-background).
  bool low_priority_background = false;
};

// Opens (creating if needed) the target's store in directory `dir`.
// Throws std::runtime_error when it cannot.
std::unique_ptr<Target> OpenTarget(System system, const std::string& dir,
                                   const TargetOptions& options);

}  // namespace evlog::bench
