// The append forms over HTTP (docs/http.md "Appending"): POST /append with
// {"streams":[{"stream","expect","events"}],"condition":..}, the type and
// category conditions, and ?duplicates=skip on both append routes.

#include <string>
#include <vector>

#include "integration/http_fixture.h"

namespace evlog::testutil {
namespace {

using HttpAppend = HttpTest;

constexpr char kIdA[] = "00000000-0000-4000-8000-00000000000a";
constexpr char kIdB[] = "00000000-0000-4000-8000-00000000000b";

TEST_F(HttpAppend, PostAppendWritesEveryStreamAtomically) {
  HttpReply r = Post("/append", R"({"streams":[
      {"stream":"order-1","expect":"no_stream","events":[{"type":"Placed","data":{"n":1}},
                                                        {"type":"Paid","data":1e400}]},
      {"stream":"stock-1","expect":0,"events":[{"type":"Reserved","data":{}}]}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  const Json streams = r.json()["streams"];
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0]["stream"], "order-1");
  EXPECT_EQ(streams[0]["last_version"], 2);
  EXPECT_EQ(streams[1]["first_position"], 3);
  EXPECT_EQ(streams[1]["deduplicated"], false);
  // The bytes as sent.
  auto events = store_->Read(Query{});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->events.size(), 3u);
  EXPECT_EQ(events->events[1].data, "1e400");
}

TEST_F(HttpAppend, AWrongExpectedVersionOnOneStreamWritesNone) {
  AppendDirect("stock-1", 1);
  HttpReply r = Post("/append", R"({"streams":[
      {"stream":"order-1","expect":"no_stream","events":[{"type":"Placed","data":{}}]},
      {"stream":"stock-1","expect":"no_stream","events":[{"type":"Reserved","data":{}}]}]})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["error"], "wrong_expected_version");
  EXPECT_EQ(r.json()["stream"], "stock-1");
  EXPECT_EQ(store_->LastPosition(), Position(1));
}

TEST_F(HttpAppend, TypeAndCategoryConditionsAreHonouredOnBothRoutes) {
  ASSERT_EQ(Post("/streams/order-1", R"({"type":"Cancelled","data":{}})").status, 201);
  HttpReply by_type = Post(
      "/streams/order-2",
      R"({"events":[{"type":"Placed","data":{}}],"condition":{"event_types":["Cancelled"]}})");
  EXPECT_EQ(by_type.status, 409) << by_type.body;
  EXPECT_EQ(by_type.json()["error"], "condition_failed");
  EXPECT_EQ(by_type.json()["conflicting_position"], 1);
  HttpReply by_category = Post("/append", R"({"streams":[{"stream":"stock-1","events":[
      {"type":"Reserved","data":{}}]}],"condition":{"categories":["order"]}})");
  EXPECT_EQ(by_category.status, 409) << by_category.body;
  HttpReply after = Post("/append", R"({"streams":[{"stream":"stock-1","events":[
      {"type":"Reserved","data":{}}]}],"condition":{"categories":["order"],"after":1}})");
  EXPECT_EQ(after.status, 201) << after.body;
  EXPECT_EQ(store_->LastPosition(), Position(2));
}

TEST_F(HttpAppend, SkipLeavesOutCommittedEventsOnBothRoutes) {
  const std::string a = R"({"type":"X","data":{},"id":")" + std::string(kIdA) + R"("})";
  const std::string b = R"({"type":"Y","data":{},"id":")" + std::string(kIdB) + R"("})";
  ASSERT_EQ(Post("/streams/cdc-1", a).status, 201);
  HttpReply refused = Post("/streams/cdc-1", "[" + a + "," + b + "]");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.json()["error"], "idempotency_conflict");

  HttpReply skipped = Post("/streams/cdc-1?duplicates=skip", "[" + a + "," + b + "]");
  ASSERT_EQ(skipped.status, 201) << skipped.body;
  EXPECT_EQ(skipped.json()["skipped"], Json::array({kIdA}));
  EXPECT_EQ(skipped.json()["first_version"], 2);

  HttpReply again = Post("/append?duplicates=skip",
                         R"({"streams":[{"stream":"cdc-1","events":[)" + a + "," + b + "]}]}");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json()["streams"][0]["deduplicated"], true);
  EXPECT_EQ(store_->LastPosition(), Position(2));
}

TEST_F(HttpAppend, BadBodiesAndParametersAreRefusedAndWriteNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/append", R"({"streams":[]})"},
      {"/append", R"({"streams":[{"events":[{"type":"X","data":1}]}]})"},
      {"/append", R"({"streams":[{"stream":"s-1","expect":"maybe","events":[]}]})"},
      {"/append", R"({"streams":[{"stream":"s-1","events":[{"type":"X"}]}]})"},
      {"/append", R"({"streams":[{"stream":"s-1","events":[{"type":"X","data":1}]}],"x":1})"},
      {"/append", R"({"streams":[{"stream":"s-1","events":[{"type":"X","data":1}]}],
                      "condition":{"after":1}})"},
      {"/append?duplicates=ignore", R"({"streams":[{"stream":"s-1","events":[{"type":"X","data":1}]}]})"},
      {"/append?expect=1", R"({"streams":[{"stream":"s-1","events":[{"type":"X","data":1}]}]})"},
  };
  for (const auto& [path, body] : cases) {
    HttpReply r = Post(path, body);
    EXPECT_EQ(r.status, 400) << path << " " << body << " -> " << r.body;
    EXPECT_EQ(r.json()["error"], "invalid_argument") << r.body;
  }
  HttpReply not_json = Post("/append", R"({"streams":[)");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.json()["error"], "bad_json") << not_json.body;
  HttpReply keyed = Post("/append", R"({"streams":[{"stream":"s-1","events":[{"type":"X","data":1}]}]})",
                         {"-H", "Idempotency-Key: k1"});
  EXPECT_EQ(keyed.status, 400) << keyed.body;
  HttpReply key_and_skip = Post("/streams/s-1?duplicates=skip", R"({"type":"X","data":1})",
                                {"-H", "Idempotency-Key: k1"});
  EXPECT_EQ(key_and_skip.status, 400) << key_and_skip.body;
  HttpReply get = Get("/append");
  EXPECT_EQ(get.status, 405) << get.body;
  EXPECT_EQ(get.headers["allow"], "POST");
  EXPECT_EQ(store_->LastPosition(), Position(0));
}

}  // namespace
}  // namespace evlog::testutil
