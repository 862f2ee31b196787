// What evlogd's HTTP listener holds for clients (issue #14): a request
// without the token is refused at its headers, before any of its body is
// read; answers to reads count against the server-wide budget of queued
// bytes, so clients that do not read them cannot carry it past that. The server runs in-process on 127.0.0.1
// (DaemonTest); requests go through raw sockets so every header and byte is
// the test's choice.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "integration/daemon_fixture.h"

namespace evlog::testutil {
namespace {

using Json = nlohmann::json;

struct Reply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  // A header's value ("" when absent); `name` as written, e.g. "Vary".
  std::string Header(const std::string& name) const {
    const size_t at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    const size_t start = at + name.size() + 4;
    return head.substr(start, head.find("\r\n", start) - start);
  }
  bool Has(const std::string& name) const { return head.find("\r\n" + name + ":") != head.npos; }
};

// One HTTP/1.1 client connection on a blocking socket whose reads time out
// after 10 s, so a missing answer fails the test instead of hanging it.
class HttpSocket {
 public:
  explicit HttpSocket(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{.tv_sec = 10, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~HttpSocket() { close(fd_); }

  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads one response (Content-Length bodies only); status 0 on close or
  // timeout first.
  Reply Read() {
    Reply reply;
    size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return reply;
    }
    reply.head = in_.substr(0, end + 2);
    in_.erase(0, end + 4);
    const std::string length = reply.Header("Content-Length");
    const size_t body = length.empty() ? 0 : std::stoul(length);
    while (in_.size() < body) {
      if (!Fill()) return reply;
    }
    reply.body = in_.substr(0, body);
    in_.erase(0, body);
    reply.status = std::stoi(reply.head.substr(9, 3));
    return reply;
  }
  // True when the server has closed (EOF or reset) with nothing more sent.
  bool Closed() {
    if (!in_.empty()) return false;
    char byte;
    const ssize_t n = recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE));
  }
  // Sends `bytes` one at a time, waiting up to `pace` for the server to
  // close after each; true as soon as it has (the rest unsent).
  bool TrickleUntilClosed(std::string_view bytes, std::chrono::milliseconds pace) {
    for (char c : bytes) {
      if (!Send(std::string_view(&c, 1))) return true;
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, static_cast<int>(pace.count())) > 0) return Closed();
    }
    return false;
  }

 private:
  bool Fill() {
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    in_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string in_;
};

class HttpBudget : public DaemonTest {
 protected:
  void SetUp() override {}
  void Start(server::ServerOptions options) {
    server::HttpOptions http = options.http.value_or(server::HttpOptions{});
    http.endpoint = net::tcp::endpoint(net::asio::ip::make_address_v4("127.0.0.1"), 0);
    options.http = std::move(http);
    StartServer(options);
    ASSERT_TRUE(server_->http_endpoint().has_value());
    http_port_ = server_->http_endpoint()->port();
  }
  std::string Host() const { return "127.0.0.1:" + std::to_string(http_port_); }

  uint16_t http_port_ = 0;
};

// The head of a POST announcing a 100000-byte body, with `authorization`
// (a whole header line, or "").
std::string PostHead(const std::string& host, const std::string& authorization) {
  return "POST /streams/orders-1 HTTP/1.1\r\nHost: " + host +
         "\r\nContent-Type: application/json\r\n" + authorization +
         "Content-Length: 100000\r\n\r\n";
}

TEST_F(HttpBudget, APostWithoutTheTokenIs401BeforeItsBodyAndTheConnectionCloses) {
  server::ServerOptions options;
  options.dispatcher.token = "s3cret";
  Start(options);
  for (const std::string& authorization :
       {std::string(), std::string("Authorization: Bearer wrong\r\n")}) {
    HttpSocket s(http_port_);
    ASSERT_TRUE(s.connected());
    ASSERT_TRUE(s.Send(PostHead(Host(), authorization)));
    // No body byte is sent: the answer must come from the headers alone.
    Reply reply = s.Read();
    ASSERT_EQ(reply.status, 401) << "no answer before the body (" << authorization << ")";
    EXPECT_EQ(reply.Header("WWW-Authenticate"), "Bearer realm=\"evlog\"");
    EXPECT_EQ(Json::parse(reply.body, nullptr, false)["code"], "unauthorized");
    EXPECT_TRUE(s.Closed()) << "the session went on to read the refused body";
  }
}

TEST_F(HttpBudget, APostWithTheTokenIsStillReadAndAppended) {
  server::ServerOptions options;
  options.dispatcher.token = "s3cret";
  Start(options);
  const std::string body = R"({"type":"Placed","data":{"n":1}})";
  HttpSocket s(http_port_);
  ASSERT_TRUE(s.connected());
  ASSERT_TRUE(s.Send("POST /streams/orders-1 HTTP/1.1\r\nHost: " + Host() +
                     "\r\nContent-Type: application/json\r\nAuthorization: Bearer s3cret\r\n"
                     "Content-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body));
  Reply reply = s.Read();
  EXPECT_EQ(reply.status / 100, 2) << reply.head << reply.body;
}

constexpr int kClients = 6;
constexpr int kPipeline = 6;
constexpr int kBigEvents = 8;
constexpr size_t kBigEventBytes = 900 << 10;

// kClients clients pipeline kPipeline `GET /all?count=4` (answers of some
// 3.6 MB: four events of 900 KiB) against an 8 MiB budget and do not read.
// Before HTTP answers counted in the budget, each session held one (in all
// some 22 MB, past the budget, and none of it in evlogd_queued_bytes). Now
// the sessions hold at most the budget between them (their pages are 4 MiB
// and the answers fit in theirs); the others wait, and every client that
// then reads gets all its answers.
TEST_F(HttpBudget, UnreadHttpReadsStayWithinTheServerWideBudget) {
  server::ServerOptions options;
  options.max_queued_bytes = size_t{8} << 20;
  Start(options);
  {
    Result<std::unique_ptr<Client>> c = Connect();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    for (int i = 0; i < kBigEvents; ++i) {
      AppendRequest big;
      big.streams.push_back(StreamAppend{
          "big-1", ExpectedVersion::Any(),
          {EventData{.type = "T", .data = std::string(kBigEventBytes, 'x')}}});
      big.durability = Durability::kBuffered;
      ASSERT_TRUE((*c)->Append(big).ok());
    }
  }
  std::atomic<bool> sampling{true};
  std::atomic<size_t> sampled_max{0};
  std::thread sampler([&] {
    while (sampling.load()) {
      sampled_max = std::max(sampled_max.load(), server_->queued_bytes());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const std::string get = "GET /all?count=4 HTTP/1.1\r\nHost: " + Host() + "\r\n\r\n";
  std::vector<std::unique_ptr<HttpSocket>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<HttpSocket>(http_port_));
    ASSERT_TRUE(clients.back()->connected());
    std::string burst;
    for (int r = 0; r < kPipeline; ++r) burst += get;
    ASSERT_TRUE(clients.back()->Send(burst));
  }
  // Until the unread answers fill half the budget (bounded: 10 s).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server_->queued_bytes() < options.max_queued_bytes / 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(server_->queued_bytes(), options.max_queued_bytes / 2)
      << "the unread HTTP answers are not counted in the server-wide budget";
  // All read at once: a session holding the budget waits for its own client.
  std::atomic<int> answered{0};
  std::vector<std::thread> readers;
  for (auto& client : clients) {
    readers.emplace_back([&answered, &client] {
      for (int r = 0; r < kPipeline; ++r) {
        Reply reply = client->Read();
        if (reply.status != 200) return;
        Json j = Json::parse(reply.body, nullptr, false);
        if (j.is_discarded() || j["events"].size() != 4) return;
        ++answered;
      }
    });
  }
  for (std::thread& t : readers) t.join();
  sampling = false;
  sampler.join();
  EXPECT_EQ(answered.load(), kClients * kPipeline) << "clients that read did not get all their answers";
  const size_t peak =
      std::max({sampled_max.load(), server_->queued_bytes(), server_->peak_queued_bytes()});
  EXPECT_LE(peak, options.max_queued_bytes)
      << "peak " << peak << " bytes queued, the budget is " << options.max_queued_bytes;
}

}  // namespace
}  // namespace evlog::testutil
