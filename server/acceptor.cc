#include "acceptor.h"

#include <string>

namespace evlog::server {

Status Acceptor::Listen(const net::tcp::endpoint& endpoint, std::string_view what) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen " + std::string(what) + "on " +
                           endpoint.address().to_string() + ":" +
                           std::to_string(endpoint.port()) + ": " + ec.message());
  }
  return Status::OK();
}

void Acceptor::Start(std::function<void(net::tcp::socket)> on_accept) {
  on_accept_ = std::move(on_accept);
  Accept();
}

void Acceptor::Close() {
  closed_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  pause_.cancel();
}

net::tcp::endpoint Acceptor::local_endpoint() const {
  boost::system::error_code ignored;
  return acceptor_.local_endpoint(ignored);
}

void Acceptor::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, net::tcp::socket socket) {
    if (closed_ || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or memory: retrying at once would spin. Pause so
      // sessions can close, then accept again.
      pause_.expires_after(std::chrono::milliseconds(100));
      pause_.async_wait([this](const boost::system::error_code& e) {
        if (!e && !closed_) Accept();
      });
      return;
    }
    on_accept_(std::move(socket));
    Accept();
  });
}

}  // namespace evlog::server
