// Misbehaver: the sessions of a load run that a well-behaved client would
// never open — slow readers that never read their socket, malformed frames,
// half-open connections — on raw sockets to evlogd on 127.0.0.1. Internal
// to tools/loadtest.

#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "frame.h"
#include "harness/loopback.h"
#include "loadtest/loadtest.h"
#include "loadtest/problems.h"
#include "protocol.h"

namespace evlog::loadtest {

using Clock = std::chrono::steady_clock;

// A non-blocking socket connected to evlogd, or -1.
inline int ConnectRaw(uint16_t port) {
  const int fd = harness::ConnectLoopback(port);
  if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// Sends what the socket takes now; false if the peer is gone.
inline bool SendSome(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads and drops what has arrived; false once the peer has closed.
inline bool DrainSome(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) continue;
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

inline std::string HelloFrame() {
  return server::EncodeRequest(
      server::Request{1, server::HelloRequest{.client_name = "evlog-loadtest"}});
}

// The bad frames the malformed sessions take turns with. The last one is a
// valid request sent before Hello.
inline std::vector<std::string> BadFrames() {
  const std::string stats = server::EncodeRequest(server::Request{5, server::StatsRequest{}});
  const std::string half =
      stats.substr(server::kFrameHeaderBytes, (stats.size() - server::kFrameHeaderBytes) / 2);
  std::string zero, huge;
  server::AppendFrameHeader(0, zero);
  server::AppendFrameHeader(0xfffffff0u, huge);
  return {server::MakeFrame(std::string(64, '\x5a')), zero, huge + "abc", server::MakeFrame(half),
          stats};
}

struct Raw {
  enum class Kind { kSlow, kMalformed, kHalfOpen } kind;
  int index = 0;
  int fd = -1;
  uint64_t next_id = 10;
  uint64_t rounds = 0;
  Clock::time_point since;
};

struct RawCounts {
  uint64_t slow_requests = 0, malformed_sent = 0, malformed_closed = 0, half_open_opened = 0;
};

class Misbehaver {
 public:
  Misbehaver(const LoadOptions& o, uint16_t port, Problems& problems)
      : port_(port), slow_pipeline_(o.slow_pipeline), problems_(problems), bad_(BadFrames()) {
    for (int i = 0; i < o.slow_readers; ++i) raws_.push_back(Raw{Raw::Kind::kSlow, i});
    for (int i = 0; i < o.malformed; ++i) raws_.push_back(Raw{Raw::Kind::kMalformed, i});
    for (int i = 0; i < o.half_open; ++i) raws_.push_back(Raw{Raw::Kind::kHalfOpen, i});
  }
  ~Misbehaver() { CloseAll(); }

  // One pass over every raw session.
  void Tick() {
    for (Raw& r : raws_) {
      switch (r.kind) {
        case Raw::Kind::kSlow:
          TickSlow(r);
          break;
        case Raw::Kind::kMalformed:
          TickMalformed(r);
          break;
        case Raw::Kind::kHalfOpen:
          TickHalfOpen(r);
          break;
      }
    }
  }

  // Closes the slow readers and malformed sessions; the half-open ones stay
  // for the drain.
  void CloseBusy() {
    for (Raw& r : raws_) {
      if (r.kind != Raw::Kind::kHalfOpen) Reset(r);
    }
  }
  void CloseAll() {
    for (Raw& r : raws_) Reset(r);
  }
  const RawCounts& counts() const { return counts_; }

 private:
  bool Open(Raw& r) {
    r.fd = ConnectRaw(port_);
    r.since = Clock::now();
    if (r.fd < 0) {
      problems_.Add("a raw session could not connect: " + std::string(std::strerror(errno)));
      return false;
    }
    return true;
  }

  // Subscribes from the oldest event with credits it will never consume,
  // and keeps asking for pages of the log; never reads. With a pipeline:
  // that many subscriptions and full-page reads at once, then nothing.
  void TickSlow(Raw& r) {
    if (slow_pipeline_ > 0) {
      if (r.fd >= 0 || !Open(r)) return;
      std::string out = HelloFrame();
      for (int i = 0; i < slow_pipeline_; ++i) {
        out += server::EncodeRequest(
            server::Request{r.next_id++,
                            server::SubscribeRequest{.options = {.start = FeedStart::Oldest()},
                                                     .credits = uint64_t{1} << 40}});
        out += server::EncodeRequest(server::Request{r.next_id++, server::ReadAllRequest{}});
      }
      if (!SendSome(r.fd, out)) return Reset(r);
      counts_.slow_requests += 2 * static_cast<uint64_t>(slow_pipeline_);
      return;
    }
    if (r.fd < 0) {
      if (!Open(r)) return;
      std::string out = HelloFrame();
      out += server::EncodeRequest(
          server::Request{2, server::SubscribeRequest{.options = {.start = FeedStart::Oldest()},
                                                      .credits = uint64_t{1} << 40}});
      if (!SendSome(r.fd, out)) return Reset(r);
    }
    const std::string read = server::EncodeRequest(
        server::Request{r.next_id++, server::ReadAllRequest{.options = {.max_count = 1000}}});
    if (!SendSome(r.fd, read)) return Reset(r);
    ++counts_.slow_requests;
  }

  // Hello (except before-Hello frames), one bad frame, then waits for the
  // daemon to close the session and starts over.
  void TickMalformed(Raw& r) {
    if (r.fd < 0) {
      if (!Open(r)) return;
      const size_t kind = (static_cast<size_t>(r.index) + r.rounds++) % bad_.size();
      const bool before_hello = kind == bad_.size() - 1;
      if (!SendSome(r.fd, (before_hello ? "" : HelloFrame()) + bad_[kind])) return;
      ++counts_.malformed_sent;
      return;
    }
    if (!DrainSome(r.fd)) {
      ++counts_.malformed_closed;
      Reset(r);
    } else if (Clock::now() - r.since > std::chrono::seconds(15)) {
      problems_.Add("a session that sent a malformed frame was still open after 15 s");
      Reset(r);
    }
  }

  // Half a frame, then silence: even ones after a Hello (an open session
  // with a request cut in half), odd ones before it (closed by the daemon's
  // Hello timeout, then opened again).
  void TickHalfOpen(Raw& r) {
    if (r.fd >= 0) {
      if (DrainSome(r.fd)) return;
      Reset(r);
    }
    if (!Open(r)) return;
    const std::string frame = server::EncodeRequest(server::Request{
        3, server::StreamVersionRequest{.stream = "half-" + std::to_string(r.index)}});
    const std::string half = frame.substr(0, r.index % 4 < 2 ? 2 : frame.size() / 2);
    SendSome(r.fd, (r.index % 2 == 0 ? HelloFrame() : std::string()) + half);
    ++counts_.half_open_opened;
  }

  // Closes `r`'s socket, if open.
  void Reset(Raw& r) {
    if (r.fd >= 0) close(r.fd);
    r.fd = -1;
  }

  uint16_t port_;
  int slow_pipeline_;
  Problems& problems_;
  std::vector<std::string> bad_;
  std::vector<Raw> raws_;
  RawCounts counts_;
};

}  // namespace evlog::loadtest
