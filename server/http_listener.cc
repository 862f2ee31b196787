#include "http_listener.h"

#include <vector>

namespace evlog::server {

HttpListener::HttpListener(net::asio::io_context& io, Dispatcher& dispatcher,
                           SessionRegistry& budget, HttpOptions options,
                           std::function<DaemonGauges()> daemon_gauges)
    : options_(std::move(options)),
      dispatcher_(dispatcher),
      budget_(budget),
      handler_(dispatcher, options_.sse_batch_events, options_.sse_batch_bytes,
               std::move(daemon_gauges), options_.consumers),
      acceptor_(io) {}

Status HttpListener::Listen() {
  if (Status s = acceptor_.Listen(options_.endpoint, "for HTTP "); !s.ok()) return s;
  guard_.emplace(local_endpoint(), options_.allowed_hosts, options_.allowed_origins);
  acceptor_.Start([this](net::tcp::socket socket) { Serve(std::move(socket)); });
  return Status::OK();
}

net::tcp::endpoint HttpListener::local_endpoint() const { return acceptor_.local_endpoint(); }

void HttpListener::Serve(net::tcp::socket socket) {
  boost::system::error_code peer_ec;
  const net::asio::ip::address peer = socket.remote_endpoint(peer_ec).address();
  if (peer_ec) {
    // Gone already: nothing to serve.
  } else if (sessions_.size() >= options_.max_sessions) {
    Refuse(std::move(socket), "too_many_sessions", "the server is at its limit of HTTP sessions");
  } else if (per_ip_[peer] >= options_.max_sessions_per_ip) {
    Refuse(std::move(socket), "too_many_sessions_from_address",
           "the server is at its limit of HTTP sessions from one address (" +
               std::to_string(options_.max_sessions_per_ip) + ")");
  } else {
    auto session = std::make_shared<HttpSession>(std::move(socket), handler_, dispatcher_, *this,
                                                 options_, *guard_, budget_);
    sessions_.emplace(session, peer);
    ++per_ip_[peer];
    session->Start();
  }
}

void HttpListener::Refuse(net::tcp::socket socket, const std::string& code,
                          const std::string& message) {
  const std::string body = HttpError(net::http::status::service_unavailable, code, message).body();
  auto s = std::make_shared<net::tcp::socket>(std::move(socket));
  auto text = std::make_shared<std::string>(
      "HTTP/1.1 503 Service Unavailable\r\nServer: evlogd\r\nContent-Type: "
      "application/json\r\nConnection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  net::asio::async_write(*s, net::asio::buffer(*text),
                         [s, text](const boost::system::error_code&, size_t) {
                           boost::system::error_code ignored;
                           s->shutdown(net::tcp::socket::shutdown_both, ignored);
                           s->close(ignored);
                         });
}

void HttpListener::Remove(const std::shared_ptr<HttpSession>& session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  if (auto ip = per_ip_.find(it->second); ip != per_ip_.end() && --ip->second == 0) {
    per_ip_.erase(ip);
  }
  sessions_.erase(it);
  if (sessions_.empty() && on_empty_) std::exchange(on_empty_, nullptr)();
}

// Sessions remove themselves as they close: iterate over a copy.
void HttpListener::Drain(std::function<void()> on_empty) {
  draining_ = true;
  acceptor_.Close();
  if (sessions_.empty()) {
    if (on_empty) on_empty();
    return;
  }
  on_empty_ = std::move(on_empty);
  std::vector<std::shared_ptr<HttpSession>> all;
  for (const auto& [s, ip] : sessions_) all.push_back(s);
  for (const auto& s : all) s->Drain();
}

void HttpListener::CloseAll() {
  std::vector<std::shared_ptr<HttpSession>> all;
  for (const auto& [s, ip] : sessions_) all.push_back(s);
  for (const auto& s : all) s->Close();
}

}  // namespace evlog::server
