#include "server.h"

#include <algorithm>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace evlog::server {

namespace {
DispatcherOptions WithLimits(DispatcherOptions d, const SessionOptions& s) {
  d.max_frame_bytes = static_cast<uint32_t>(s.max_frame_bytes);
  d.max_in_flight = static_cast<uint32_t>(s.max_in_flight);
  // Leave room for the message envelope around the events.
  d.max_response_bytes =
      s.max_frame_bytes > (64 << 10) ? s.max_frame_bytes - (32 << 10) : s.max_frame_bytes / 2;
  return d;
}
}  // namespace

Server::Server(net::asio::io_context& io, Store& store, ServerOptions options)
    : io_(io),
      options_(std::move(options)),
      read_pool_(std::max<size_t>(options_.read_threads, 1)),
      dispatcher_(
          store, WithLimits(options_.dispatcher, options_.session),
          [this](std::function<void()> read) { net::asio::post(read_pool_, std::move(read)); },
          [this](std::chrono::milliseconds delay, std::function<void()> work) {
            auto timer = std::make_shared<net::asio::steady_timer>(read_pool_, delay);
            timer->async_wait([timer, work = std::move(work)](const boost::system::error_code&) {
              work();
            });
          }),
      registry_(options_.max_sessions, options_.max_queued_bytes),
      acceptor_(io),
      signals_(io),
      drain_timer_(io),
      trim_timer_(io),
      watch_timer_(io) {
  registry_.set_on_freed([this] { ScheduleTrim(); });
  if (options_.http) {
    http_ = std::make_unique<HttpListener>(io, dispatcher_, registry_, *options_.http, [this] {
      return DaemonGauges{.sessions = registry_.count(),
                          .queued_bytes = registry_.queued_bytes(),
                          .slow_consumers_closed = registry_.slow_consumers_closed(),
                          .protocol_consumers = registry_.consumers()};
    });
  }
}

Server::~Server() { read_pool_.join(); }

Status Server::Listen() {
  if (Status s = acceptor_.Listen(options_.endpoint, ""); !s.ok()) return s;
  if (http_) {
    if (Status s = http_->Listen(); !s.ok()) return s;
  }
  if (options_.handle_signals) {
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.async_wait([this](const boost::system::error_code& e, int) {
      if (!e) DrainNow();
    });
  }
  acceptor_.Start([this](net::tcp::socket socket) { Serve(std::move(socket)); });
  WatchStore();
  return Status::OK();
}

net::tcp::endpoint Server::local_endpoint() const { return acceptor_.local_endpoint(); }

std::optional<net::tcp::endpoint> Server::http_endpoint() const {
  if (!http_) return std::nullopt;
  return http_->local_endpoint();
}

void Server::Serve(net::tcp::socket socket) {
  auto session =
      std::make_shared<Session>(std::move(socket), dispatcher_, registry_, options_.session);
  if (registry_.full()) {
    session->Refuse(
        {ProtocolCode::kTooManySessions,
         "the server is at its limit of " + std::to_string(options_.max_sessions) + " sessions",
         0});
  } else {
    registry_.Add(session);
    session->Start();
  }
}

void Server::ScheduleTrim() {
  if (draining_ || trim_armed_) return;
  trim_armed_ = true;
  trim_timer_.expires_at(std::max(std::chrono::steady_clock::now(),
                                  last_trim_ + std::chrono::seconds(1)));
  trim_timer_.async_wait([this](const boost::system::error_code& ec) {
    trim_armed_ = false;
    if (ec || draining_) return;
    last_trim_ = std::chrono::steady_clock::now();
#if defined(__GLIBC__)
    // Off the network thread: trimming a large heap takes milliseconds.
    net::asio::post(read_pool_, [] { malloc_trim(0); });
#endif
  });
}

void Server::WatchStore() {
  if (draining_) return;
  watch_timer_.expires_after(std::chrono::seconds(1));
  watch_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || draining_) return;
    // A tick after the count moved: RocksDB frees a flushed memtable just
    // after it reports the flush.
    if (store_jobs_moved_) ScheduleTrim();
    const uint64_t jobs = dispatcher_.store().BackgroundJobsCompleted();
    store_jobs_moved_ = jobs != store_jobs_;
    store_jobs_ = jobs;
    WatchStore();
  });
}

void Server::Drain() {
  net::asio::post(io_, [this] { DrainNow(); });
}

void Server::DrainNow() {
  if (draining_) return;
  draining_ = true;
  acceptor_.Close();
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  trim_timer_.cancel();
  watch_timer_.cancel();
  drain_timer_.expires_after(options_.drain_timeout);
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      registry_.CloseAll();
      if (http_) http_->CloseAll();
    }
  });
  // The timer goes when both kinds of session have gone.
  auto pending = std::make_shared<int>(http_ ? 2 : 1);
  auto done = [this, pending] {
    if (--*pending == 0) drain_timer_.cancel();
  };
  if (http_) http_->Drain(done);
  registry_.DrainAll(done);
}

}  // namespace evlog::server
