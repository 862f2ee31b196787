// HttpHandler's hosted-subscription routes without sockets: the contract of
// a waiting fetch (HttpLongPoll) with the session that retries it. The wire
// is tested in tests/integration/http_hosted_test.cc.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http_handler.h"
#include "http_handler_fixture.h"
#include "testutil/eventually.h"

namespace evlog::server {
namespace {

namespace http = net::http;
using Json = nlohmann::json;

using HttpHandlerHosted = HttpHandlerTest;

TEST_F(HttpHandlerHosted, AFetchThatMayWaitIsALongPollThatAnswersByItsLastTry) {
  ASSERT_EQ(Response(http::verb::put, "/subscriptions/billing").result(), http::status::created);
  HttpResponse opened = Response(http::verb::post, "/subscriptions/billing/consumers");
  ASSERT_EQ(opened.result(), http::status::created) << opened.body();
  const std::string fetch = "/subscriptions/billing/consumers/" +
                            Json::parse(opened.body())["consumer"].get<std::string>() + "/fetch";

  // Nothing to take and no wait: answered at once.
  HttpResponse now = Response(http::verb::post, fetch);
  ASSERT_EQ(now.result(), http::status::ok) << now.body();
  EXPECT_TRUE(Json::parse(now.body())["events"].empty());

  // Nothing to take, a wait allowed: a long poll, not a blocked thread.
  HttpAnswer answer = Call(http::verb::post, fetch + "?wait_ms=5000");
  ASSERT_TRUE(std::holds_alternative<HttpLongPoll>(answer));
  HttpLongPoll& poll = std::get<HttpLongPoll>(answer);
  EXPECT_GT(poll.deadline, std::chrono::steady_clock::now());
  EXPECT_FALSE(poll.attempt(/*last=*/false).has_value());
  std::optional<HttpResponse> last = poll.attempt(/*last=*/true);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->result(), http::status::ok);
  EXPECT_TRUE(Json::parse(last->body())["events"].empty());

  // A try after an append answers with the event.
  ASSERT_TRUE(
      store_
          ->Append("order-1", ExpectedVersion::Any(),
                   {EventData{.type = "A", .data = "1", .content_type = ContentType::kJson}})
          .ok());
  // Tried again as the session's timer would, until the broker has read it.
  std::optional<HttpResponse> got;
  ASSERT_TRUE(testutil::Eventually([&] {
    got = poll.attempt(/*last=*/false);
    return got.has_value();
  }));
  ASSERT_TRUE(got.has_value());
  const Json page = Json::parse(got->body());
  ASSERT_EQ(page["events"].size(), 1u) << got->body();
  EXPECT_EQ(page["events"][0]["position"], 1);
  EXPECT_EQ(page["events"][0]["attempt"], 1);
}

TEST_F(HttpHandlerHosted, ADefinitionWithAMemberTwiceOrUnknownIsRefusedAndCreatesNothing) {
  for (const char* body : {R"({"category":"order","category":"user"})", R"({"kategory":"order"})",
                           R"({"from":"oldest","from":"latest"})"}) {
    HttpResponse r = Response(http::verb::put, "/subscriptions/billing", body);
    EXPECT_EQ(r.result(), http::status::bad_request) << body;
    EXPECT_EQ(Json::parse(r.body())["error"], "invalid_argument") << r.body();
  }
  HttpResponse twice =
      Response(http::verb::put, "/subscriptions/billing", R"({"type":"A","type":"B"})");
  EXPECT_EQ(Json::parse(twice.body())["message"], "the body has \"type\" twice") << twice.body();
  EXPECT_EQ(Response(http::verb::put, "/subscriptions/billing", "[1]").result(),
            http::status::bad_request);
  auto listed = store_->ListSubscriptions();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty()) << "a refused definition creates nothing";
}

TEST_F(HttpHandlerHosted, PuttingTheSameDefinitionAgainIsA200ThatSaysItExisted) {
  HttpResponse first = Response(http::verb::put, "/subscriptions/billing", R"({"type":"A"})");
  ASSERT_EQ(first.result(), http::status::created) << first.body();
  EXPECT_EQ(Json::parse(first.body())["created"], true);
  HttpResponse again = Response(http::verb::put, "/subscriptions/billing", R"({"type":"A"})");
  ASSERT_EQ(again.result(), http::status::ok) << again.body();
  EXPECT_EQ(Json::parse(again.body())["created"], false);
}

TEST_F(HttpHandlerHosted, RoutesCheckTheirMethods) {
  HttpResponse r = Response(http::verb::post, "/subscriptions");
  EXPECT_EQ(r.result(), http::status::method_not_allowed);
  EXPECT_EQ(r[http::field::allow], "GET");
  r = Response(http::verb::get, "/subscriptions/billing/consumers/x/ack");
  EXPECT_EQ(r[http::field::allow], "POST");
  r = Response(http::verb::get, "/subscriptions/billing/consumers/x/other");
  EXPECT_EQ(r.result(), http::status::not_found);
}

}  // namespace
}  // namespace evlog::server
