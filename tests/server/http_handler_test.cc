// HttpHandler against a real store, without sockets: routing, methods,
// auth, bad input and the JSON shapes. The wire (Beast sessions, curl,
// server-sent events) is tested in tests/integration/http_test.cc.

#include "http_handler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>

#include "evlog/view.h"
#include "http_handler_fixture.h"

namespace evlog::server {
namespace {

namespace http = net::http;
using Json = nlohmann::json;

using HttpHandlerRoutes = HttpHandlerTest;

TEST_F(HttpHandlerRoutes, AppendsOneEventAndReadsItBack) {
  HttpResponse r =
      Response(http::verb::post, "/streams/order-1", R"({"type":"Placed","data":{"total":3}})");
  ASSERT_EQ(r.result(), http::status::created) << r.body();
  Json j = Json::parse(r.body());
  EXPECT_EQ(j["first_version"], 1);
  EXPECT_EQ(j["last_position"], 1);
  EXPECT_EQ(j["deduplicated"], false);
  EXPECT_EQ(r[http::field::etag], "\"1\"");

  r = Response(http::verb::get, "/streams/order-1");
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  j = Json::parse(r.body());
  ASSERT_EQ(j["events"].size(), 1u);
  EXPECT_EQ(j["events"][0]["type"], "Placed");
  EXPECT_EQ(j["events"][0]["data"]["total"], 3);
  EXPECT_EQ(j["version"], 1);
}

TEST_F(HttpHandlerRoutes, ViewsListsEveryViewWithItsPositionAndLag) {
  EXPECT_EQ(Json::parse(Response(http::verb::get, "/views").body()),
            Json::parse(R"({"views":[]})"));
  {
    auto view = store_->OpenView({.name = "stock"},
                                 [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
                                   for (const auto& e : events) out.Put(e.stream, e.data);
                                   return Status::OK();
                                 });
    ASSERT_TRUE(view.ok());
    const Position first = AppendOne("product-1").last_position;
    ASSERT_TRUE((*view)->WaitFor(first, std::chrono::seconds(30)).ok());
  }
  AppendOne("product-2");
  HttpResponse r = Response(http::verb::get, "/views");
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  EXPECT_EQ(Json::parse(r.body()),
            Json::parse(R"({"views":[{"view":"stock","generation":0,"position":1,"lag":1}]})"));
  EXPECT_EQ(Response(http::verb::post, "/views").result(), http::status::method_not_allowed);
  EXPECT_EQ(Response(http::verb::get, "/views?x=1").result(), http::status::bad_request);
}

TEST_F(HttpHandlerRoutes, UnknownRouteIs404AndWrongMethodIs405) {
  EXPECT_EQ(Response(http::verb::get, "/nope").result(), http::status::not_found);
  EXPECT_EQ(Response(http::verb::get, "/").result(), http::status::not_found);
  HttpResponse r = Response(http::verb::delete_, "/streams/order-1");
  EXPECT_EQ(r.result(), http::status::method_not_allowed);
  EXPECT_EQ(r[http::field::allow], "GET, POST");
  EXPECT_EQ(Response(http::verb::post, "/all", "{}").result(), http::status::method_not_allowed);
}

TEST_F(HttpHandlerRoutes, BadJsonAndBadEventsAre400AndWriteNothing) {
  for (const char* body : {"{", "42", R"({"data":1})", R"([{"type":"A","data":1},{"type":2}])",
                           R"({"type":"A","data":1,"extra":1})", "[]"}) {
    HttpResponse r = Response(http::verb::post, "/streams/order-1", body);
    EXPECT_EQ(r.result(), http::status::bad_request) << body << " -> " << r.body();
    const Json error = Json::parse(r.body());
    EXPECT_TRUE(error["error"].is_string() && error["message"].is_string()) << r.body();
  }
  EXPECT_EQ(store_->LastPosition(), Position(0));
}

TEST_F(HttpHandlerRoutes, UnknownQueryParameterIs400) {
  HttpResponse r = Response(http::verb::get, "/all?form=1");
  EXPECT_EQ(r.result(), http::status::bad_request);
  EXPECT_NE(r.body().find("form"), std::string::npos);
}

TEST_F(HttpHandlerRoutes, IfMatchAndExpectMustAgree) {
  HttpResponse r = Response(http::verb::post, "/streams/order-1?expect=1",
                            R"({"type":"A","data":1})", {{"If-Match", "2"}});
  EXPECT_EQ(r.result(), http::status::bad_request) << r.body();
  r = Response(http::verb::post, "/streams/order-1?expect=no_stream", R"({"type":"A","data":1})",
               {{"If-Match", "0"}});
  EXPECT_EQ(r.result(), http::status::bad_request) << r.body();  // kinds differ
  r = Response(http::verb::post, "/streams/order-1?expect=0", R"({"type":"A","data":1})",
               {{"If-Match", "0"}});
  EXPECT_EQ(r.result(), http::status::created) << r.body();
}

TEST_F(HttpHandlerRoutes, MissingOrWrongTokenIs401BeforeRouting) {
  token_ = "s3cret";
  EXPECT_EQ(Response(http::verb::get, "/nope").result(), http::status::unauthorized);
  EXPECT_EQ(Response(http::verb::get, "/streams", "", {{"Authorization", "Bearer wrong"}}).result(),
            http::status::unauthorized);
  EXPECT_EQ(
      Response(http::verb::get, "/streams", "", {{"Authorization", "bearer s3cret"}}).result(),
      http::status::ok);
}

TEST_F(HttpHandlerRoutes, SubscribeOpensAFeedOrRejectsBadLastEventId) {
  HttpAnswer a = Call(http::verb::get, "/subscribe?from=oldest");
  ASSERT_TRUE(std::holds_alternative<SseStart>(a));
  EXPECT_NE(std::get<SseStart>(a).feed, nullptr);
  HttpResponse r = Response(http::verb::get, "/subscribe", "", {{"Last-Event-ID", "abc"}});
  EXPECT_EQ(r.result(), http::status::bad_request);
}

TEST_F(HttpHandlerRoutes, ReadsRespectCountDirectionAndPaging) {
  for (int i = 0; i < 5; ++i) AppendOne("order-1");
  AppendOne("user-1");
  Json j = Json::parse(
      Response(http::verb::get, "/streams/order-1?from=4&direction=backward&count=2").body());
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0]["version"], 4);
  EXPECT_EQ(j["events"][1]["version"], 3);
  j = Json::parse(Response(http::verb::get, "/all?from=2&count=3").body());
  ASSERT_EQ(j["events"].size(), 3u);
  EXPECT_EQ(j["events"][0]["position"], 2);
  EXPECT_EQ(j["next"], 5);
  j = Json::parse(Response(http::verb::get, "/streams?category=user").body());
  ASSERT_EQ(j["streams"].size(), 1u);
  EXPECT_EQ(j["streams"][0]["stream"], "user-1");
  EXPECT_EQ(Response(http::verb::get, "/streams/none-1").result(), http::status::not_found);
  EXPECT_EQ(Response(http::verb::get, "/all?count=0").result(), http::status::bad_request);
  EXPECT_EQ(Response(http::verb::get, "/streams/order-1?direction=up").result(),
            http::status::bad_request);
}

}  // namespace
}  // namespace evlog::server
