// Acceptor: a listening TCP socket that hands every connection it accepts
// to its owner: evlogd's protocol port (Server) and its HTTP port
// (HttpListener). An accept error (out of descriptors or memory) pauses
// accepting for 100 ms, so that sessions can close, rather than spin.
//
// Thread-safety: every member runs on the io_context's thread.

#pragma once

#include <functional>
#include <string_view>

#include "evlog/status.h"
#include "net.h"

namespace evlog::server {

class Acceptor {
 public:
  // `io` must outlive the acceptor.
  explicit Acceptor(net::asio::io_context& io) : acceptor_(io), pause_(io) {}
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Binds `endpoint` (reusing the address) and listens. IOError
  // "cannot listen <what>on <address>:<port>: <reason>" if it cannot, where
  // `what` names the port ("" or "for HTTP ").
  Status Listen(const net::tcp::endpoint& endpoint, std::string_view what);
  // Accepts until Close(), handing each connection to `on_accept`.
  // REQUIRES: Listen() returned OK.
  void Start(std::function<void(net::tcp::socket)> on_accept);
  // Stops accepting, at once; a pending accept ends without a connection.
  void Close();

  // The bound address (with the actual port when listening on port 0).
  net::tcp::endpoint local_endpoint() const;

 private:
  void Accept();

  net::tcp::acceptor acceptor_;
  net::asio::steady_timer pause_;
  std::function<void(net::tcp::socket)> on_accept_;
  bool closed_ = false;
};

}  // namespace evlog::server
