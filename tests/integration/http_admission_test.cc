// Who gets into evlogd's HTTP listener (issue #14): a client trickling its
// headers is closed at the header timeout, one address holds at most its
// share of sessions, a foreign Host (DNS rebinding) is 421, a web page's
// cross-origin write is 403 and CORS is for listed origins only. The
// server runs in-process on 127.0.0.1 (DaemonTest); requests go through
// raw sockets so every header is the test's choice.

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "integration/daemon_fixture.h"
#include "integration/http_socket.h"

namespace evlog::testutil {
namespace {

using Json = nlohmann::json;

class HttpAdmission : public DaemonTest {
 protected:
  void SetUp() override {}
  void Start(server::HttpOptions http) {
    server::ServerOptions options;
    options.http = std::move(http);
    StartHttpServer(options);
  }
  std::string Host() const { return HttpHost(); }
  // A request with `headers` (each "Name: value\r\n"), keep-alive.
  std::string Request(const std::string& method, const std::string& path,
                      const std::string& headers, const std::string& body = "") const {
    return method + " " + path + " HTTP/1.1\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  std::string Get(const std::string& path) const {
    return Request("GET", path, "Host: " + Host() + "\r\n");
  }
  Reply Exchange(const std::string& request) {
    HttpSocket s(http_port_);
    EXPECT_TRUE(s.connected());
    EXPECT_TRUE(s.Send(request));
    return s.Read();
  }
  size_t EventsIn(const std::string& stream) {
    auto it = store_->ReadStream(stream);
    if (!it.ok()) return 0;
    size_t n = 0;
    for (; (*it)->Valid(); (*it)->Next()) ++n;
    return n;
  }
};

// A request line and headers that would take 30 s at 200 ms a byte.
std::string SlowHeaders(const std::string& host) {
  return "GET /streams HTTP/1.1\r\nHost: " + host + "\r\nX-Slow: " + std::string(120, 'a') +
         "\r\n\r\n";
}

TEST_F(HttpAdmission, TrickledHeadersAreClosedAtTheHeaderTimeoutAndOthersAreServed) {
  Start({.idle_timeout = std::chrono::seconds(300), .header_timeout = std::chrono::seconds(1)});
  HttpSocket slow(http_port_);
  ASSERT_TRUE(slow.connected());
  EXPECT_TRUE(slow.TrickleUntilClosed(SlowHeaders(Host()), std::chrono::milliseconds(200)))
      << "the trickling client kept its session to the end of its headers";
  EXPECT_EQ(Exchange(Get("/streams")).status, 200);
}

TEST_F(HttpAdmission, TheNextRequestOnAKeptAliveSessionHasTheHeaderTimeoutToo) {
  Start({.idle_timeout = std::chrono::seconds(300), .header_timeout = std::chrono::seconds(1)});
  HttpSocket s(http_port_);
  ASSERT_TRUE(s.connected());
  ASSERT_TRUE(s.Send(Get("/streams")));
  ASSERT_EQ(s.Read().status, 200);
  EXPECT_TRUE(s.TrickleUntilClosed(SlowHeaders(Host()), std::chrono::milliseconds(200)));
}

TEST_F(HttpAdmission, OneAddressOverItsLimitGets503WhileItsOtherSessionsWork) {
  Start({.max_sessions_per_ip = 3});
  std::vector<std::unique_ptr<HttpSocket>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<HttpSocket>(http_port_));
    ASSERT_TRUE(held.back()->Send(Get("/streams")));
    ASSERT_EQ(held.back()->Read().status, 200);  // the session is counted
  }
  // Refused at the accept, before any request (one sent would be unread,
  // and closing over unread bytes resets the connection).
  HttpSocket extra(http_port_);
  ASSERT_TRUE(extra.connected());
  Reply refused = extra.Read();
  EXPECT_EQ(refused.status, 503) << refused.head;
  EXPECT_EQ(Json::parse(refused.body, nullptr, false)["error"], "too_many_sessions_from_address");
  EXPECT_TRUE(extra.Closed());
  for (auto& s : held) {
    ASSERT_TRUE(s->Send(Get("/streams")));
    EXPECT_EQ(s->Read().status, 200);
  }
  held.pop_back();  // one closes: a new session fits again
  for (int attempt = 0; attempt < 1000; ++attempt) {
    // The close reaches the server asynchronously: retry until it has.
    if (Exchange(Get("/streams")).status == 200) return;
  }
  ADD_FAILURE() << "no session fit after one closed";
}

TEST_F(HttpAdmission, AForeignHostIs421AndLoopbackOrListedHostsAreServed) {
  Start({.allowed_hosts = {"evlog.test"}});
  const std::string port = std::to_string(http_port_);
  Reply foreign = Exchange(Request("GET", "/streams", "Host: rebind.example:" + port + "\r\n"));
  EXPECT_EQ(foreign.status, 421) << foreign.head;
  EXPECT_EQ(Json::parse(foreign.body, nullptr, false)["error"], "misdirected_request");
  for (const std::string& host : {Host(), "localhost:" + port, "evlog.test:" + port}) {
    EXPECT_EQ(Exchange(Request("GET", "/streams", "Host: " + host + "\r\n")).status, 200) << host;
  }
}

TEST_F(HttpAdmission, ACrossOriginPostIs403AndAppendsNothing) {
  Start({.allowed_origins = {"http://app.example"}});
  const std::string event = R"({"type":"Forged","data":{"x":1}})";
  Reply forged = Exchange(Request("POST", "/streams/s",
                                  "Host: " + Host() +
                                      "\r\nOrigin: http://evil.example\r\n"
                                      "Content-Type: text/plain\r\n",
                                  event));
  EXPECT_EQ(forged.status, 403) << forged.head;
  EXPECT_EQ(Json::parse(forged.body, nullptr, false)["error"], "forbidden_origin");
  EXPECT_FALSE(forged.Has("Access-Control-Allow-Origin"));
  Reply fetched = Exchange(Request(
      "POST", "/streams/s", "Host: " + Host() + "\r\nSec-Fetch-Site: cross-site\r\n", event));
  EXPECT_EQ(fetched.status, 403) << fetched.head;
  EXPECT_EQ(EventsIn("s"), 0u);

  Reply allowed = Exchange(Request(
      "POST", "/streams/s",
      "Host: " + Host() + "\r\nOrigin: http://app.example\r\nContent-Type: application/json\r\n",
      event));
  EXPECT_EQ(allowed.status, 201) << allowed.body;
  EXPECT_EQ(allowed.Header("Access-Control-Allow-Origin"), "http://app.example");
  EXPECT_EQ(allowed.Header("Vary"), "Origin");
  Reply script = Exchange(Request(
      "POST", "/streams/s", "Host: " + Host() + "\r\nContent-Type: application/json\r\n", event));
  EXPECT_EQ(script.status, 201) << script.body;  // curl: no Origin, no token configured
  EXPECT_EQ(EventsIn("s"), 2u);
}

TEST_F(HttpAdmission, PreflightsGetCorsHeadersForListedOriginsOnly) {
  Start({.allowed_origins = {"http://app.example"}});
  const std::string preflight = "Host: " + Host() +
                                "\r\nAccess-Control-Request-Method: POST\r\n"
                                "Access-Control-Request-Headers: content-type\r\n";
  Reply ok =
      Exchange(Request("OPTIONS", "/streams/s", preflight + "Origin: http://app.example\r\n"));
  EXPECT_EQ(ok.status, 204) << ok.head;
  EXPECT_EQ(ok.Header("Access-Control-Allow-Origin"), "http://app.example");
  EXPECT_NE(ok.Header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_EQ(ok.Header("Access-Control-Allow-Headers"), "content-type");
  Reply other =
      Exchange(Request("OPTIONS", "/streams/s", preflight + "Origin: http://evil.example\r\n"));
  EXPECT_EQ(other.status, 403) << other.head;
  EXPECT_FALSE(other.Has("Access-Control-Allow-Origin"));
}

TEST(HttpAdmissionEvlogd, FlagsSetTheHeaderTimeoutAndTheAllowedHosts) {
  TempDir dir;
  uint16_t port = 0, http_port = 0;
  auto evlogd = StartEvlogd({"--db", dir.Sub("db"), "--listen", "127.0.0.1:0", "--http",
                             "127.0.0.1:0", "--http-header-timeout", "1", "--http-allowed-hosts",
                             "evlog.test,proxy.test:8080"},
                            port, &http_port);
  ASSERT_NE(evlogd, nullptr);
  ASSERT_NE(http_port, 0);
  const std::string local = "127.0.0.1:" + std::to_string(http_port);
  HttpSocket slow(http_port);
  ASSERT_TRUE(slow.connected());
  EXPECT_TRUE(slow.TrickleUntilClosed(SlowHeaders(local), std::chrono::milliseconds(200)));
  for (const std::string& host : {local, std::string("evlog.test"), std::string("proxy.test:8080")}) {
    HttpSocket s(http_port);
    ASSERT_TRUE(s.Send("GET /streams HTTP/1.1\r\nHost: " + host + "\r\n\r\n"));
    EXPECT_EQ(s.Read().status, 200) << host;
  }
  HttpSocket other(http_port);
  ASSERT_TRUE(other.Send("GET /streams HTTP/1.1\r\nHost: proxy.test:8081\r\n\r\n"));
  EXPECT_EQ(other.Read().status, 421);
  const int status = evlogd->KillAndWait(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(HttpAdmissionEvlogd, BadAdmissionAndBackupFlagsAreUsageErrors) {
  TempDir dir;
  const std::vector<std::vector<std::string>> bad = {
      {"--http-header-timeout", "0"},
      {"--http-max-connections-per-ip", "0"},
      {"--http-allowed-origins", "evil.example"},
      {"--http-allowed-hosts", "http://evil.example"},
      {"--backup-dir", dir.Sub("missing")},
  };
  for (const auto& flags : bad) {
    std::vector<std::string> argv{EVLOGD_PATH,   "--db",   dir.Sub("db"), "--listen",
                                  "127.0.0.1:0", "--http", "127.0.0.1:0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto child = ChildProcess::Start(argv);
    ASSERT_NE(child, nullptr);
    const int status = child->Wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << flags[0] << " " << flags[1];
  }
}

}  // namespace
}  // namespace evlog::testutil
