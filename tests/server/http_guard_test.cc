// HttpGuard without sockets: which Host values pass, which writes a page of
// another origin may not make, and how CORS preflights are answered.

#include "http_guard.h"

#include <gtest/gtest.h>

namespace evlog::server {
namespace {

namespace http = net::http;

net::tcp::endpoint Loopback(uint16_t port) {
  return {net::asio::ip::make_address("127.0.0.1"), port};
}

HttpRequest RequestWith(http::verb method, std::string host,
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest request{method, "/streams/s", 11};
  if (!host.empty()) request.set(http::field::host, host);
  for (auto& [name, value] : headers) request.set(name, value);
  return request;
}

// The status Admit answers, or 0 when the request is admitted.
unsigned Admit(const HttpGuard& guard, const HttpRequest& request) {
  std::optional<HttpResponse> refusal = guard.Admit(request);
  return refusal ? refusal->result_int() : 0;
}

TEST(HttpGuardHost, LoopbackNamesWithTheListenPortPass) {
  const HttpGuard guard(Loopback(7412), {}, {});
  for (const char* host : {"127.0.0.1:7412", "[::1]:7412", "localhost:7412", "LocalHost:7412"}) {
    EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, host)), 0u) << host;
  }
}

TEST(HttpGuardHost, ForeignNamesOtherPortsAndAMissingHostAre421) {
  const HttpGuard guard(Loopback(7412), {}, {});
  for (const char* host : {"evil.example:7412", "evil.example", "127.0.0.1:80", "localhost",
                           "127.0.0.1:7413", "", "[::1", "::1:7412", "localhost:99999"}) {
    EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, host)), 421u) << host;
  }
}

TEST(HttpGuardHost, AllowedHostsAddNamesWithOrWithoutAPort) {
  const HttpGuard guard(Loopback(7412), {"evlog.internal", "proxy.example:8080"}, {});
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "evlog.internal:7412")), 0u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "EVLOG.internal")), 0u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "proxy.example:8080")), 0u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "proxy.example:8081")), 421u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "localhost:7412")), 0u);
}

TEST(HttpGuardHost, AnUnspecifiedAddressTakesIpLiteralsWithItsPortOnly) {
  const HttpGuard guard({net::asio::ip::make_address("0.0.0.0"), 7412}, {}, {});
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "10.1.2.3:7412")), 0u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "[fe80::1]:7412")), 0u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "10.1.2.3:7413")), 421u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "rebind.example:7412")), 421u);
}

TEST(HttpGuardOrigin, ACrossSiteWriteIs403AndASameOriginOrListedOnePasses) {
  const HttpGuard guard(Loopback(7412), {}, {"http://app.example:3000"});
  const std::string host = "127.0.0.1:7412";
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::post, host, {{"Origin", "http://evil.example"}})),
            403u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::post, host, {{"Origin", "null"}})), 403u);
  EXPECT_EQ(
      Admit(guard, RequestWith(http::verb::delete_, host, {{"Origin", "http://evil.example"}})),
      403u);
  EXPECT_EQ(
      Admit(guard, RequestWith(http::verb::post, host, {{"Origin", "http://127.0.0.1:7412"}})), 0u);
  EXPECT_EQ(
      Admit(guard, RequestWith(http::verb::post, host, {{"Origin", "http://app.example:3000"}})),
      0u);
}

TEST(HttpGuardOrigin, AWriteWithoutOriginPassesUnlessSecFetchSiteSaysCrossSite) {
  const HttpGuard guard(Loopback(7412), {}, {});
  const std::string host = "127.0.0.1:7412";
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::post, host)), 0u);  // curl, scripts
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::post, host, {{"Sec-Fetch-Site", "cross-site"}})),
            403u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::post, host, {{"Sec-Fetch-Site", "same-site"}})),
            403u);
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::post, host, {{"Sec-Fetch-Site", "same-origin"}})),
            0u);
}

TEST(HttpGuardOrigin, ReadsFromAnyOriginPassTheGuard) {
  const HttpGuard guard(Loopback(7412), {}, {});
  EXPECT_EQ(Admit(guard, RequestWith(http::verb::get, "127.0.0.1:7412",
                                     {{"Origin", "http://evil.example"}})),
            0u);
}

TEST(HttpGuardCors, APreflightFromAListedOriginGetsItsHeadersAndOthersGet403) {
  const HttpGuard guard(Loopback(7412), {}, {"http://app.example:3000"});
  const std::string host = "127.0.0.1:7412";
  std::optional<HttpResponse> ok =
      guard.Admit(RequestWith(http::verb::options, host,
                              {{"Origin", "http://app.example:3000"},
                               {"Access-Control-Request-Method", "POST"},
                               {"Access-Control-Request-Headers", "content-type, authorization"}}));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->result_int(), 204u);
  EXPECT_EQ((*ok)[http::field::access_control_allow_origin], "http://app.example:3000");
  EXPECT_EQ((*ok)[http::field::access_control_allow_headers], "content-type, authorization");
  EXPECT_EQ((*ok)[http::field::vary], "Origin");

  std::optional<HttpResponse> refused = guard.Admit(
      RequestWith(http::verb::options, host,
                  {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "POST"}}));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result_int(), 403u);
  EXPECT_EQ(refused->find(http::field::access_control_allow_origin), refused->end());
}

TEST(HttpGuardCors, OnlyListedOriginsAreEchoed) {
  const HttpGuard guard(Loopback(7412), {}, {"http://app.example:3000"});
  EXPECT_EQ(guard.CorsOrigin(RequestWith(http::verb::get, "127.0.0.1:7412",
                                         {{"Origin", "http://app.example:3000"}})),
            "http://app.example:3000");
  EXPECT_EQ(guard.CorsOrigin(RequestWith(http::verb::get, "127.0.0.1:7412",
                                         {{"Origin", "http://evil.example"}})),
            "");
}

TEST(HttpGuardOptions, MalformedHostsAndOriginsAreRefusedByName) {
  EXPECT_TRUE(HttpGuard::CheckOptions({"a.example", "b.example:80", "[::1]:1"},
                                      {"http://a.example", "https://b.example:8443"})
                  .ok());
  for (const char* host : {"", "a.example:", "a.example:x", "http://a.example"}) {
    Status s = HttpGuard::CheckOptions({host}, {});
    EXPECT_TRUE(s.IsInvalidArgument()) << host;
  }
  for (const char* origin : {"a.example", "http://", "http://a.example/path", "ftp://a"}) {
    Status s = HttpGuard::CheckOptions({}, {origin});
    EXPECT_TRUE(s.IsInvalidArgument()) << origin;
    EXPECT_NE(s.message().find(origin), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace evlog::server
