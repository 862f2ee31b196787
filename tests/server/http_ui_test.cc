// The web console's routes (http_ui.h) and the operator routes it reads
// (GET /stats, POST /subscriptions/{name}/replay-parked), through
// HttpHandler against a real store, without sockets. The pages themselves
// are tested in a browser: tests/integration/ui_test.cc.

#include "http_ui.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "http_handler_fixture.h"
#include "ui_assets.h"

namespace evlog::server {
namespace {

namespace http = net::http;
using Json = nlohmann::json;

class WebConsoleRoutes : public HttpHandlerTest {
 protected:
  HttpResponse Get(std::string target,
                   std::vector<std::pair<std::string, std::string>> headers = {},
                   http::verb method = http::verb::get) {
    return Response(method, std::move(target), "", std::move(headers));
  }
};

std::string Header(const HttpResponse& r, std::string_view name) { return std::string(r[name]); }

TEST_F(WebConsoleRoutes, ServesIndexAndFilesWithTheirTypesAndPolicy) {
  struct Case {
    std::string target;
    std::string type;
    std::string needle;
  };
  for (const Case& c : {Case{"/ui/", "text/html; charset=utf-8", "<main id=\"view\""},
                        Case{"/ui/index.html", "text/html; charset=utf-8", "app.js"},
                        Case{"/ui/app.js", "text/javascript; charset=utf-8", "EventSource"},
                        Case{"/ui/app.css", "text/css; charset=utf-8", "prefers-color-scheme"},
                        Case{"/ui/?x=1", "text/html; charset=utf-8", "app.css"}}) {
    HttpResponse r = Get(c.target);
    ASSERT_EQ(r.result(), http::status::ok) << c.target;
    EXPECT_EQ(Header(r, "Content-Type"), c.type) << c.target;
    EXPECT_NE(r.body().find(c.needle), std::string::npos) << c.target;
    EXPECT_EQ(Header(r, "Content-Security-Policy"), kUiContentSecurityPolicy) << c.target;
    EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(Header(r, "Cache-Control"), "no-cache");
    EXPECT_FALSE(Header(r, "ETag").empty());
  }
}

TEST_F(WebConsoleRoutes, PolicyAllowsOnlyTheConsolesOwnFiles) {
  const std::string policy(kUiContentSecurityPolicy);
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(policy.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(policy.find("http"), std::string::npos);
}

TEST_F(WebConsoleRoutes, FilesHaveNoInlineScriptStyleOrForeignUrl) {
  // The policy would block them in the browser: keep the files within it.
  for (const UiAsset& asset : UiAssets()) {
    const std::string body(asset.body);
    EXPECT_FALSE(std::regex_search(body, std::regex("<script(?![^>]*\\bsrc=)[^>]*>")))
        << asset.name << " has an inline script";
    EXPECT_FALSE(std::regex_search(body, std::regex("\\son[a-z]+=\""))) << asset.name;
    EXPECT_FALSE(std::regex_search(body, std::regex("<style|\\sstyle=\""))) << asset.name;
    EXPECT_FALSE(std::regex_search(body, std::regex("(src|href)=\"(https?:)?//"))) << asset.name;
    EXPECT_EQ(body.find("eval("), std::string::npos) << asset.name;
  }
}

TEST_F(WebConsoleRoutes, BareUiRedirectsToTheIndex) {
  HttpResponse r = Get("/ui");
  EXPECT_EQ(r.result(), http::status::moved_permanently);
  EXPECT_EQ(Header(r, "Location"), "/ui/");
  EXPECT_EQ(Header(Get("/ui?a=b"), "Location"), "/ui/?a=b");
}

TEST_F(WebConsoleRoutes, MatchingEtagAnswers304WithoutBody) {
  const std::string etag = Header(Get("/ui/app.js"), "ETag");
  HttpResponse r = Get("/ui/app.js", {{"If-None-Match", etag}});
  EXPECT_EQ(r.result(), http::status::not_modified);
  EXPECT_TRUE(r.body().empty());
  EXPECT_EQ(Get("/ui/app.js", {{"If-None-Match", "\"other\""}}).result(), http::status::ok);
}

TEST_F(WebConsoleRoutes, UnknownFileIs404AndOtherMethodsAre405) {
  EXPECT_EQ(Get("/ui/nope.js").result(), http::status::not_found);
  EXPECT_EQ(Get("/ui/../metrics").result(), http::status::not_found);
  EXPECT_EQ(Get("/uix").result(), http::status::not_found);
  HttpResponse r = Get("/ui/", {}, http::verb::post);
  EXPECT_EQ(r.result(), http::status::method_not_allowed);
  EXPECT_EQ(Header(r, "Allow"), "GET");
}

TEST_F(WebConsoleRoutes, FilesNeedNoTokenButDataRoutesDo) {
  token_ = "s3cret";
  EXPECT_EQ(Get("/ui/").result(), http::status::ok);
  EXPECT_EQ(Get("/ui/app.js").result(), http::status::ok);
  EXPECT_EQ(Get("/stats").result(), http::status::unauthorized);
  EXPECT_EQ(Get("/stats", {{"Authorization", "Bearer s3cret"}}).result(), http::status::ok);
  EXPECT_EQ(Get("/ui/", {}, http::verb::post).result(), http::status::unauthorized);
}

TEST_F(WebConsoleRoutes, StatsGivesTheStoresTotals) {
  AppendOne("order-1");
  AppendOne("order-1");
  AppendOne("user-1");
  HttpResponse r = Get("/stats");
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  Json j = Json::parse(r.body());
  EXPECT_EQ(j["events"], 3);
  EXPECT_EQ(j["streams"], 2);
  EXPECT_EQ(j["last_position"], 3);
  EXPECT_GT(j["disk_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(Get("/stats?x=1").result(), http::status::bad_request);
  EXPECT_EQ(Get("/stats", {}, http::verb::post).result(), http::status::method_not_allowed);
}

TEST_F(WebConsoleRoutes, ReplayParkedIsAPostThatNeedsParkedEvents) {
  EXPECT_EQ(Get("/subscriptions/billing/replay-parked").result(), http::status::method_not_allowed);
  HttpResponse r = Get("/subscriptions/billing/replay-parked", {}, http::verb::post);
  EXPECT_EQ(r.result(), http::status::not_found) << r.body();
}

}  // namespace
}  // namespace evlog::server
