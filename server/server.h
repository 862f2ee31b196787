// Server: evlogd's acceptor, session limit and shutdown.
//
// Drain() (or SIGTERM/SIGINT, when handle_signals is set) stops accepting,
// lets every session (HTTP ones too) answer what it has in flight, and
// closes them; the
// io_context then runs out of work and run() returns, after which the owner
// closes the store. Appends in flight hold tracked work on the io_context
// until their replies have run, so none is lost.
//
// Memory the sessions free goes back to the system (malloc_trim on a read
// thread, at most once a second) when they have freed 16 MiB of what they
// held or the last one has gone, and so does what the store's flushes and
// compactions free (a flushed memtable): glibc would otherwise keep it.
//
// Thread-safety: all members run on the io_context's single thread, except
// that Drain() may be called from any thread.

#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "acceptor.h"
#include "dispatcher.h"
#include "evlog/status.h"
#include "evlog/store.h"
#include "http_listener.h"
#include "net.h"
#include "session.h"
#include "session_registry.h"

namespace evlog::server {

struct ServerOptions {
  // Where to listen. Default: 127.0.0.1:7411
  net::tcp::endpoint endpoint{net::asio::ip::make_address_v4("127.0.0.1"), 7411};
  // Most sessions at once; one more is sent TooManySessions and closed.
  // Default: 256
  size_t max_sessions = 256;
  // Per-session limits (frame bytes, in flight, buffered bytes, write and
  // idle time).
  SessionOptions session;
  // Response bytes queued, and reserved for answers and pushes being built,
  // in all sessions together: a read or push is taken only while a page of
  // it fits, or past it by a session holding less than SessionOptions::
  // max_buffered_bytes_under_pressure (see SessionRegistry). With the
  // store's default caches this keeps evlogd under 512 MiB however many
  // sessions stop reading (DaemonLoad.SixtyFourOf256Sessions...).
  // Default: 192 MiB
  size_t max_queued_bytes = size_t{192} << 20;
  // Token and response limits.
  DispatcherOptions dispatcher;
  // How long a drain waits for sessions to answer what they have in flight
  // (a client that stops reading its responses would hold it forever); then
  // the rest are closed. Appends already handed to the store still complete
  // before the io_context stops.
  // Default: 30 s
  std::chrono::milliseconds drain_timeout = std::chrono::seconds(30);
  // Threads that run reads, so a long read never stalls the network thread.
  // Default: 2
  size_t read_threads = 2;
  // Also serve HTTP/JSON (see http_handler.h, docs/http.md) on
  // http->endpoint, with the same token and read limits.
  // Default: nullopt, no HTTP
  std::optional<HttpOptions> http;
  // Drain on SIGTERM and SIGINT.
  // Default: false (evlogd's main sets it)
  bool handle_signals = false;
};

class Server {
 public:
  // `io` and `store` must outlive the server.
  Server(net::asio::io_context& io, Store& store, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting (the HTTP endpoint too, when set). IOError
  // if an address cannot be bound.
  Status Listen();

  // The bound address (with the actual port when listening on port 0).
  net::tcp::endpoint local_endpoint() const;
  // The bound HTTP address; nullopt without HTTP.
  std::optional<net::tcp::endpoint> http_endpoint() const;

  // Stops accepting and drains every session. Safe from any thread.
  void Drain();

  // Sessions open now. Safe from any thread.
  size_t session_count() const { return registry_.count(); }
  // Bytes queued for writing and reserved for answers being built, in all
  // sessions. Safe from any thread.
  size_t queued_bytes() const { return registry_.queued_bytes(); }
  // The most queued_bytes() has been since the server started. Safe from any
  // thread.
  size_t peak_queued_bytes() const { return registry_.peak_queued_bytes(); }
  // Sessions closed as slow consumers (SessionOptions::write_timeout). Safe
  // from any thread.
  uint64_t slow_consumers_closed() const { return registry_.slow_consumers_closed(); }

 private:
  // Takes a connection the acceptor hands over, within the session limit.
  void Serve(net::tcp::socket socket);
  void DrainNow();
  // Returns freed memory to the system soon (see the head comment).
  void ScheduleTrim();
  // Every second: trims once the store has completed a flush or compaction.
  void WatchStore();

  net::asio::io_context& io_;
  ServerOptions options_;
  // Joined (in ~Server) before the dispatcher and the store go away.
  net::asio::thread_pool read_pool_;
  Dispatcher dispatcher_;
  SessionRegistry registry_;
  // Declared after the dispatcher it uses.
  std::unique_ptr<HttpListener> http_;
  Acceptor acceptor_;
  net::asio::signal_set signals_;
  net::asio::steady_timer drain_timer_;
  net::asio::steady_timer trim_timer_;
  bool trim_armed_ = false;
  net::asio::steady_timer watch_timer_;
  // Store::BackgroundJobsCompleted at the last tick, and whether it moved.
  uint64_t store_jobs_ = 0;
  bool store_jobs_moved_ = false;
  std::chrono::steady_clock::time_point last_trim_;
  bool draining_ = false;
};

}  // namespace evlog::server
