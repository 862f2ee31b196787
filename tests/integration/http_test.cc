// evlogd's HTTP/JSON and server-sent events, through curl (/usr/bin/curl,
// every call bounded by --max-time) against a server on 127.0.0.1 with
// ephemeral ports: in-process (HttpTest) and, for the flag and the SIGTERM
// drain, the evlogd binary.

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evlog/view.h"
#include "integration/http_fixture.h"
#include "testutil/exposition_parser.h"

namespace evlog::testutil {
namespace {

TEST_F(HttpTest, AppendsAndReadsThroughEveryReadRoute) {
  HttpReply r = Post("/streams/order-1", R"({"type":"Placed","data":{"total":3}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["first_position"], 1);
  EXPECT_EQ(r.headers["etag"], "\"1\"");
  r = Post("/streams/order-1", R"([{"type":"Paid","data":{}},{"type":"Shipped","data":null}])");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["first_version"], 2);
  EXPECT_EQ(r.json()["last_version"], 3);
  ASSERT_EQ(Post("/streams/user-1", R"({"type":"Joined","data":"x"})").status, 201);

  r = Get("/streams/order-1?from=2&count=5");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = r.json();
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0]["type"], "Paid");
  EXPECT_EQ(j["events"][1]["type"], "Shipped");
  EXPECT_EQ(r.headers["etag"], "\"3\"");

  r = Get("/streams/order-1?direction=backward&count=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["events"][0]["version"], 3);

  r = Get("/all?from=3");
  ASSERT_EQ(r.status, 200) << r.body;
  j = r.json();
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0]["position"], 3);
  EXPECT_EQ(j["events"][1]["stream"], "user-1");
  EXPECT_EQ(j["next"], 5);

  r = Get("/streams?category=order");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["streams"], Json::parse(R"([{"stream":"order-1","version":3}])"));
  r = Get("/streams");
  EXPECT_EQ(r.json()["streams"].size(), 2u);
}

TEST_F(HttpTest, ViewKeyIsServedAndUnknownOnesAre404) {
  auto view = store_->OpenView({.name = "latest"},
                               [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
                                 for (const auto& e : events) out.Put(e.stream, e.data);
                                 return Status::OK();
                               });
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  HttpReply r = Post("/streams/product-1", R"({"type":"Stocked","data":{"q":7}})");
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_TRUE(
      (*view)
          ->WaitFor(Position(r.json()["last_position"].get<uint64_t>()), std::chrono::seconds(10))
          .ok());
  r = Get("/views/latest/product-1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["value"]["q"], 7);
  EXPECT_EQ(Get("/views/latest/product-2").status, 404);
  EXPECT_EQ(Get("/views/nosuchview/x").status, 404);
}

TEST_F(HttpTest, MetricsIsAValidPrometheusExpositionOfTheStore) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Post("/streams/m-1", R"({"type":"T","data":{}})").status, 201);
  }
  HttpReply r = Get("/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4");
  auto families = ParseExposition(r.body);
  ASSERT_TRUE(families.ok()) << families.status().ToString() << "\n" << r.body;
  std::map<std::string, double> values;
  for (const ExpositionFamily& f : *families) {
    for (const ExpositionSample& s : f.samples) {
      if (s.labels.empty()) values[s.name] = s.value;
    }
  }
  EXPECT_EQ(values["evlog_appends_total"], 3);
  EXPECT_EQ(values["evlog_events_total"], 3);
  EXPECT_EQ(values["evlog_append_latency_seconds_count"], 3);
  // evlogd's own gauges: no binary-protocol session is open here.
  ASSERT_TRUE(values.contains("evlogd_sessions")) << r.body;
  EXPECT_EQ(values["evlogd_sessions"], 0);
  EXPECT_EQ(values["evlogd_queued_bytes"], 0);
  EXPECT_EQ(values["evlogd_slow_consumers_closed_total"], 0);
  EXPECT_EQ(Get("/metrics?x=1").status, 400);
  EXPECT_EQ(Post("/metrics", "{}").status, 405);
}

TEST_F(HttpTest, UnknownRouteIs404AndWrongMethodIs405) {
  HttpReply r = Get("/nothing/here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["error"], "not_found");
  r = Curl({"-X", "DELETE", Url("/streams/order-1")});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET, POST");
}

TEST_F(HttpTest, ConflictIs409WithTheActualVersion) {
  ASSERT_EQ(Post("/streams/order-1", R"([{"type":"A","data":1},{"type":"B","data":2}])").status,
            201);
  HttpReply r = Post("/streams/order-1", R"({"type":"C","data":3})", {"-H", "If-Match: 1"});
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["actual_version"], 2);
  EXPECT_EQ(r.json()["error"], "wrong_expected_version");
  EXPECT_EQ(r.headers["evlog-actual-version"], "2");
  r = Post("/streams/order-1?expect=no_stream", R"({"type":"C","data":3})");
  EXPECT_EQ(r.status, 409) << r.body;
  // Nothing of the failed appends was written; the right version goes in.
  r = Post("/streams/order-1?expect=2", R"({"type":"C","data":3})", {"-H", "If-Match: \"2\""});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["last_version"], 3);
}

TEST_F(HttpTest, BadJsonIs400AndChangesNothing) {
  HttpReply r = Post("/streams/order-1", R"({"type":"A","data":)");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["error"], "bad_json");
  EXPECT_FALSE(r.json()["message"].get<std::string>().empty());
  r = Post("/streams/order-1", R"([{"type":"A","data":1},{"data":2}])");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Post("/streams/$system", R"({"type":"A","data":1})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Get("/all?from=minus-one");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(store_->LastPosition(), Position(0));
}

TEST_F(HttpTest, OversizeBodyIs413AndChangesNothing) {
  StopServer();
  server::ServerOptions options;
  options.http = server::HttpOptions{.max_body_bytes = 64 << 10};
  StartHttpServer(options);
  const std::string path = dir_.Sub("big.json");
  {
    std::ofstream out(path);
    out << R"({"type":"Big","data":")" << std::string(100 << 10, 'x') << "\"}";
  }
  HttpReply r = Curl({"-X", "POST", Url("/streams/order-1"), "--data-binary", "@" + path});
  ASSERT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.json()["error"], "payload_too_large");
  EXPECT_EQ(store_->LastPosition(), Position(0));
  // Just under the limit goes in.
  r = Post("/streams/order-1", R"({"type":"Small","data":")" + std::string(60 << 10, 'x') + "\"}");
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(HttpTest, OversizeHeadersAre431) {
  HttpReply r = Get("/streams", {"-H", "X-Filler: " + std::string(20 << 10, 'x')});
  EXPECT_EQ(r.status, 431) << r.body;
  EXPECT_EQ(r.json()["error"], "headers_too_large");
}

TEST_F(HttpTest, MissingOrWrongBearerTokenIs401) {
  StopServer();
  server::ServerOptions options;
  options.dispatcher.token = "s3cret";
  StartHttpServer(options);
  HttpReply r = Get("/streams");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.json()["error"], "unauthenticated");
  EXPECT_EQ(r.headers["www-authenticate"], "Bearer realm=\"evlog\"");
  EXPECT_EQ(Get("/streams", {"-H", "Authorization: Bearer wrong"}).status, 401);
  EXPECT_EQ(Post("/streams/order-1", R"({"type":"A","data":1})").status, 401);
  EXPECT_EQ(Get("/subscribe").status, 401);
  EXPECT_EQ(store_->LastPosition(), Position(0));
  EXPECT_EQ(Get("/streams", {"-H", "Authorization: Bearer s3cret"}).status, 200);
  EXPECT_EQ(
      Post("/streams/order-1", R"({"type":"A","data":1})", {"-H", "Authorization: Bearer s3cret"})
          .status,
      201);
}

TEST_F(HttpTest, AGetMayCarryAnAccessTokenThatPostTokenIssued) {
  StopServer();
  server::ServerOptions options;
  options.dispatcher.token = "s3cret";
  StartHttpServer(options);
  EXPECT_EQ(Post("/token", "").status, 401);
  HttpReply issued = Post("/token", "", {"-H", "Authorization: Bearer s3cret"});
  ASSERT_EQ(issued.status, 201) << issued.body;
  EXPECT_EQ(issued.headers["cache-control"], "no-store");
  EXPECT_EQ(issued.json()["expires_in"], 60);
  const std::string access = issued.json()["access_token"].get<std::string>();
  ASSERT_EQ(access.size(), 64u);
  EXPECT_NE(Post("/token", "", {"-H", "Authorization: Bearer s3cret"}).json()["access_token"],
            access);

  EXPECT_EQ(Get("/streams?access_token=" + access).status, 200);
  EXPECT_EQ(Get("/all?count=1&access_token=" + access).status, 200);
  EXPECT_EQ(Get("/streams?access_token=" + std::string(64, '0')).status, 401);
  // Writes and new tokens need the daemon's token itself.
  EXPECT_EQ(Post("/streams/order-1?access_token=" + access, R"({"type":"A","data":1})").status,
            401);
  EXPECT_EQ(Post("/token?access_token=" + access, "").status, 401);
  EXPECT_EQ(store_->LastPosition(), Position(0));

  // What a browser's EventSource does: a GET of /subscribe with the token in
  // the query.
  SseReader sse(http_port_, "?access_token=" + access);
  ASSERT_TRUE(sse.WaitForComment("subscribed after position"));
  AppendDirect("order-1", 1);
  std::optional<SseEvent> e = sse.Next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->data["stream"], "order-1");
}

TEST_F(HttpTest, RetryWithTheSameIdempotencyKeyGivesTheSamePositions) {
  const std::string body = R"([{"type":"A","data":1},{"type":"B","data":2}])";
  HttpReply first = Post("/streams/order-1", body, {"-H", "Idempotency-Key: k-42"});
  ASSERT_EQ(first.status, 201) << first.body;
  HttpReply again = Post("/streams/order-1", body, {"-H", "Idempotency-Key: k-42"});
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json()["first_position"], first.json()["first_position"]);
  EXPECT_EQ(again.json()["last_position"], first.json()["last_position"]);
  EXPECT_EQ(again.json()["deduplicated"], true);
  EXPECT_EQ(store_->LastPosition(), Position(2));
  // Another key is another append.
  HttpReply other = Post("/streams/order-1", body, {"-H", "Idempotency-Key: k-43"});
  ASSERT_EQ(other.status, 201) << other.body;
  EXPECT_EQ(other.json()["first_position"], 3);
}

TEST_F(HttpTest, AnIdempotencyKeyReusedWithAnotherBodyIs422AndWritesNothing) {
  const std::string body = R"([{"type":"A","data":1},{"type":"B","data":2}])";
  ASSERT_EQ(Post("/streams/order-1", body, {"-H", "Idempotency-Key: k-1"}).status, 201);
  for (const std::string other : {R"([{"type":"A","data":1},{"type":"B","data":3}])",
                                  R"([{"type":"A","data":1}])",
                                  R"([{"type":"A","data":1},{"type":"B","data":2},{"type":"C","data":3}])"}) {
    SCOPED_TRACE(other);
    HttpReply r = Post("/streams/order-1", other, {"-H", "Idempotency-Key: k-1"});
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json()["error"], "idempotency_conflict");
  }
  EXPECT_EQ(store_->LastPosition(), Position(2));
  // The same body is still the retry it was.
  HttpReply again = Post("/streams/order-1", body, {"-H", "Idempotency-Key: k-1"});
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json()["deduplicated"], true);
}

TEST_F(HttpTest, IfNoneMatchStarAppendsOnlyToAStreamThatDoesNotExist) {
  const std::string body = R"({"type":"A","data":1})";
  EXPECT_EQ(Post("/streams/order-1", body, {"-H", "If-None-Match: *"}).status, 201);
  HttpReply r = Post("/streams/order-1", body, {"-H", "If-None-Match: *"});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["actual_version"], 1);
  EXPECT_EQ(Post("/streams/order-1", body, {"-H", "If-None-Match: \"1\""}).status, 400);
  EXPECT_EQ(Post("/streams/order-2", body, {"-H", "If-None-Match: *", "-H", "If-Match: 3"}).status,
            400);
  EXPECT_EQ(store_->LastPosition(), Position(1));
}

TEST_F(HttpTest, APageThatStopsBeforeTheEndSaysTruncated) {
  AppendDirect("order-1", 3);
  AppendDirect("order-2", 1);
  AppendDirect("order-3", 1);
  for (const auto& [path, truncated] : std::vector<std::pair<std::string, bool>>{
           {"/streams?count=2", true},
           {"/streams?count=3", false},
           {"/streams/order-1?count=2", true},
           {"/streams/order-1?count=3", false},
           {"/streams/order-1?count=3&direction=backward", false},
           {"/all?count=4", true},
           {"/all?count=5", false},
           {"/all?from=5&count=1", false}}) {
    SCOPED_TRACE(path);
    HttpReply r = Get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["truncated"], truncated) << r.body;
  }
}

TEST_F(HttpTest, SubscribeStreamsLiveEvents) {
  SseReader sse(http_port_, "?category=order");
  ASSERT_TRUE(sse.WaitForComment("subscribed after position"));
  AppendDirect("user-1", 1);  // filtered out
  AppendDirect("order-1", 3);
  for (uint64_t position = 2; position <= 4; ++position) {
    std::optional<SseEvent> e = sse.Next();
    ASSERT_TRUE(e.has_value()) << "stream ended before position " << position;
    EXPECT_EQ(e->id, position);
    // The default event type, so that a browser's EventSource.onmessage
    // fires; the event's own type is in the data.
    EXPECT_EQ(e->type, "message");
    EXPECT_EQ(e->data["type"], "Tick");
    EXPECT_EQ(e->data["stream"], "order-1");
    EXPECT_EQ(e->data["position"], position);
  }
}

TEST_F(HttpTest, SubscribeResumesFromLastEventIdWithoutGapOrDuplicate) {
  AppendDirect("order-1", 5);
  std::vector<uint64_t> seen;
  {
    SseReader sse(http_port_, "?from=1");
    for (int i = 0; i < 3; ++i) {
      std::optional<SseEvent> e = sse.Next();
      ASSERT_TRUE(e.has_value());
      seen.push_back(e->id);
    }
  }  // The client goes away after position 3.
  AppendDirect("order-1", 2);
  // A reconnect sends Last-Event-ID, which wins over ?from=.
  SseReader sse(http_port_, "?from=1", {"-H", "Last-Event-ID: " + std::to_string(seen.back())});
  for (int i = 0; i < 4; ++i) {
    std::optional<SseEvent> e = sse.Next();
    ASSERT_TRUE(e.has_value());
    seen.push_back(e->id);
  }
  AppendDirect("order-1", 1);  // live, after the catch-up
  std::optional<SseEvent> e = sse.Next();
  ASSERT_TRUE(e.has_value());
  seen.push_back(e->id);
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(HttpTest, SubscribeSendsKeepaliveCommentsWhenIdle) {
  StopServer();
  server::ServerOptions options;
  options.http = server::HttpOptions{.sse_heartbeat = std::chrono::milliseconds(20)};
  StartHttpServer(options);
  SseReader sse(http_port_, "");
  ASSERT_TRUE(sse.WaitForComment("subscribed"));
  EXPECT_TRUE(sse.WaitForComment("keepalive"));
}

TEST_F(HttpTest, DrainEndsEventStreamsCleanly) {
  SseReader sse(http_port_, "?from=oldest");
  ASSERT_TRUE(sse.WaitForComment("subscribed"));
  StopServer();  // Drain: waits for the event stream to end.
  const int status = sse.Finish();
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "curl saw the stream end cleanly";
}

TEST_F(HttpTest, SessionOverTheLimitGets503) {
  StopServer();
  server::ServerOptions options;
  options.http = server::HttpOptions{.max_sessions = 1};
  StartHttpServer(options);
  SseReader sse(http_port_, "");
  ASSERT_TRUE(sse.WaitForComment("subscribed"));  // holds the one session
  HttpReply r = Get("/streams");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json()["error"], "too_many_sessions");
}

TEST(HttpEvlogd, ReportsItsHttpPortAndDrainsOnSigterm) {
  TempDir dir;
  uint16_t port = 0, http_port = 0;
  auto evlogd =
      StartEvlogd({"--db", dir.Sub("db"), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"}, port,
                  &http_port);
  ASSERT_NE(evlogd, nullptr);
  ASSERT_NE(http_port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(http_port);
  HttpReply r =
      Curl({"-X", "POST", url + "/streams/order-1", "--data-binary", R"({"type":"A","data":1})"});
  ASSERT_EQ(r.status, 201) << r.body;
  SseReader sse(http_port, "?from=1");
  std::optional<SseEvent> e = sse.Next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->id, 1u);
  const int status = evlogd->KillAndWait(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(WEXITSTATUS(sse.Finish()), 0);
}

TEST(HttpEvlogd, RefusesANonLoopbackHttpAddressWithoutAllowRemote) {
  TempDir dir;
  auto child = ChildProcess::Start(
      {EVLOGD_PATH, "--db", dir.Sub("db"), "--listen", "127.0.0.1:0", "--http", "0.0.0.0:0"});
  ASSERT_NE(child, nullptr);
  const int status = child->Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
}

}  // namespace
}  // namespace evlog::testutil
