#include "integration/daemon_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include "frame.h"
#include "harness/listening_line.h"
#include "harness/loopback.h"

namespace evlog::testutil {

void DaemonTest::StartServer(server::ServerOptions options) {
  if (store_ == nullptr) {
    Result<std::unique_ptr<Store>> store = Store::Open(Options{}, dir_.Sub("store"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  options.endpoint = net::tcp::endpoint(net::asio::ip::make_address_v4("127.0.0.1"), 0);
  io_ = std::make_unique<net::asio::io_context>(1);
  server_ = std::make_unique<server::Server>(*io_, *store_, options);
  const Status s = server_->Listen();
  ASSERT_TRUE(s.ok()) << s.ToString();
  port_ = server_->local_endpoint().port();
  thread_ = std::thread([this] { io_->run(); });
}

void DaemonTest::StartHttpServer(server::ServerOptions options) {
  if (!options.http) options.http = server::HttpOptions{};
  options.http->endpoint = net::tcp::endpoint(net::asio::ip::make_address_v4("127.0.0.1"), 0);
  StartServer(options);
  ASSERT_TRUE(server_->http_endpoint().has_value());
  http_port_ = server_->http_endpoint()->port();
}

void DaemonTest::StopServer() {
  if (server_ == nullptr) return;
  server_->Drain();
  thread_.join();
  server_.reset();
  io_.reset();
}

Result<std::unique_ptr<Client>> DaemonTest::Connect(const std::string& token) {
  return Client::Connect(ClientOptions{.host = "127.0.0.1", .port = port_, .token = token});
}

std::unique_ptr<ChildProcess> StartEvlogd(const std::string& db, const std::string& listen,
                                          uint16_t& port) {
  return StartEvlogd({"--db", db, "--listen", listen}, port);
}

std::unique_ptr<ChildProcess> StartEvlogd(const std::vector<std::string>& flags, uint16_t& port,
                                          uint16_t* http_port) {
  std::vector<std::string> argv{EVLOGD_PATH};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto child = ChildProcess::Start(argv);
  if (child == nullptr) return nullptr;
  if (!harness::ReadListeningPort(child->out(), "evlogd listening on ", &port)) return nullptr;
  if (http_port != nullptr &&
      !harness::ReadListeningPort(child->out(), "evlogd http listening on ", http_port)) {
    return nullptr;
  }
  return child;
}

void EvlogdProcessTest::StartDaemon() {
  daemon_ = StartEvlogd(store(), "127.0.0.1:0", port_);
  ASSERT_NE(daemon_, nullptr);
}

void EvlogdProcessTest::RestartDaemonOnSamePort() {
  daemon_->KillAndWait(SIGKILL);
  uint16_t same_port = 0;
  daemon_ = StartEvlogd(store(), "127.0.0.1:" + std::to_string(port_), same_port);
  ASSERT_NE(daemon_, nullptr);
  ASSERT_EQ(same_port, port_);
}

Result<std::unique_ptr<Client>> EvlogdProcessTest::ConnectToDaemon(ClientOptions options) {
  options.port = port_;
  return Client::Connect(options);
}

std::unique_ptr<RawSession> RawSession::Connect(uint16_t port) {
  const int fd = harness::ConnectLoopback(port, std::chrono::seconds(10));
  if (fd < 0) return nullptr;
  return std::unique_ptr<RawSession>(new RawSession(fd));
}

RawSession::~RawSession() { close(fd_); }

bool RawSession::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<server::Response> RawSession::ReadResponse() {
  for (;;) {
    if (buffer_.size() >= server::kFrameHeaderBytes) {
      uint32_t length = 0;
      for (int i = 3; i >= 0; --i) length = length << 8 | static_cast<uint8_t>(buffer_[i]);
      if (buffer_.size() >= server::kFrameHeaderBytes + length) {
        std::vector<uint8_t> message(buffer_.begin() + server::kFrameHeaderBytes,
                                     buffer_.begin() + server::kFrameHeaderBytes + length);
        buffer_.erase(0, server::kFrameHeaderBytes + length);
        auto decoded = server::DecodeResponse(message);
        if (auto* r = std::get_if<server::Response>(&decoded)) return std::move(*r);
        return std::nullopt;
      }
    }
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

bool RawSession::Hello(const std::string& token, uint32_t version) {
  if (!Send(
          server::EncodeRequest(server::Request{1, server::HelloRequest{version, token, "raw"}}))) {
    return false;
  }
  std::optional<server::Response> r = ReadResponse();
  return r && std::holds_alternative<server::HelloOkResponse>(r->body);
}

bool RawSession::ClosedByServer() {
  if (!buffer_.empty()) return false;
  char byte;
  const ssize_t n = recv(fd_, &byte, 1, 0);
  if (n == 0) return true;
  return n < 0 && (errno == ECONNRESET || errno == EPIPE);
}

}  // namespace evlog::testutil
