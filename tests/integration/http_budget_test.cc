// What evlogd's HTTP listener holds for clients (issue #14): a request
// without the token is refused at its headers, before any of its body is
// read; answers to reads count against the server-wide budget of queued
// bytes, so clients that do not read them cannot carry it past that. The server runs in-process on 127.0.0.1
// (DaemonTest); requests go through raw sockets so every header and byte is
// the test's choice.

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
#include "integration/http_socket.h"
#include "testutil/eventually.h"
#include "testutil/max_sampler.h"

namespace evlog::testutil {
namespace {

using Json = nlohmann::json;

class HttpBudget : public DaemonTest {
 protected:
  void SetUp() override {}
  void Start(server::ServerOptions options) { StartHttpServer(std::move(options)); }
  std::string Host() const { return HttpHost(); }
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
    EXPECT_EQ(Json::parse(reply.body, nullptr, false)["error"], "unauthenticated");
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
  MaxSampler sampler([&] { return server_->queued_bytes(); });
  const std::string get = "GET /all?count=4 HTTP/1.1\r\nHost: " + Host() + "\r\n\r\n";
  std::vector<std::unique_ptr<HttpSocket>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<HttpSocket>(http_port_));
    ASSERT_TRUE(clients.back()->connected());
    std::string burst;
    for (int r = 0; r < kPipeline; ++r) burst += get;
    ASSERT_TRUE(clients.back()->Send(burst));
  }
  // Until the unread answers fill half the budget.
  EXPECT_TRUE(Eventually([&] { return server_->queued_bytes() >= options.max_queued_bytes / 2; }))
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
  const size_t sampled_max = sampler.Stop();
  EXPECT_EQ(answered.load(), kClients * kPipeline) << "clients that read did not get all their answers";
  const size_t peak =
      std::max({sampled_max, server_->queued_bytes(), server_->peak_queued_bytes()});
  EXPECT_LE(peak, options.max_queued_bytes)
      << "peak " << peak << " bytes queued, the budget is " << options.max_queued_bytes;
}

}  // namespace
}  // namespace evlog::testutil
