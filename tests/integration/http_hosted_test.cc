// Hosted subscriptions over HTTP (issue #17; docs/http.md, "Hosted
// subscriptions"): define, list and delete them, and consume them through
// pull consumers (open, fetch, ack, nack, close) and the event stream,
// through curl against evlogd on 127.0.0.1 (in-process, and the binary for
// its flags).

#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/http_fixture.h"
#include "testutil/eventually.h"
#include "testutil/exposition_parser.h"

namespace evlog::testutil {
namespace {

class HttpHostedSubscriptions : public HttpTest {
 protected:
  // Opens a consumer of `name`; its id ("" on failure, with a test failure).
  std::string Open(const std::string& name) {
    HttpReply r = Post("/subscriptions/" + name + "/consumers", "");
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return "";
    return r.json()["consumer"].get<std::string>();
  }
  HttpReply Fetch(const std::string& name, const std::string& id, const std::string& query = "") {
    return Post("/subscriptions/" + name + "/consumers/" + id + "/fetch" + query, "");
  }
  HttpReply Ack(const std::string& name, const std::string& id, const Json& positions) {
    return Post("/subscriptions/" + name + "/consumers/" + id + "/ack",
                Json{{"positions", positions}}.dump());
  }
  HttpReply Nack(const std::string& name, const std::string& id, uint64_t position,
                 const std::string& reason) {
    return Post("/subscriptions/" + name + "/consumers/" + id + "/nack",
                Json{{"position", position}, {"reason", reason}}.dump());
  }
  // The row of GET /subscriptions for `name`; null if none.
  Json Row(const std::string& name) {
    HttpReply r = Get("/subscriptions");
    EXPECT_EQ(r.status, 200) << r.body;
    const Json list = r.json();
    for (const Json& row : list["subscriptions"]) {
      if (row["name"] == name) return row;
    }
    return nullptr;
  }
  // Restarts the server with `http` options.
  void Restart(server::HttpOptions http, const std::string& token = "") {
    StopServer();
    server::ServerOptions options;
    options.http = http;
    options.dispatcher.token = token;
    StartHttpServer(options);
  }
};

TEST_F(HttpHostedSubscriptions, CreateIsIdempotentListShowsItAndDeleteRemovesIt) {
  AppendDirect("order-1", 3);
  HttpReply r = Put("/subscriptions/billing", R"({"category":"order","from":"oldest"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["subscription"], "billing");
  EXPECT_EQ(r.json()["created"], true);
  EXPECT_EQ(r.json()["checkpoint"], 0);

  // The same definition again: nothing changes.
  r = Put("/subscriptions/billing", R"({"category":"order","from":"oldest"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["created"], false);
  // Another one under the same name: refused as on every surface, the
  // first one stays.
  r = Put("/subscriptions/billing", R"({"category":"user"})");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["error"], "invalid_argument");
  EXPECT_NE(r.json()["message"].get<std::string>().find("already exists"), std::string::npos);
  // A bad definition is a 400 whether the name exists or not.
  r = Put("/subscriptions/billing", R"({"max_attempts":0})");
  EXPECT_EQ(r.status, 400) << r.body;

  Json row = Row("billing");
  ASSERT_FALSE(row.is_null());
  EXPECT_EQ(row["checkpoint"], 0);
  EXPECT_EQ(row["lag"], 3);
  EXPECT_EQ(row["parked"], 0);

  r = Delete("/subscriptions/billing");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["deleted"], true);
  EXPECT_TRUE(Row("billing").is_null());
  r = Delete("/subscriptions/billing");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.json()["error"], "not_found");
  EXPECT_EQ(Post("/subscriptions/billing/consumers", "").status, 404);
}

TEST_F(HttpHostedSubscriptions, TwoConsumersFetchAndAckEveryEventExactlyOnce) {
  for (int s = 0; s < 4; ++s) AppendDirect("order-" + std::to_string(s), 5);
  ASSERT_EQ(Put("/subscriptions/billing", "").status, 201);
  const std::string a = Open("billing");
  const std::string b = Open("billing");
  ASSERT_NE(a, b);

  std::map<uint64_t, int> seen;
  std::map<std::string, uint64_t> last_version;  // per stream: each in order
  for (int round = 0; round < 100 && seen.size() < 20; ++round) {
    for (const std::string& id : {a, b}) {
      HttpReply r = Fetch("billing", id, "?max=3");
      ASSERT_EQ(r.status, 200) << r.body;
      Json positions = Json::array();
      const Json page = r.json();
      for (const Json& e : page["events"]) {
        ++seen[e["position"].get<uint64_t>()];
        EXPECT_EQ(e["attempt"], 1);
        EXPECT_EQ(e["replayed"], false);
        const std::string stream = e["stream"];
        EXPECT_GT(e["version"].get<uint64_t>(), last_version[stream]);
        last_version[stream] = e["version"].get<uint64_t>();
        positions.push_back(e["position"]);
      }
      EXPECT_LE(positions.size(), 3u);
      ASSERT_EQ(Ack("billing", id, positions).status, 204);
    }
  }
  ASSERT_EQ(seen.size(), 20u);
  for (const auto& [position, times] : seen) EXPECT_EQ(times, 1) << "position " << position;
  for (const std::string& id : {a, b}) {
    HttpReply r = Fetch("billing", id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json()["events"].empty());
    EXPECT_EQ(r.json()["caught_up"], true);
  }
  ASSERT_TRUE(Eventually([&] { return Row("billing")["checkpoint"] == 20; }));
  EXPECT_EQ(Row("billing")["lag"], 0);
  EXPECT_EQ(Delete("/subscriptions/billing/consumers/" + a).status, 204);
  EXPECT_EQ(Fetch("billing", a).status, 404);
}

TEST_F(HttpHostedSubscriptions, AFetchAnswersAtMostABatchOfBytesAndTheRestComesNext) {
  server::HttpOptions http;
  http.sse_batch_bytes = 1024;
  Restart(http);
  const std::string big = "{\"pad\":\"" + std::string(600, 'x') + "\"}";
  for (int i = 0; i < 3; ++i) {
    auto r =
        store_->Append("order-" + std::to_string(i), ExpectedVersion::Any(),
                       {EventData{.type = "Big", .data = big, .content_type = ContentType::kJson}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  ASSERT_EQ(Put("/subscriptions/billing", "").status, 201);
  const std::string id = Open("billing");
  std::vector<uint64_t> got;
  for (int i = 0; i < 3; ++i) {
    HttpReply r = Fetch("billing", id, "?max=10");
    ASSERT_EQ(r.status, 200) << r.body;
    const Json page = r.json();
    // One event of some 700 bytes fills the 1 KiB batch: the next waits.
    ASSERT_EQ(page["events"].size(), 1u) << r.body;
    EXPECT_EQ(page["caught_up"], false);
    got.push_back(page["events"][0]["position"].get<uint64_t>());
  }
  EXPECT_EQ(got, (std::vector<uint64_t>{1, 2, 3}));
  HttpReply r = Fetch("billing", id);
  EXPECT_TRUE(r.json()["events"].empty()) << r.body;
}

TEST_F(HttpHostedSubscriptions, NackedEventIsRetriedThenParked) {
  AppendDirect("order-1", 1);
  ASSERT_EQ(Put("/subscriptions/billing", R"({"max_attempts":2,"initial_backoff_ms":1})").status,
            201);
  const std::string id = Open("billing");
  HttpReply r = Fetch("billing", id);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["events"].size(), 1u);
  EXPECT_EQ(r.json()["events"][0]["attempt"], 1);
  ASSERT_EQ(Nack("billing", id, 1, "card declined").status, 204);

  // Delivered again after the backoff: the fetch waits for it.
  r = Fetch("billing", id, "?wait_ms=10000");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["events"].size(), 1u);
  EXPECT_EQ(r.json()["events"][0]["position"], 1);
  EXPECT_EQ(r.json()["events"][0]["attempt"], 2);
  ASSERT_EQ(Nack("billing", id, 1, "card declined").status, 204);

  // The second failure parks it.
  r = Get("/streams/%24parked-billing");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["events"].size(), 1u);
  EXPECT_NE(r.json()["events"][0]["metadata"].dump().find("card declined"), std::string::npos);
  EXPECT_EQ(Row("billing")["parked"], 1);
  r = Fetch("billing", id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["events"].empty());
  EXPECT_EQ(r.json()["caught_up"], true);
}

TEST_F(HttpHostedSubscriptions, AnIdleConsumerIsDetachedAndItsEventsGoToAnother) {
  server::HttpOptions http;
  http.consumers.idle_timeout = std::chrono::seconds(2);
  Restart(http);
  AppendDirect("order-1", 1);
  ASSERT_EQ(Put("/subscriptions/billing", "").status, 201);
  const std::string a = Open("billing");
  HttpReply r = Fetch("billing", a);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["events"].size(), 1u);

  // `a` holds the event and goes quiet: once it is detached, `b` gets it.
  const std::string b = Open("billing");
  r = Fetch("billing", b, "?wait_ms=10000");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["events"].size(), 1u);
  EXPECT_EQ(r.json()["events"][0]["position"], 1);
  r = Fetch("billing", a);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.json()["error"], "not_found");
  ASSERT_EQ(Ack("billing", b, Json::array({1})).status, 204);
  ASSERT_TRUE(Eventually([&] { return Row("billing")["checkpoint"] == 1; }));
}

// /metrics counts the consumers each surface holds open: evlogd_http_consumers
// the HTTP leases, evlogd_protocol_consumers those of binary-protocol
// sessions, each back to 0 once closed.
TEST_F(HttpHostedSubscriptions, MetricsCountTheOpenConsumersOfEachSurface) {
  auto gauge = [&](const std::string& name) {
    auto families = ParseExposition(Get("/metrics").body);
    EXPECT_TRUE(families.ok()) << families.status().ToString();
    if (!families.ok()) return -1.0;
    for (const ExpositionFamily& f : *families) {
      if (f.name == name && f.samples.size() == 1) return f.samples[0].value;
    }
    ADD_FAILURE() << "no gauge " << name;
    return -1.0;
  };
  ASSERT_EQ(Put("/subscriptions/billing", "").status, 201);
  EXPECT_EQ(gauge("evlogd_http_consumers"), 0);
  EXPECT_EQ(gauge("evlogd_protocol_consumers"), 0);
  const std::string id = Open("billing");
  auto client = Connect();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto consumer = (*client)->Consume("billing");
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  EXPECT_EQ(gauge("evlogd_http_consumers"), 1);
  EXPECT_EQ(gauge("evlogd_protocol_consumers"), 1);
  ASSERT_EQ(Delete("/subscriptions/billing/consumers/" + id).status, 204);
  consumer->reset();
  EXPECT_EQ(gauge("evlogd_http_consumers"), 0);
  EXPECT_TRUE(Eventually([&] { return gauge("evlogd_protocol_consumers") == 0; }));
}

TEST_F(HttpHostedSubscriptions, ConsumersOverTheLimitAre503UntilOneCloses) {
  server::HttpOptions http;
  http.consumers.max_consumers = 2;
  Restart(http);
  ASSERT_EQ(Put("/subscriptions/billing", "").status, 201);
  const std::string a = Open("billing");
  Open("billing");
  HttpReply r = Post("/subscriptions/billing/consumers", "");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json()["error"], "too_many_consumers");
  ASSERT_EQ(Delete("/subscriptions/billing/consumers/" + a).status, 204);
  EXPECT_EQ(Delete("/subscriptions/billing/consumers/" + a).status, 404);
  Open("billing");
}

TEST_F(HttpHostedSubscriptions, MalformedRequestsAre400AndChangeNothing) {
  for (const char* body :
       {"{", "[1]", R"({"category":7})", R"({"from":"yesterday"})", R"({"from":true})",
        R"({"max_attempts":0})", R"({"max_attempts":-1})", R"({"ack_timeout_ms":1.5})",
        R"({"colour":"red"})", R"({"a":[[[[[[1]]]]]]})"}) {
    HttpReply r = Put("/subscriptions/billing", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_TRUE(r.json()["error"] == "bad_json" || r.json()["error"] == "invalid_argument")
        << r.body;
    EXPECT_TRUE(r.json()["message"].is_string());
  }
  EXPECT_EQ(Put("/subscriptions/billing?x=1", "").status, 400);
  EXPECT_TRUE(Row("billing").is_null());

  AppendDirect("order-1", 1);
  ASSERT_EQ(Put("/subscriptions/billing", "").status, 201);
  const std::string id = Open("billing");
  for (const char* query : {"?max=0", "?max=1001", "?wait_ms=30001", "?max=x", "?count=1"}) {
    HttpReply r = Fetch("billing", id, query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_EQ(r.json()["error"], "invalid_argument") << r.body;
  }
  HttpReply r = Fetch("billing", id);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["events"].size(), 1u);
  const std::string base = "/subscriptions/billing/consumers/" + id;
  for (const char* body : {"", "nope", R"({"positions":1})", R"({"positions":["1"]})",
                           R"({"positions":[-1]})", R"({"positions":[1],"all":true})"}) {
    EXPECT_EQ(Post(base + "/ack", body).status, 400) << body;
  }
  for (const char* body :
       {"", R"({"reason":"x"})", R"({"position":"1"})", R"({"position":1,"reason":2})"}) {
    EXPECT_EQ(Post(base + "/nack", body).status, 400) << body;
  }
  EXPECT_EQ(
      Post(base + "/nack", Json{{"position", 1}, {"reason", std::string(5000, 'x')}}.dump()).status,
      400);
  EXPECT_EQ(Post("/subscriptions/billing/consumers/nosuchid/ack", R"({"positions":[1]})").status,
            404);
  EXPECT_EQ(Get(base + "/fetch").status, 405);
  EXPECT_EQ(Curl({"-X", "PATCH", Url("/subscriptions/billing")}).headers["allow"], "PUT, DELETE");
  // Nothing was acknowledged or given back: the event is still this
  // consumer's, at its first attempt.
  EXPECT_EQ(Row("billing")["checkpoint"], 0);
  r = Fetch("billing", Open("billing"));
  EXPECT_TRUE(r.json()["events"].empty()) << r.body;
  ASSERT_EQ(Ack("billing", id, Json::array({1})).status, 204);
  ASSERT_TRUE(Eventually([&] { return Row("billing")["checkpoint"] == 1; }));
}

TEST_F(HttpHostedSubscriptions, WritesNeedTheBearerTokenLikeEveryOtherWrite) {
  Restart(server::HttpOptions{}, "s3cret");
  const std::vector<std::string> auth{"-H", "Authorization: Bearer s3cret"};
  EXPECT_EQ(Put("/subscriptions/billing", "").status, 401);
  EXPECT_EQ(Get("/subscriptions").status, 401);
  ASSERT_EQ(Put("/subscriptions/billing", "", auth).status, 201);
  EXPECT_EQ(Post("/subscriptions/billing/consumers", "").status, 401);
  HttpReply r = Post("/subscriptions/billing/consumers", "", auth);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string base =
      "/subscriptions/billing/consumers/" + r.json()["consumer"].get<std::string>();
  EXPECT_EQ(Post(base + "/fetch", "").status, 401);
  EXPECT_EQ(Post(base + "/ack", R"({"positions":[]})").status, 401);
  EXPECT_EQ(Delete(base).status, 401);
  EXPECT_EQ(Delete("/subscriptions/billing").status, 401);
  // An access token (POST /token) opens the listing, a GET, and no write.
  const std::string access = Post("/token", "", auth).json()["access_token"].get<std::string>();
  EXPECT_EQ(Get("/subscriptions?access_token=" + access).status, 200);
  EXPECT_EQ(Delete("/subscriptions/billing?access_token=" + access).status, 401);
  EXPECT_EQ(Post(base + "/fetch", "", auth).status, 200);
  // Deleting it detaches its HTTP consumers.
  EXPECT_EQ(Delete("/subscriptions/billing", auth).status, 200);
  EXPECT_EQ(Post(base + "/fetch", "", auth).status, 404);
}

TEST_F(HttpHostedSubscriptions, AWaitingFetchHoldsNoThreadAndTakesAnEventAppendedMeanwhile) {
  ASSERT_EQ(Put("/subscriptions/billing", R"({"from":"latest"})").status, 201);
  // More waiting fetches than the server has read threads (2): if a wait
  // held one, the read below could not be served until they end.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Open("billing"));
  std::atomic<int> done{0};
  std::vector<HttpReply> replies(ids.size());
  std::vector<std::thread> waiters;
  for (size_t i = 0; i < ids.size(); ++i) {
    waiters.emplace_back([&, i] {
      replies[i] = Fetch("billing", ids[i], "?wait_ms=8000");
      ++done;
    });
  }
  HttpReply r = Get("/streams");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(done.load(), 0) << "a read waited for the waiting fetches";
  AppendDirect("order-1", 1);
  for (std::thread& t : waiters) t.join();
  size_t delivered = 0;
  for (const HttpReply& reply : replies) {
    ASSERT_EQ(reply.status, 200) << reply.body;
    delivered += reply.json()["events"].size();
  }
  EXPECT_EQ(delivered, 1u);
}

TEST_F(HttpHostedSubscriptions, ADrainAnswersAWaitingFetchAtOnce) {
  ASSERT_EQ(Put("/subscriptions/billing", R"({"from":"latest"})").status, 201);
  const std::string id = Open("billing");
  const size_t idle_bytes = server_->queued_bytes();
  HttpReply reply;
  // Longer than curl's own bound (10 s): only the drain can end it in time.
  std::thread waiter([&] { reply = Fetch("billing", id, "?wait_ms=30000"); });
  // The waiting fetch holds its page (1 MiB and more) of the budget.
  const bool waiting =
      Eventually([&] { return server_->queued_bytes() >= idle_bytes + (size_t{1} << 20); });
  EXPECT_TRUE(waiting);
  StopServer();
  waiter.join();
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_TRUE(reply.json()["events"].empty());
  EXPECT_EQ(reply.headers["connection"], "close");
}

TEST_F(HttpHostedSubscriptions, EventStreamAnnouncesItsConsumerAndTakesAcksThroughTheAckRoute) {
  AppendDirect("order-1", 3);
  ASSERT_EQ(Put("/subscriptions/billing", "").status, 201);
  SseReader sse(http_port_, "", {}, "/subscriptions/billing/events");
  std::optional<SseEvent> hello = sse.Next();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->type, "consumer");
  EXPECT_EQ(hello->data["subscription"], "billing");
  const std::string id = hello->data["consumer"].get<std::string>();
  for (uint64_t p = 1; p <= 3; ++p) {
    std::optional<SseEvent> e = sse.Next();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->type, "message");
    EXPECT_EQ(e->id, p);
    EXPECT_EQ(e->data["position"], p);
    EXPECT_EQ(e->data["attempt"], 1);
  }
  // Nothing is acknowledged until the client says so.
  EXPECT_EQ(Row("billing")["checkpoint"], 0);
  ASSERT_EQ(Ack("billing", id, Json::array({1, 2, 3})).status, 204);
  ASSERT_TRUE(Eventually([&] { return Row("billing")["checkpoint"] == 3; }));
}

TEST_F(HttpHostedSubscriptions, EventStreamWithAutoAckAcknowledgesWhatItWrote) {
  AppendDirect("order-1", 2);
  ASSERT_EQ(Put("/subscriptions/billing", "").status, 201);
  SseReader sse(http_port_, "?ack=auto", {}, "/subscriptions/billing/events");
  ASSERT_TRUE(sse.Next().has_value());  // the consumer
  std::set<uint64_t> got;
  while (got.size() < 2) {
    std::optional<SseEvent> e = sse.Next();
    ASSERT_TRUE(e.has_value());
    got.insert(e->id);
  }
  ASSERT_TRUE(Eventually([&] { return Row("billing")["checkpoint"] == 2; }));
}

TEST_F(HttpHostedSubscriptions, EventStreamTakesAnAccessTokenButNotForAutoAck) {
  Restart(server::HttpOptions{}, "s3cret");
  const std::vector<std::string> auth{"-H", "Authorization: Bearer s3cret"};
  ASSERT_EQ(Put("/subscriptions/billing", "", auth).status, 201);
  const std::string access = Post("/token", "", auth).json()["access_token"].get<std::string>();
  EXPECT_EQ(Get("/subscriptions/billing/events?ack=auto&access_token=" + access).status, 401);
  EXPECT_EQ(Get("/subscriptions/billing/events?ack=sometimes", auth).status, 400);
  EXPECT_EQ(Get("/subscriptions/nosuch/events", auth).status, 404);
  SseReader sse(http_port_, "?access_token=" + access, {}, "/subscriptions/billing/events");
  std::optional<SseEvent> hello = sse.Next();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->type, "consumer");
}

TEST(HttpHostedSubscriptionsEvlogd, ConsumerFlagsAreCheckedAndTakeEffect) {
  TempDir dir;
  for (const char* bad : {"--http-max-consumers", "--http-consumer-idle-timeout"}) {
    auto child = ChildProcess::Start({EVLOGD_PATH, "--db", dir.Sub("db"), "--listen", "127.0.0.1:0",
                                      "--http", "127.0.0.1:0", bad, "0"});
    ASSERT_NE(child, nullptr);
    const int status = child->Wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << bad;
  }
  uint16_t port = 0, http_port = 0;
  auto evlogd = StartEvlogd({"--db", dir.Sub("db"), "--listen", "127.0.0.1:0", "--http",
                             "127.0.0.1:0", "--http-max-consumers", "1"},
                            port, &http_port);
  ASSERT_NE(evlogd, nullptr);
  ASSERT_NE(http_port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(http_port);
  ASSERT_EQ(Curl({"-X", "PUT", url + "/subscriptions/billing"}).status, 201);
  EXPECT_EQ(Curl({"-X", "POST", url + "/subscriptions/billing/consumers"}).status, 201);
  HttpReply r = Curl({"-X", "POST", url + "/subscriptions/billing/consumers"});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json()["error"], "too_many_consumers");
  const int status = evlogd->KillAndWait(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace evlog::testutil
