// S1: the engine through evlogd over loopback. The worker starts evlogd on
// its store directory (an ephemeral port on 127.0.0.1), connects with
// evlog::Client and runs the W1 or W3 shape, pipelined on one session, or
// measures append latency at a steady 10,000 appends/s; then stops evlogd
// with SIGTERM (its drain) and reaps it.

#include "daemon_run.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "client.h"
#include "harness/child_process.h"
#include "harness/listening_line.h"
#include "target.h"

namespace evlog::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// evlogd as a child process, stopped with SIGTERM (its drain) and reaped
// when this goes.
class Daemon {
 public:
  Daemon(const std::string& evlogd, const std::string& db) {
    std::string error;
    child_ =
        harness::ChildProcess::Start({evlogd, "--db", db, "--listen", "127.0.0.1:0"}, {}, &error);
    if (child_ == nullptr) throw std::runtime_error(error);
    if (!harness::ReadListeningPort(child_->out(), "evlogd listening on ", &port_)) {
      throw std::runtime_error("evlogd did not start");
    }
  }

  ~Daemon() { child_->KillAndWait(SIGTERM); }

  uint16_t port() const { return port_; }

 private:
  std::unique_ptr<harness::ChildProcess> child_;
  uint16_t port_ = 0;
};

std::unique_ptr<Client> Connect(uint16_t port) {
  auto client = Client::Connect({.host = "127.0.0.1", .port = port, .client_name = "evlog-bench"});
  if (!client.ok()) throw std::runtime_error("connect: " + client.status().ToString());
  return std::move(client).value();
}

AppendRequest Single(uint64_t stream, uint64_t expected, std::string* name) {
  StreamName(stream, name);
  AppendRequest request{.durability = Durability::kBuffered};
  request.streams.push_back(
      StreamAppend{.stream = *name,
                   .expected = ExpectedVersion::Exact(Version(expected)),
                   .events = {EventData{.type = kEventType, .data = Payload()}}});
  return request;
}

}  // namespace

std::string FindEvlogd() {
  if (const char* env = std::getenv("EVLOGD"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (const fs::path& candidate :
       {self.parent_path() / "evlogd", self.parent_path().parent_path() / "server" / "evlogd"}) {
    if (fs::exists(candidate, ec)) return candidate.string();
  }
  return "";
}

Measurement RunThroughDaemon(const std::string& shape, const std::string& dir, int64_t events) {
  const std::string evlogd = FindEvlogd();
  if (evlogd.empty()) return Measurement{.skipped = "no daemon: evlogd not found (set EVLOGD)"};
  Daemon daemon(evlogd, dir + "/store");
  auto client = Connect(daemon.port());
  std::string name;

  if (shape == "W1") {  // single appends, 1,000 streams, 1,024 in flight
    Window window(1024);
    std::vector<uint64_t> versions(kStreams, 0);
    const auto start = Clock::now();
    for (int64_t i = 0; i < events; ++i) {
      const auto s = static_cast<uint64_t>(i % kStreams);
      window.Acquire();
      client->AppendAsync(Single(s, versions[s]++, &name),
                          [&window](Result<AppendResult> r) { window.Release(r.ok()); });
    }
    if (window.Drain() != 0) throw std::runtime_error("appends failed");
    return Measurement{.events = events, .seconds = Seconds(start)};
  }

  if (shape == "W3") {  // 100-event appends to one stream, 128 in flight
    Window window(128);
    const int64_t appends = std::max<int64_t>(1, events / 100);
    const auto start = Clock::now();
    for (int64_t i = 0; i < appends; ++i) {
      AppendRequest request{.durability = Durability::kBuffered};
      request.streams.push_back(StreamAppend{
          .stream = "stream-0",
          .expected = ExpectedVersion::Exact(Version(static_cast<uint64_t>(i * 100))),
          .events = std::vector<EventData>(100, EventData{.type = kEventType, .data = Payload()})});
      window.Acquire();
      client->AppendAsync(std::move(request),
                          [&window](Result<AppendResult> r) { window.Release(r.ok()); });
    }
    if (window.Drain() != 0) throw std::runtime_error("appends failed");
    return Measurement{.events = appends * 100, .seconds = Seconds(start)};
  }

  // "latency": 10,000 appends/s, paced evenly (Pacer), for events / 10
  // appends, each timed from the call to its acknowledgement.
  const int64_t total = std::clamp<int64_t>(events / 10, 1'000, 100'000);
  constexpr int64_t kRate = 10'000;
  std::vector<float> latency(static_cast<size_t>(total));
  Window window(1 << 20);
  std::vector<uint64_t> versions(kStreams, 0);
  const Pacer pacer(kRate);
  const auto start = pacer.start();
  for (int64_t i = 0; i < total; ++i) {
    pacer.Wait(i);
    const auto s = static_cast<uint64_t>(i % kStreams);
    const auto sent = Clock::now();
    float* slot = &latency[static_cast<size_t>(i)];
    window.Acquire();
    client->AppendAsync(
        Single(s, versions[s]++, &name), [&window, sent, slot](Result<AppendResult> r) {
          *slot = std::chrono::duration<float, std::micro>(Clock::now() - sent).count();
          window.Release(r.ok());
        });
  }
  if (window.Drain() != 0) throw std::runtime_error("appends failed");
  Measurement m{.events = total, .seconds = Seconds(start)};
  m.has_latency = true;
  m.p50_us = Percentile(latency, 0.50);
  m.p99_us = Percentile(latency, 0.99);
  m.p999_us = Percentile(latency, 0.999);
  return m;
}

}  // namespace evlog::bench
