#include "torture/child.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "evlog/subscription.h"
#include "torture/ack.h"

namespace evlog::torture {
namespace {

constexpr int kStreamsPerThread = 8;

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
            EventData{.type = kEventType, .data = std::to_string(op), .id = EventId(op, k)});
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

}  // namespace

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

}  // namespace evlog::torture
