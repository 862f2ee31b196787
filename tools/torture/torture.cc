#include "torture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "evlog/subscription.h"
#include "evlog/view.h"

namespace evlog::torture {
namespace {

constexpr int kStreamsPerThread = 8;
constexpr char kType[] = "Tortured";

std::string StreamOf(int thread, int i) {
  return "torture-" + std::to_string(thread) + "x" + std::to_string(i);
}

// Writes the whole line with one write(2): lines of all threads stay whole
// on the pipe (each is far below PIPE_BUF).
bool WriteLine(const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

Ack AckOf(uint64_t op, const AppendResult& result) {
  Ack ack{.op = op};
  for (const StreamAppendResult& s : result.streams) {
    ack.streams.push_back(
        AckedStream{s.stream, s.first_version, s.last_version, s.first_position, s.last_position});
  }
  return ack;
}

bool SameResult(const Ack& a, const Ack& b) {
  if (a.streams.size() != b.streams.size()) return false;
  for (size_t i = 0; i < a.streams.size(); ++i) {
    const AckedStream &x = a.streams[i], &y = b.streams[i];
    if (x.stream != y.stream || x.first_version != y.first_version ||
        x.last_version != y.last_version || x.first_position != y.first_position ||
        x.last_position != y.last_position) {
      return false;
    }
  }
  return true;
}

// One appending thread of the child: random single, batch and multi-stream
// appends to its own streams with exact expected versions, and retries of
// its previous append (which must come back deduplicated).
int AppendLoop(Store& store, const ChildOptions& o, int thread) {
  std::mt19937_64 rng(o.seed * 1'000'003 + o.run * 101 + static_cast<uint64_t>(thread));
  std::vector<uint64_t> versions(kStreamsPerThread);
  for (int i = 0; i < kStreamsPerThread; ++i) {
    auto v = store.StreamVersion(StreamOf(thread, i));
    if (!v.ok()) {
      if (!v.status().IsNotFound()) return 4;
      versions[static_cast<size_t>(i)] = 0;
    } else {
      versions[static_cast<size_t>(i)] = v->value();
    }
  }
  const uint64_t op_base = (o.run << 40) | (static_cast<uint64_t>(thread) << 32);
  std::optional<std::pair<AppendRequest, Ack>> previous;
  for (uint64_t seq = 1;; ++seq) {
    const int kind = static_cast<int>(rng() % 10);
    if (kind == 0 && previous) {  // retry the previous append: same ids
      auto r = store.Append(previous->first);
      if (!r.ok() || !r->deduplicated ||
          !SameResult(AckOf(previous->second.op, *r), previous->second)) {
        std::fprintf(stderr, "torture child: retry of op %llu was not deduplicated: %s\n",
                     static_cast<unsigned long long>(previous->second.op),
                     r.ok() ? "a different result" : r.status().ToString().c_str());
        return 3;
      }
      continue;
    }
    const uint64_t op = op_base | seq;
    AppendRequest request{.durability = Durability::kSync};
    std::vector<int> targets;
    const int first = static_cast<int>(rng() % kStreamsPerThread);
    targets.push_back(first);
    if (kind <= 3) targets.push_back((first + 1 + static_cast<int>(rng() % 7)) % kStreamsPerThread);
    const int events = kind >= 8 ? 5 : 1;
    uint32_t k = 0;
    for (int t : targets) {
      StreamAppend& sa = request.streams.emplace_back();
      sa.stream = StreamOf(thread, t);
      sa.expected = ExpectedVersion::Exact(Version(versions[static_cast<size_t>(t)]));
      for (int e = 0; e < events; ++e, ++k) {
        sa.events.push_back(
            EventData{.type = kType, .data = std::to_string(op), .id = EventId(op, k)});
      }
    }
    auto r = store.Append(request);
    if (!r.ok()) {
      std::fprintf(stderr, "torture child: append failed: %s\n", r.status().ToString().c_str());
      return 5;
    }
    for (int t : targets) versions[static_cast<size_t>(t)] += static_cast<uint64_t>(events);
    Ack ack = AckOf(op, *r);
    if (!WriteLine(FormatAck(ack))) return 6;
    previous.emplace(std::move(request), std::move(ack));
  }
}

// The view's handler: per stream, how many events it has; "total" counts
// all. A double-applied event shows as a count above the log's.
Status CountEvents(const std::vector<OwnedEvent>& events, ViewWriter& out) {
  std::map<std::string, uint64_t> counts;
  for (const OwnedEvent& e : events) {
    ++counts["count/" + e.stream];
    ++counts["total"];
  }
  for (const auto& [key, n] : counts) {
    auto current = out.Get(key);
    if (!current.ok()) return current.status();
    const uint64_t before = current->has_value() ? std::stoull(**current) : 0;
    out.Put(key, std::to_string(before + n));
  }
  return Status::OK();
}

ViewOptions CounterViewOptions() {
  // Small batches: more commits, more places for a kill to land.
  return ViewOptions{.name = kViewName, .feed = {.max_batch_events = 7}};
}

// The subscription's handler: the batch's positions to the side file, on
// disk before the handler returns (and so before the checkpoint).
class HandledFile {
 public:
  explicit HandledFile(const std::string& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {}
  ~HandledFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  Status Record(const std::vector<OwnedEvent>& events) {
    std::string lines;
    for (const OwnedEvent& e : events) lines += std::to_string(e.position.value()) + "\n";
    size_t done = 0;
    while (done < lines.size()) {
      ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::IOError(std::string("side file: ") + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    if (::fdatasync(fd_) != 0) {
      return Status::IOError(std::string("side file fdatasync: ") + std::strerror(errno));
    }
    return Status::OK();
  }

 private:
  int fd_;
};

// The count of every stream in the view, by stream name.
std::map<std::string, uint64_t> ViewCounts(Store& store, Verification& v) {
  std::map<std::string, uint64_t> counts;
  auto rows = store.ViewScan(kViewName, "count/");
  if (!rows.ok()) {
    if (!rows.status().IsNotFound()) {
      v.problems.push_back("view scan: " + rows.status().ToString());
    }
    return counts;
  }
  for (const auto& [key, value] : *rows) counts[key.substr(6)] = std::stoull(value);
  return counts;
}

void CompareCounts(const std::map<std::string, uint64_t>& view,
                   const std::map<std::string, uint64_t>& log, const std::string& when,
                   Verification& v) {
  for (const auto& [stream, n] : log) {
    auto it = view.find(stream);
    const uint64_t got = it == view.end() ? 0 : it->second;
    if (got != n && v.problems.size() < 20) {
      v.problems.push_back("view " + when + ": " + stream + " counted " + std::to_string(got) +
                           " times, the log has " + std::to_string(n) +
                           (got > n ? " (applied twice)" : " (skipped)"));
    }
  }
  for (const auto& [stream, n] : view) {
    if (!log.contains(stream) && v.problems.size() < 20) {
      v.problems.push_back("view " + when + ": counts " + std::to_string(n) + " events of " +
                           stream + ", which has none there");
    }
  }
}

}  // namespace

Uuid EventId(uint64_t op, uint32_t k) {
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i)
    bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(op >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i)
    bytes[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(k >> (24 - 8 * i));
  bytes[15] = 0x7e;  // never nil
  return Uuid(bytes);
}

std::string FormatAck(const Ack& ack) {
  std::string line = "ack " + std::to_string(ack.op);
  for (const AckedStream& s : ack.streams) {
    line += " " + s.stream + " " + std::to_string(s.first_version.value()) + " " +
            std::to_string(s.last_version.value()) + " " +
            std::to_string(s.first_position.value()) + " " +
            std::to_string(s.last_position.value());
  }
  return line + "\n";
}

bool ParseAck(const std::string& line, Ack* ack) {
  std::istringstream in(line);
  std::string word;
  if (!(in >> word) || word != "ack" || !(in >> ack->op)) return false;
  ack->streams.clear();
  AckedStream s;
  uint64_t fv, lv, fp, lp;
  while (in >> s.stream) {
    if (!(in >> fv >> lv >> fp >> lp) || fv == 0 || lv < fv || fp == 0 || lp < fp ||
        lp - fp != lv - fv) {
      return false;
    }
    s.first_version = Version(fv);
    s.last_version = Version(lv);
    s.first_position = Position(fp);
    s.last_position = Position(lp);
    ack->streams.push_back(s);
  }
  return !ack->streams.empty();
}

AppendRequest RebuildAppend(const Ack& ack) {
  AppendRequest request{.durability = Durability::kSync};
  uint32_t k = 0;
  for (const AckedStream& s : ack.streams) {
    StreamAppend& sa = request.streams.emplace_back();
    sa.stream = s.stream;
    for (uint64_t v = s.first_version.value(); v <= s.last_version.value(); ++v, ++k) {
      sa.events.push_back(
          EventData{.type = kType, .data = std::to_string(ack.op), .id = EventId(ack.op, k)});
    }
  }
  return request;
}

int RunChild(const ChildOptions& o) {
  auto store = Store::Open(Options{}, o.db);
  if (!store.ok()) {
    std::fprintf(stderr, "torture child: open: %s\n", store.status().ToString().c_str());
    return 2;
  }
  // Killed with the appenders: the view mid-batch, the subscription between
  // its side file and its checkpoint.
  auto view = (*store)->OpenView(CounterViewOptions(), CountEvents);
  if (!view.ok()) {
    std::fprintf(stderr, "torture child: view: %s\n", view.status().ToString().c_str());
    return 2;
  }
  HandledFile handled(o.handled);
  if (!handled.ok()) {
    std::fprintf(stderr, "torture child: %s: %s\n", o.handled.c_str(), std::strerror(errno));
    return 2;
  }
  auto subscription = (*store)->Subscribe(
      SubscriptionOptions{.name = kSubscriptionName,
                          .feed = {.max_batch_events = 11},
                          .on_failure = FailurePolicy::kStop},
      [&handled](const std::vector<OwnedEvent>& events) { return handled.Record(events); });
  if (!subscription.ok()) {
    std::fprintf(stderr, "torture child: subscribe: %s\n",
                 subscription.status().ToString().c_str());
    return 2;
  }
  std::vector<std::thread> threads;
  std::vector<int> codes(static_cast<size_t>(o.threads));
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] { codes[static_cast<size_t>(t)] = AppendLoop(**store, o, t); });
  }
  for (auto& t : threads) t.join();  // only on an error: the parent kills us
  for (int c : codes) {
    if (c != 0) return c;
  }
  return 0;
}

Position VerifyViewAtRest(Store& store, Verification& v) {
  Position position;
  auto progress = store.GetViewProgress(kViewName);
  if (progress.ok()) {
    position = progress->position;
  } else if (!progress.status().IsNotFound()) {
    v.problems.push_back("view progress: " + progress.status().ToString());
    return position;
  }
  if (position > store.LastPosition()) {
    v.problems.push_back("view at position " + std::to_string(position.value()) +
                         ", beyond the log's last " + std::to_string(store.LastPosition().value()));
  }
  std::map<std::string, uint64_t> log;
  uint64_t total = 0;
  if (position.value() > 0) {
    auto all = store.ReadAll({.max_count = position.value()}).value();
    for (; all->Valid(); all->Next()) {
      ++log[std::string(all->event().stream)];
      ++total;
    }
    if (!all->status().ok()) v.problems.push_back("reading the log: " + all->status().ToString());
  }
  CompareCounts(ViewCounts(store, v), log, "at rest", v);
  auto stored_total = store.ViewGet(kViewName, "total");
  const uint64_t counted =
      stored_total.ok() && stored_total->has_value() ? std::stoull(**stored_total) : 0;
  if (counted != total) {
    v.problems.push_back("view at rest: total " + std::to_string(counted) + " at position " +
                         std::to_string(position.value()) + ", the log has " +
                         std::to_string(total) + " events up to there");
  }
  return position;
}

void VerifyViewCaughtUp(Store& store, Verification& v) {
  auto view = store.OpenView(CounterViewOptions(), CountEvents);
  if (!view.ok()) {
    v.problems.push_back("view reopen: " + view.status().ToString());
    return;
  }
  if (Status s = (*view)->WaitFor(store.LastPosition(), std::chrono::seconds(60)); !s.ok()) {
    v.problems.push_back("view catch-up: " + s.ToString());
    return;
  }
  (*view)->Stop();
  std::map<std::string, uint64_t> heads;
  auto streams = store.ListStreams();
  for (const StreamInfo& s : streams.ok() ? *streams : std::vector<StreamInfo>{}) {
    heads[s.name] = s.version.value();
  }
  CompareCounts(ViewCounts(store, v), heads, "caught up", v);
}

std::vector<std::string> CheckSubscriptionRun(const SubscriptionRun& run) {
  std::vector<std::string> problems;
  uint64_t expected = run.checkpoint_before + 1;
  for (uint64_t p : run.handled) {
    if (p != expected) {
      problems.push_back("subscription handled position " + std::to_string(p) + " where " +
                         std::to_string(expected) + " was next (checkpoint before the run " +
                         std::to_string(run.checkpoint_before) + ")" +
                         (p > expected ? ": skipped" : ": out of order"));
      break;
    }
    ++expected;
  }
  const uint64_t reached = run.handled.empty() ? run.checkpoint_before : run.handled.back();
  if (run.checkpoint_after < run.checkpoint_before) {
    problems.push_back("subscription checkpoint went back from " +
                       std::to_string(run.checkpoint_before) + " to " +
                       std::to_string(run.checkpoint_after));
  }
  if (run.checkpoint_after > reached) {
    problems.push_back("subscription checkpoint " + std::to_string(run.checkpoint_after) +
                       " is beyond the last handled position " + std::to_string(reached) +
                       ": positions were skipped");
  }
  if (run.checkpoint_after > run.last_position) {
    problems.push_back("subscription checkpoint " + std::to_string(run.checkpoint_after) +
                       " is beyond the log's last position " + std::to_string(run.last_position));
  }
  return problems;
}

std::vector<uint64_t> ReadHandled(const std::string& path) {
  std::vector<uint64_t> positions;
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = text.substr(start, end - start);
    if (line.empty() || line.find_first_not_of("0123456789") != std::string::npos) {
      positions.push_back(0);  // never a position: CheckSubscriptionRun reports it
      continue;
    }
    positions.push_back(std::stoull(line));
  }
  return positions;
}

namespace {

uint64_t SubscriptionCheckpoint(Store& store, std::vector<std::string>& problems) {
  auto subs = store.ListSubscriptions();
  if (!subs.ok()) {
    problems.push_back("listing subscriptions: " + subs.status().ToString());
    return 0;
  }
  for (const SubscriptionInfo& s : *subs) {
    if (s.name == kSubscriptionName) return s.checkpoint.value();
  }
  return 0;
}

}  // namespace

Verification Verify(Store& store, const std::map<uint64_t, Ack>& acks, int retries) {
  Verification v;
  auto problem = [&](std::string what) {
    if (v.problems.size() < 20) v.problems.push_back(std::move(what));
  };

  // The global log: positions 1..N without gaps, no id twice.
  const uint64_t last = store.LastPosition().value();
  std::set<Uuid> ids;
  uint64_t expected_position = 1;
  auto all = store.ReadAll().value();
  for (; all->Valid(); all->Next()) {
    const RecordedEvent& e = all->event();
    if (e.position.value() != expected_position) {
      problem("gap: position " + std::to_string(e.position.value()) + " follows " +
              std::to_string(expected_position - 1));
      expected_position = e.position.value();
    }
    ++expected_position;
    if (!ids.insert(e.id).second) problem("event id " + e.id.ToString() + " appears twice");
    ++v.events;
  }
  if (!all->status().ok()) problem("reading the log: " + all->status().ToString());
  if (v.events != last) {
    problem("the log holds " + std::to_string(v.events) + " events, the last position is " +
            std::to_string(last));
  }

  // Every stream: versions 1..head without a hole. Each stream is read once,
  // here: the acknowledged events are checked against what it held (one
  // ReadStream per acknowledged append made each round O(acks) reads).
  std::map<std::string, std::vector<std::pair<Position, Uuid>>> stream_events;
  auto streams = store.ListStreams();
  if (!streams.ok()) problem("listing streams: " + streams.status().ToString());
  for (const StreamInfo& s : streams.ok() ? *streams : std::vector<StreamInfo>{}) {
    auto it = store.ReadStream(s.name);
    if (!it.ok()) {
      problem("reading " + s.name + ": " + it.status().ToString());
      continue;
    }
    uint64_t version = 0;
    auto& events = stream_events[s.name];
    for (; (*it)->Valid(); (*it)->Next()) {
      if ((*it)->event().version.value() != ++version) {
        problem(s.name + ": version " + std::to_string((*it)->event().version.value()) + " where " +
                std::to_string(version) + " belongs");
        break;
      }
      events.emplace_back((*it)->event().position, (*it)->event().id);  // at version - 1
    }
    if (version != s.version.value()) {
      problem(s.name + ": " + std::to_string(version) + " events, head at " +
              std::to_string(s.version.value()));
    }
  }

  // Every acknowledged event where it was acknowledged.
  const std::vector<std::pair<Position, Uuid>> none;
  for (const auto& [op, ack] : acks) {
    uint32_t k = 0;
    for (const AckedStream& s : ack.streams) {
      auto held = stream_events.find(s.stream);
      const auto& events = held == stream_events.end() ? none : held->second;
      const uint64_t count = s.last_version.value() - s.first_version.value() + 1;
      uint64_t found = 0;
      for (; found < count && s.first_version.value() + found <= events.size(); ++found, ++k) {
        const auto& [position, id] = events[s.first_version.value() + found - 1];
        if (position.value() != s.first_position.value() + found || id != EventId(op, k)) {
          problem("op " + std::to_string(op) + ": " + s.stream + " v" +
                  std::to_string(s.first_version.value() + found) +
                  " is not the acknowledged event");
          break;
        }
        ++v.acked_events;
      }
      if (found != count) {
        problem("LOST: op " + std::to_string(op) + " acknowledged " + s.stream + " v" +
                std::to_string(s.first_version.value()) + ".." +
                std::to_string(s.last_version.value()) + ", found " + std::to_string(found));
        k += static_cast<uint32_t>(count - found);
      }
    }
  }

  // Retries of acknowledged appends are answered from the dedup index.
  if (retries > 0 && !acks.empty()) {
    const size_t step = std::max<size_t>(1, acks.size() / static_cast<size_t>(retries));
    size_t i = 0;
    for (const auto& [op, ack] : acks) {
      if (i++ % step != 0) continue;
      auto r = store.Append(RebuildAppend(ack));
      if (!r.ok() || !r->deduplicated || !SameResult(AckOf(op, *r), ack)) {
        problem("retry of op " + std::to_string(op) + " was not answered as a duplicate: " +
                (r.ok() ? "written again" : r.status().ToString()));
      }
      ++v.retries_checked;
    }
  }
  return v;
}

TortureResult RunTorture(const TortureOptions& o) {
  TortureResult result;
  std::map<uint64_t, Ack> acks;
  std::mt19937_64 rng(o.seed);
  const std::string handled_path = o.db + ".handled";
  uint64_t checkpoint = 0;
  {
    auto store = Store::Open(Options{}, o.db);
    if (!store.ok()) {
      result.problems.push_back("open: " + store.status().ToString());
      return result;
    }
    checkpoint = SubscriptionCheckpoint(**store, result.problems);
  }
  for (int round = 1; round <= o.kills; ++round) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
      result.problems.push_back(std::string("pipe: ") + std::strerror(errno));
      return result;
    }
    // A child killed before it truncates the side file must not leave the
    // previous run's positions to be read as its own.
    ::unlink(handled_path.c_str());
    pid_t pid = fork();
    if (pid == 0) {
      dup2(pipe_fds[1], STDOUT_FILENO);
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      const std::string run = std::to_string(round), threads = std::to_string(o.threads),
                        seed = std::to_string(o.seed);
      execl(o.self.c_str(), o.self.c_str(), "child", "--db", o.db.c_str(), "--run", run.c_str(),
            "--threads", threads.c_str(), "--seed", seed.c_str(), "--handled", handled_path.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(pipe_fds[1]);
    if (pid < 0) {
      close(pipe_fds[0]);
      result.problems.push_back(std::string("fork: ") + std::strerror(errno));
      return result;
    }
    const int ms =
        o.min_ms + static_cast<int>(rng() % static_cast<uint64_t>(o.max_ms - o.min_ms + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    // Every complete line the child wrote before it died.
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = read(pipe_fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) out.append(buf, static_cast<size_t>(n));
    }
    close(pipe_fds[0]);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
      result.problems.push_back("round " + std::to_string(round) +
                                ": the child ended by itself (status " + std::to_string(status) +
                                ") before it was killed");
      return result;
    }
    size_t start = 0;
    for (size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
      Ack ack;
      if (!ParseAck(out.substr(start, end - start), &ack)) {
        result.problems.push_back("unreadable ack line: " + out.substr(start, end - start));
        continue;
      }
      acks[ack.op] = std::move(ack);
      ++result.acknowledged_appends;
    }
    result.kills = round;

    auto store = Store::Open(Options{}, o.db);
    if (!store.ok()) {
      result.problems.push_back("round " + std::to_string(round) +
                                ": reopen failed: " + store.status().ToString());
      return result;
    }
    // Replays are cheap but not free: a handful per round, all of them at the end.
    Verification v = Verify(**store, acks, round == o.kills ? 1000 : 5);
    result.events_verified = v.events;
    result.retries_checked += v.retries_checked;

    // The subscription: resumed after its checkpoint, nothing skipped.
    SubscriptionRun run{.handled = ReadHandled(handled_path),
                        .checkpoint_before = checkpoint,
                        .checkpoint_after = SubscriptionCheckpoint(**store, v.problems),
                        .last_position = (*store)->LastPosition().value()};
    for (auto& p : CheckSubscriptionRun(run)) v.problems.push_back(std::move(p));
    checkpoint = run.checkpoint_after;
    result.subscription_handled += run.handled.size();
    result.subscription_checkpoint = checkpoint;
    // The view: exactly once at the position it was killed at, and after
    // catching up (which the next child then resumes from).
    result.view_position = VerifyViewAtRest(**store, v).value();
    VerifyViewCaughtUp(**store, v);
    for (auto& p : v.problems)
      result.problems.push_back("round " + std::to_string(round) + ": " + p);
    if (!result.problems.empty()) return result;
    if (o.progress && (round % 50 == 0 || round == o.kills)) {
      std::fprintf(stderr,
                   "torture: %d/%d kills, %llu appends acknowledged, %llu events verified\n", round,
                   o.kills, static_cast<unsigned long long>(result.acknowledged_appends),
                   static_cast<unsigned long long>(result.events_verified));
    }
  }
  return result;
}

}  // namespace evlog::torture
