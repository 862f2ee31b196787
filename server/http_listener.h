// HttpListener: evlogd's HTTP/JSON acceptor (--http), its sessions, their
// limits (all sessions, and sessions per client IP address) and the drain.
// The routes are HttpHandler's; the Host and Origin checks HttpGuard's; one
// connection is an HttpSession.
//
// Thread-safety: every member runs on the io_context's thread.

#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "acceptor.h"
#include "dispatcher.h"
#include "evlog/status.h"
#include "http_guard.h"
#include "http_handler.h"
#include "http_net.h"
#include "http_session.h"
#include "session_registry.h"

namespace evlog::server {

class HttpListener {
 public:
  // `io`, `dispatcher` and `budget` (the server-wide budget of queued bytes
  // its sessions count against) must outlive the listener.
  // `daemon_gauges`: see HttpHandler.
  HttpListener(net::asio::io_context& io, Dispatcher& dispatcher, SessionRegistry& budget,
               HttpOptions options,
               std::function<DaemonGauges()> daemon_gauges = nullptr);
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds options.endpoint and starts accepting; the Host check (HttpGuard)
  // takes the bound port. IOError if it cannot bind.
  Status Listen();
  // The bound address (with the actual port when listening on port 0).
  net::tcp::endpoint local_endpoint() const;

  // Stops accepting; every session finishes what it owes and closes (see
  // HttpSession). `on_empty` runs once the last one has gone.
  void Drain(std::function<void()> on_empty);
  // Closes every session at once.
  void CloseAll();

  size_t session_count() const { return sessions_.size(); }
  // Called by a session as it closes.
  void Remove(const std::shared_ptr<HttpSession>& session);

 private:
  // Takes a connection the acceptor hands over, within the limits.
  void Serve(net::tcp::socket socket);
  // Answers 503 (`code`, `message`) on a session over a limit and closes it.
  void Refuse(net::tcp::socket socket, const std::string& code, const std::string& message);

  const HttpOptions options_;
  Dispatcher& dispatcher_;
  SessionRegistry& budget_;
  HttpHandler handler_;
  Acceptor acceptor_;
  std::optional<HttpGuard> guard_;  // set by Listen
  // Each session with its client's address, and the sessions per address.
  std::unordered_map<std::shared_ptr<HttpSession>, net::asio::ip::address> sessions_;
  std::map<net::asio::ip::address, size_t> per_ip_;
  std::function<void()> on_empty_;
  bool draining_ = false;
};

}  // namespace evlog::server
