#include "loadtest/loadtest.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <tuple>

#include "client.h"
#include "evlog/store.h"
#include "frame.h"
#include "harness/child_process.h"
#include "harness/listening_line.h"
#include "harness/op_event_id.h"
#include "loadtest/misbehaver.h"
#include "loadtest/problems.h"
#include "protocol.h"

namespace evlog::loadtest {
namespace {

using std::chrono::milliseconds;

constexpr int kSharedStreams = 8;
constexpr char kType[] = "Loaded";

// ---- evlogd, started and stopped by its own pid ---------------------------

struct Daemon {
  // Its stdout stays open, so it never writes to a closed pipe.
  std::unique_ptr<harness::ChildProcess> child;
  uint16_t port = 0;
};

bool StartDaemon(const LoadOptions& o, int max_connections, Daemon& d, std::string& error) {
  const std::string log = o.db + ".evlogd.log";
  d.child = harness::ChildProcess::Start({o.evlogd, "--db", o.db, "--listen", "127.0.0.1:0",
                                          "--max-connections", std::to_string(max_connections)},
                                         harness::ChildOptions{.stderr_file = log}, &error);
  if (d.child == nullptr) return false;
  if (!harness::ReadListeningPort(d.child->out(), "evlogd listening on ", &d.port)) {
    error = "evlogd printed no listening line (see " + log + ")";
    return false;
  }
  return true;
}

// VmRSS and VmHWM of `pid`, KiB; false once the process is gone.
bool SampleRss(pid_t pid, uint64_t& rss, uint64_t& hwm) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return false;
  std::string key;
  uint64_t value = 0;
  bool any = false;
  while (in >> key) {
    if (key == "VmRSS:" && in >> value) {
      rss = value;
      any = true;
    } else if (key == "VmHWM:" && in >> value) {
      hwm = value;
    }
    in.ignore(1 << 20, '\n');
  }
  return any;
}

// The memory evlogd's store holds, KiB, asked over a session of its own:
// RocksDB's (memtables, block cache in use, table readers) and the
// writer's idempotency window (the caller ids of the last
// dedup_window_events positions, which the load's events all carry).
uint64_t StoreMemoryKib(uint16_t port, Problems& problems) {
  auto c = Client::Connect(ClientOptions{.host = "127.0.0.1", .port = port});
  Result<MetricsSnapshot> m = c.ok() ? (*c)->Metrics() : Result<MetricsSnapshot>(c.status());
  if (!m.ok()) {
    problems.Add("reading evlogd's metrics: " + m.status().ToString());
    return 0;
  }
  const RocksDbMetrics& r = m->rocksdb;
  return (r.memtable_bytes + r.block_cache_bytes + r.table_readers_bytes + m->id_window_bytes) /
         1024;
}

// Waits (up to `limit`) until evlogd's store has run no flush or compaction
// for `settle`, and awaits none: a compaction's buffers are in evlogd's RSS
// but not in StoreMemoryKib, and what a flush or compaction frees goes back
// to the system about a second after it ends (server.h). False if it did not
// get quiet in time (or the metrics could not be read).
bool WaitForQuietStore(uint16_t port, std::chrono::seconds limit, std::chrono::duration<double> settle,
                       Problems& problems) {
  auto c = Client::Connect(ClientOptions{.host = "127.0.0.1", .port = port});
  if (!c.ok()) {
    problems.Add("reading evlogd's metrics: " + c.status().ToString());
    return false;
  }
  const auto until = Clock::now() + limit;
  std::optional<uint64_t> settled_jobs;  // the jobs count `settle` ago, if quiet then
  for (;;) {
    Result<MetricsSnapshot> m = (*c)->Metrics();
    if (!m.ok()) {
      problems.Add("reading evlogd's metrics: " + m.status().ToString());
      return false;
    }
    const RocksDbMetrics& r = m->rocksdb;
    const bool idle = r.compactions_running == 0 && r.compactions_pending == 0;
    const uint64_t jobs = r.flushes + r.compactions;
    if (idle && settled_jobs == jobs) return true;
    if (Clock::now() >= until) return false;
    if (idle) {
      settled_jobs = jobs;
      std::this_thread::sleep_for(settle);
    } else {
      settled_jobs.reset();
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
}

// ---- well-behaved sessions: pipelined append chains ------------------------

// One append in flight at a time: to a stream of its own with an exact
// expected version (must succeed), or to a shared stream with the version
// last seen (may conflict, then retries with the actual version).
struct Chain {
  Client* client = nullptr;
  int session = 0;
  int index = 0;
  bool shared = false;
  std::mt19937_64 rng;
  uint64_t version = 0;  // own stream
  uint64_t next_op = 0;
};

// Raises `a` to `value`, never lowers it.
void RaiseTo(std::atomic<uint64_t>& a, uint64_t value) {
  uint64_t v = a.load();
  while (v < value && !a.compare_exchange_weak(v, value)) {
  }
}

class Load {
 public:
  // Refused appends and wrong reads go to the run's `problems`.
  explicit Load(Problems& p) : problems(p) {}

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> appends_acked{0}, events_acked{0}, conflicts{0}, reads{0}, events_read{0},
      last_position{0};
  std::array<std::atomic<uint64_t>, kSharedStreams> shared_versions{};
  Problems& problems;

  void Start(Chain& c) {
    {
      std::lock_guard lock(mu_);
      ++chains_running_;
    }
    Next(c);
  }

  // Waits until every chain has ended (after `stop`).
  bool WaitChains(milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return chains_running_ == 0; });
  }

  std::vector<AckedAppend> TakeAcks() {
    std::lock_guard lock(mu_);
    return std::move(acks_);
  }

 private:
  static std::string OwnStream(const Chain& c) {
    return "load-" + std::to_string(c.session) + "x" + std::to_string(c.index);
  }

  void End() {
    std::lock_guard lock(mu_);
    if (--chains_running_ == 0) cv_.notify_all();
  }

  void Next(Chain& c) {
    if (stop.load()) return End();
    const uint64_t op = (static_cast<uint64_t>(c.session) << 40) |
                        (static_cast<uint64_t>(c.index) << 32) | ++c.next_op;
    const int events = 1 + static_cast<int>(c.rng() % 3);
    const int shared = static_cast<int>(c.rng() % kSharedStreams);
    StreamAppend sa;
    if (c.shared) {
      sa.stream = "loadshared-" + std::to_string(shared);
      sa.expected = ExpectedVersion::Exact(Version(shared_versions[static_cast<size_t>(shared)]));
    } else {
      sa.stream = OwnStream(c);
      sa.expected = ExpectedVersion::Exact(Version(c.version));
    }
    for (int k = 0; k < events; ++k) {
      sa.events.push_back(EventData{.type = kType,
                                    .data = std::string(64 + c.rng() % 192, 'x'),
                                    .id = LoadEventId(op, static_cast<uint32_t>(k))});
    }
    AppendRequest request{.durability =
                              c.rng() % 8 == 0 ? Durability::kSync : Durability::kBuffered};
    request.streams.push_back(std::move(sa));
    c.client->AppendAsync(std::move(request), [this, &c, op, shared](Result<AppendResult> r) {
      if (r.ok()) {
        const StreamAppendResult& s = r->streams.at(0);
        const uint64_t count = s.last_version.value() - s.first_version.value() + 1;
        if (c.shared) {
          RaiseTo(shared_versions[static_cast<size_t>(shared)], s.last_version.value());
        } else {
          c.version = s.last_version.value();
        }
        RaiseTo(last_position, s.last_position.value());
        ++appends_acked;
        events_acked += count;
        {
          std::lock_guard lock(mu_);
          acks_.push_back(
              AckedAppend{s.stream, s.first_version.value(), count, s.first_position.value(), op});
        }
        return Next(c);
      }
      if (c.shared && r.status().IsWrongExpectedVersion() && r.status().actual_version()) {
        ++conflicts;
        RaiseTo(shared_versions[static_cast<size_t>(shared)], *r.status().actual_version());
        return Next(c);
      }
      problems.Add("session " + std::to_string(c.session) +
                   ": append refused: " + r.status().ToString());
      End();
    });
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int chains_running_ = 0;
  std::vector<AckedAppend> acks_;
};

// Reads on the well-behaved sessions, beside their appends: a piece of a
// stream (versions must be contiguous) or of the log (positions must be).
void ReadLoop(Load& load, const std::vector<std::unique_ptr<Client>>& clients, int pipeline,
              uint64_t seed) {
  std::mt19937_64 rng(seed);
  while (!load.stop.load()) {
    const size_t s = rng() % clients.size();
    if (rng() % 2 == 0) {
      const std::string stream = "load-" + std::to_string(s) + "x" +
                                 std::to_string(rng() % static_cast<uint64_t>(pipeline));
      auto events = Collect(clients[s]->ReadStream(stream, {.max_count = 50}));
      if (!events.ok()) {
        if (!events.status().IsNotFound()) {
          load.problems.Add("read " + stream + ": " + events.status().ToString());
        }
        continue;
      }
      for (size_t i = 0; i < events->size(); ++i) {
        if ((*events)[i].version.value() != i + 1) {
          load.problems.Add("read " + stream + ": version " +
                            std::to_string((*events)[i].version.value()) + " at index " +
                            std::to_string(i));
          break;
        }
      }
      load.events_read += events->size();
    } else {
      const uint64_t last = load.last_position.load();
      const uint64_t from = last == 0 ? 1 : 1 + rng() % last;
      auto events = Collect(clients[s]->ReadAll({.from = Position(from), .max_count = 100}));
      if (!events.ok()) {
        load.problems.Add("read the log: " + events.status().ToString());
        continue;
      }
      for (size_t i = 0; i < events->size(); ++i) {
        if ((*events)[i].position.value() != from + i) {
          load.problems.Add("read the log from " + std::to_string(from) + ": position " +
                            std::to_string((*events)[i].position.value()) + " at index " +
                            std::to_string(i));
          break;
        }
      }
      load.events_read += events->size();
    }
    ++load.reads;
  }
}


void RaiseFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

Uuid LoadEventId(uint64_t op, uint32_t k) { return harness::OpEventId(op, k, 0x1d); }

// Every acknowledged append at its place, and nothing else in the log. Each
// stream is read once, whole, and its acks checked against it.
void VerifyAcks(Store& store, std::vector<AckedAppend> acks, LoadResult& result) {
  Problems problems;
  std::sort(acks.begin(), acks.end(), [](const AckedAppend& a, const AckedAppend& b) {
    return std::tie(a.stream, a.first_version) < std::tie(b.stream, b.first_version);
  });
  std::string stream;
  std::vector<std::pair<uint64_t, Uuid>> events;  // index: version - 1
  for (const AckedAppend& a : acks) {
    if (a.stream != stream) {
      stream = a.stream;
      events.clear();
      auto it = store.ReadStream(stream);
      if (!it.ok()) {
        problems.Add("reading " + stream + ": " + it.status().ToString());
      } else {
        for (; (*it)->Valid(); (*it)->Next()) {
          events.emplace_back((*it)->event().position.value(), (*it)->event().id);
        }
        if (!(*it)->status().ok())
          problems.Add("reading " + stream + ": " + (*it)->status().ToString());
      }
    }
    for (uint64_t k = 0; k < a.count; ++k) {
      const uint64_t version = a.first_version + k;
      if (version > events.size()) {
        problems.Add("LOST: " + a.stream + " v" + std::to_string(version) +
                     " was acknowledged, the stream ends at v" + std::to_string(events.size()));
        break;
      }
      const auto& [position, id] = events[version - 1];
      if (position != a.first_position + k || id != LoadEventId(a.op, static_cast<uint32_t>(k))) {
        problems.Add("acknowledged " + a.stream + " v" + std::to_string(version) + " at position " +
                     std::to_string(a.first_position + k) +
                     " is not there as acknowledged (position " + std::to_string(position) + ")");
        break;
      }
      ++result.events_verified;
    }
  }
  result.log_events = store.LastPosition().value();
  if (result.log_events != result.events_acked + result.preloaded_events) {
    problems.Add("the log holds " + std::to_string(result.log_events) + " events, " +
                 std::to_string(result.events_acked) + " were acknowledged" +
                 (result.preloaded_events > 0
                      ? " and " + std::to_string(result.preloaded_events) + " preloaded"
                      : ""));
  }
  for (std::string& p : problems.Take()) result.problems.push_back(std::move(p));
}

namespace {
// Appends `mib` MiB of 512 KiB events to "loadtest-big". Returns the events
// appended, or 0 with `error` set.
uint64_t Preload(const std::string& db, int mib, std::string& error) {
  auto store = Store::Open(Options{}, db);
  if (!store.ok()) {
    error = "preload: opening " + db + ": " + store.status().ToString();
    return 0;
  }
  const uint64_t events = static_cast<uint64_t>(mib) * 2;
  for (uint64_t i = 0; i < events; ++i) {
    AppendRequest request;
    request.streams.push_back(StreamAppend{
        "loadtest-big", ExpectedVersion::Any(), {EventData{.type = "Big", .data = std::string(
                                                                              512 << 10, 'b')}}});
    request.durability = Durability::kBuffered;
    if (auto r = (*store)->Append(std::move(request)); !r.ok()) {
      error = "preload: " + r.status().ToString();
      return 0;
    }
  }
  return events;
}
}  // namespace

LoadResult RunLoad(const LoadOptions& o) {
  LoadResult result;
  Problems problems;
  RaiseFdLimit();
  if (o.preload_mib > 0) {
    std::string error;
    result.preloaded_events = Preload(o.db, o.preload_mib, error);
    if (result.preloaded_events == 0) {
      result.problems.push_back(error);
      return result;
    }
  }
  // Room for everyone, plus the reconnecting raw sessions' closing ones.
  const int max_connections = o.sessions + o.slow_readers + 2 * o.malformed + 2 * o.half_open + 16;
  Daemon daemon;
  std::string error;
  if (!StartDaemon(o, max_connections, daemon, error)) {
    result.problems.push_back(error);
    return result;
  }

  // Samples the daemon's memory, and whether it still runs (reaping it if
  // it died, so its pid is never signalled afterwards).
  std::atomic<bool> sampling{true}, alive{true};
  uint64_t max_rss = 0, peak = 0;
  if (o.preload_mib > 0) {
    // Warm evlogd's block cache with the preloaded log, so that the baseline
    // is what an idle evlogd with warm caches holds; it returns what the
    // read freed within a second of the session's close.
    if (auto warm = Client::Connect(ClientOptions{.host = "127.0.0.1", .port = daemon.port});
        warm.ok()) {
      if (auto all = (*warm)->ReadAll(); !all.ok()) {
        problems.Add("warming evlogd: " + all.status().ToString());
      }
    }
    std::this_thread::sleep_for(milliseconds(1500));
  }
  {
    uint64_t hwm = 0;
    SampleRss(daemon.child->pid(), result.baseline_rss_kib, hwm);
    result.store_memory_baseline_kib = StoreMemoryKib(daemon.port, problems);
  }
  std::thread sampler([&] {
    while (sampling.load()) {
      uint64_t rss = 0, hwm = 0;
      if (!SampleRss(daemon.child->pid(), rss, hwm) || daemon.child->TryWait().has_value()) {
        const int status = daemon.child->Wait();
        alive = false;
        problems.Add("evlogd died during the load (wait status " + std::to_string(status) + ")");
        return;
      }
      max_rss = std::max(max_rss, rss);
      peak = std::max(peak, hwm);
      std::this_thread::sleep_for(milliseconds(100));
    }
  });

  const auto started = Clock::now();
  Load load(problems);
  std::vector<std::unique_ptr<Client>> clients;
  for (int s = 0; s < o.sessions; ++s) {
    auto c = Client::Connect(ClientOptions{
        .host = "127.0.0.1", .port = daemon.port, .client_name = "loadtest-" + std::to_string(s)});
    if (!c.ok()) {
      problems.Add("session " + std::to_string(s) + " could not connect: " + c.status().ToString());
      break;
    }
    clients.push_back(std::move(c).value());
  }
  std::vector<std::unique_ptr<Chain>> chains;
  for (size_t s = 0; s < clients.size(); ++s) {
    for (int i = 0; i <= o.pipeline; ++i) {
      auto c = std::make_unique<Chain>();
      c->client = clients[s].get();
      c->session = static_cast<int>(s);
      c->index = i;
      c->shared = i == o.pipeline;
      c->rng.seed(o.seed * 7919 + s * 131 + static_cast<uint64_t>(i));
      chains.push_back(std::move(c));
    }
  }
  for (auto& c : chains) load.Start(*c);
  std::vector<std::thread> readers;
  if (!clients.empty()) {
    for (int i = 0; i < o.readers; ++i) {
      readers.emplace_back(ReadLoop, std::ref(load), std::cref(clients), o.pipeline,
                           o.seed + static_cast<uint64_t>(i));
    }
  }
  Misbehaver misbehaver(o, daemon.port, problems);
  const auto until = started + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(o.seconds));
  while (Clock::now() < until && alive.load()) {
    misbehaver.Tick();
    std::this_thread::sleep_for(milliseconds(20));
  }

  // Stop: every append chain ends with its last answer, so each append is
  // either acknowledged or refused when the daemon is stopped.
  load.stop = true;
  for (auto& t : readers) t.join();
  if (!load.WaitChains(std::chrono::seconds(60))) {
    problems.Add("appends still unanswered 60 s after the load stopped");
  }
  misbehaver.CloseBusy();
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  clients.clear();
  // What evlogd keeps once the busy sessions have gone and the load's
  // flushes and compactions have ended (it returns freed memory at most once
  // a second).
  if (alive.load() &&
      !WaitForQuietStore(daemon.port, std::chrono::seconds(60),
                         std::chrono::duration<double>(o.settle_seconds), problems)) {
    problems.Add("evlogd's store was still flushing or compacting 60 s after the load stopped");
  }
  if (alive.load()) {
    result.store_memory_after_close_kib = StoreMemoryKib(daemon.port, problems);
    uint64_t hwm = 0;
    SampleRss(daemon.child->pid(), result.rss_after_close_kib, hwm);
  }
  sampling = false;
  sampler.join();
  result.evlogd_alive = alive.load();
  result.max_sampled_rss_kib = max_rss;
  result.peak_rss_kib = peak;
  if (result.evlogd_alive) {
    uint64_t rss = 0, hwm = 0;
    if (SampleRss(daemon.child->pid(), rss, hwm))
      result.peak_rss_kib = std::max(result.peak_rss_kib, hwm);
    const auto stopping = Clock::now();
    daemon.child->Signal(SIGTERM);
    result.evlogd_status = daemon.child->WaitFor(std::chrono::seconds(60)).value_or(-1);
    result.stop_seconds = std::chrono::duration<double>(Clock::now() - stopping).count();
    if (result.evlogd_status == -1) {
      problems.Add("evlogd did not exit within 60 s of SIGTERM");
      daemon.child->Signal(SIGKILL);
      daemon.child->WaitFor(std::chrono::seconds(10));
    } else if (result.evlogd_status != 0) {
      problems.Add("evlogd exited with wait status " + std::to_string(result.evlogd_status) +
                   " after SIGTERM");
    }
  } else {
    result.evlogd_status = daemon.child->Wait();  // reaped by the sampler
  }
  misbehaver.CloseAll();

  const RawCounts& counts = misbehaver.counts();
  result.appends_acked = load.appends_acked;
  result.events_acked = load.events_acked;
  result.conflicts = load.conflicts;
  result.reads = load.reads;
  result.events_read = load.events_read;
  result.slow_reader_requests = counts.slow_requests;
  result.malformed_sent = counts.malformed_sent;
  result.malformed_closed = counts.malformed_closed;
  result.half_open_opened = counts.half_open_opened;
  for (std::string& p : problems.Take()) result.problems.push_back(std::move(p));
  if (daemon.child->reaped()) {
    const auto verifying = Clock::now();
    auto store = Store::Open(Options{}, o.db);
    if (store.ok()) {
      VerifyAcks(**store, load.TakeAcks(), result);
    } else {
      result.problems.push_back("reopening the store: " + store.status().ToString());
    }
    result.verify_seconds = std::chrono::duration<double>(Clock::now() - verifying).count();
  }
  return result;
}

}  // namespace evlog::loadtest
