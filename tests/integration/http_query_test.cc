// Tags, queries and the DCB append condition over HTTP (docs/http.md):
// "tags" in event bodies and output, GET and POST /query with the head, and
// the envelope body {"events":[..],"condition":..} whose violation is 409
// condition_failed with the first conflicting position.

#include <string>
#include <vector>

#include "integration/http_fixture.h"

namespace evlog::testutil {
namespace {

using HttpQuery = HttpTest;

constexpr char kUniqueAnn[] = R"({"items":[{"types":["Registered"],"tags":["username:ann"]}]})";

std::string Registration(const std::string& user) {
  return R"({"events":[{"type":"Registered","data":{},"tags":["username:)" + user +
         R"("]}],"condition":{"fail_if_events_match":{"items":[{"types":["Registered"],"tags":["username:)" +
         user + R"("]}]}}})";
}

std::vector<uint64_t> Positions(const Json& j) {
  std::vector<uint64_t> out;
  for (const Json& e : j["events"]) out.push_back(e["position"]);
  return out;
}

TEST_F(HttpQuery, TagsGoInWithTheEventAndComeBackOnEveryRead) {
  HttpReply r = Post("/streams/user-1", R"({"type":"Registered","data":{},"tags":["a","b c"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_EQ(Post("/streams/user-1", R"({"type":"Noted","data":1})").status, 201);
  auto stored = store_->Read(Query{.items = {QueryItem{.tags = {"b c"}}}});
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->events.size(), 1u);
  EXPECT_EQ(stored->events[0].tags, (std::vector<std::string>{"a", "b c"}));
  for (const std::string path : {"/streams/user-1", "/all"}) {
    r = Get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["events"][0]["tags"], Json::parse(R"(["a","b c"])")) << path;
    EXPECT_FALSE(r.json()["events"][1].contains("tags")) << path;
  }
}

TEST_F(HttpQuery, GetAndPostQueryAnswerTheMatchesAndTheHead) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Post("/streams/course-" + std::to_string(i),
                   R"({"type":")" + std::string(i == 1 ? "CourseDefined" : "StudentSubscribed") +
                       R"(","data":{},"tags":["course:c1"]})")
                  .status,
              201);
  }
  HttpReply r = Get("/query?tag=course%3Ac1&type=StudentSubscribed");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Positions(r.json()), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(r.json()["head"], 3);
  EXPECT_EQ(r.json()["truncated"], false);

  r = Post("/query?direction=backward", R"({"items":[{"tags":["course:c1"]}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Positions(r.json()), (std::vector<uint64_t>{3, 2, 1}));

  r = Get("/query?tag=course%3Ac1&count=2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Positions(r.json()), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(r.json()["truncated"], true);
  EXPECT_EQ(r.json()["next"], 3);

  r = Get("/query?tag=none");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["events"].empty());
  EXPECT_EQ(r.json()["head"], 3);
}

TEST_F(HttpQuery, AnAnswerPastTheServersReadLimitIsPagedWithNext) {
  StopServer();
  server::ServerOptions options;
  options.dispatcher.max_read_events = 3;
  StartHttpServer(options);
  for (int i = 0; i < 7; ++i) {
    // Every other event is tagged: positions 1, 3, 5, 7, 9, 11, 13.
    for (const bool tagged : {true, false}) {
      EventData e{.type = "T", .data = "{}", .content_type = ContentType::kJson};
      if (tagged) e.tags = {"t"};
      ASSERT_TRUE(store_->Append("s", ExpectedVersion::Any(), {e}).ok());
    }
  }
  HttpReply r = Get("/query?tag=t");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Positions(r.json()), (std::vector<uint64_t>{1, 3, 5}));
  EXPECT_EQ(r.json()["truncated"], true);
  EXPECT_EQ(r.json()["next"], 6);
  EXPECT_EQ(r.json()["head"], 14);

  // A count under the limit that the matches fill exactly is not truncated.
  r = Get("/query?tag=t&from=10&count=2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Positions(r.json()), (std::vector<uint64_t>{11, 13}));
  EXPECT_EQ(r.json()["truncated"], false);
  EXPECT_FALSE(r.json().contains("next"));

  r = Get("/query?tag=t&direction=backward&count=10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Positions(r.json()), (std::vector<uint64_t>{13, 11, 9}));
  EXPECT_EQ(r.json()["truncated"], true);
  EXPECT_EQ(r.json()["next"], 8);
  r = Get("/query?tag=t&direction=backward&from=8");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Positions(r.json()), (std::vector<uint64_t>{7, 5, 3}));
  EXPECT_EQ(r.json()["next"], 2);
}

TEST_F(HttpQuery, AConditionInTheEnvelopeIsAUniquenessGuard) {
  HttpReply first = Post("/streams/user-1", Registration("ann"));
  ASSERT_EQ(first.status, 201) << first.body;
  HttpReply second = Post("/streams/user-2", Registration("ann"));
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(second.json()["error"], "condition_failed");
  EXPECT_EQ(second.json()["conflicting_position"], 1);
  EXPECT_EQ(Post("/streams/user-2", Registration("bob")).status, 201);
  // Decided after position 2: only later registrations of ann conflict.
  HttpReply after = Post("/streams/user-3", R"({"events":[{"type":"Registered","data":{}}],
      "condition":{"fail_if_events_match":)" + std::string(kUniqueAnn) + R"(,"after":2}})");
  EXPECT_EQ(after.status, 201) << after.body;
  EXPECT_EQ(store_->LastPosition(), Position(3));
}

TEST_F(HttpQuery, BadQueriesAndEnvelopesAre400AndWriteNothing) {
  const std::vector<std::string> bodies = {
      R"({"events":[{"type":"T","data":1}],"condition":{"after":1}})",
      R"({"events":[{"type":"T","data":1}],"condition":{"fail_if_events_match":{"items":[1]}}})",
      R"({"events":{"type":"T","data":1}})",
      R"({"condition":{"fail_if_events_match":{"items":[]}}})",
      R"({"events":[{"type":"T","data":1,"tags":[7]}]})",
      R"({"type":"T","data":1,"tags":[")" + std::string(256, 't') + R"("]})",
  };
  for (const std::string& body : bodies) {
    HttpReply r = Post("/streams/a-1", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
  }
  for (const std::string path :
       {"/query?query=%7B%7D", "/query?query=%5B", "/query?tag=a&query=%7B%22items%22%3A%5B%5D%7D",
        "/query?direction=up", "/query?nope=1"}) {
    HttpReply r = Get(path);
    EXPECT_EQ(r.status, 400) << path << " -> " << r.body;
  }
  EXPECT_EQ(Post("/query", R"({"items":[{"types":"T"}]})").status, 400);
  EXPECT_EQ(store_->LastPosition(), Position(0));
}

}  // namespace
}  // namespace evlog::testutil
