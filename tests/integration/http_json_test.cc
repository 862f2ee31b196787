// JSON through evlogd: bodies and protocol appends nested past the limit are
// refused while the daemon goes on serving; data and metadata come back as
// the exact bytes given, through HTTP, SSE and the binary protocol; an event
// stored deeper than the limit (by an older version) reads as corruption.

#include <sys/wait.h>

#include <string>
#include <vector>

#include "integration/http_fixture.h"

namespace evlog::testutil {
namespace {

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

const std::vector<std::string> kExactTexts = {"1180591620717411303424", R"({"k":1,"k":2})",
                                              R"({ "a" :  [1, 2] })",   "1.0",
                                              "-0",                     R"("\u00e9")"};

// The raw text of each event's data (or metadata) in a rendered body: what
// follows "data": up to ,"metadata": (or "metadata": up to ,"time":).
std::vector<std::string> RawValues(const std::string& body, const std::string& field) {
  const std::string open = "\"" + field + "\":";
  const std::string close = field == "data" ? ",\"metadata\":" : ",\"time\":";
  std::vector<std::string> out;
  for (size_t at = body.find(open); at != std::string::npos; at = body.find(open, at)) {
    at += open.size();
    out.push_back(body.substr(at, body.find(close, at) - at));
  }
  return out;
}

using HttpJson = HttpTest;

TEST_F(HttpJson, ABodyNestedSixtyThousandLevelsIs400AndTheServerGoesOn) {
  const std::string deep(100'000, '[');
  // 60,000 levels: the most a curl argument holds (128 KiB).
  HttpReply r = Post("/streams/a-1", R"({"type":"T","data":)" + Nested(60'000) + "}");
  ASSERT_EQ(r.status, 400) << r.body.substr(0, 200);
  EXPECT_EQ(r.json()["error"], "invalid_argument");
  EXPECT_EQ(r.json()["message"], "event 0: event data nests deeper than 512 levels");
  r = Post("/streams/a-1", R"({"type":"T","data":1,"metadata":)" + Nested(60'000) + "}");
  ASSERT_EQ(r.status, 400) << r.body.substr(0, 200);
  // Unclosed: not JSON at all.
  r = Post("/streams/a-1", R"({"type":"T","data":)" + deep + "}");
  ASSERT_EQ(r.status, 400) << r.body.substr(0, 200);
  EXPECT_EQ(r.json()["error"], "bad_json");
  EXPECT_EQ(store_->LastPosition(), Position(0));
  // Still serving.
  ASSERT_EQ(Post("/streams/a-1", R"({"type":"T","data":1})").status, 201);
  EXPECT_EQ(Get("/streams/a-1").status, 200);
}

TEST_F(HttpJson, DataNestedAtTheLimitIsAcceptedAndReadBackExactly) {
  ASSERT_EQ(Post("/streams/a-1", R"({"type":"T","data":)" + Nested(512) + "}").status, 201);
  HttpReply r = Get("/streams/a-1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(RawValues(r.body, "data"), std::vector<std::string>{Nested(512)});
}

TEST_F(HttpJson, DataAndMetadataAreTheExactBytesGivenOnEveryRoute) {
  std::string body = "[";
  for (const std::string& text : kExactTexts) {
    body += (body.size() > 1 ? "," : "") + std::string(R"({"type":"T","data": )") + text +
            R"( , "metadata":)" + text + "}";
  }
  body += "]";
  ASSERT_EQ(Post("/streams/a-1", body).status, 201);
  auto events = store_->ReadStream("a-1");
  ASSERT_TRUE(events.ok());
  std::vector<std::string> stored;
  for (; (*events)->Valid(); (*events)->Next()) stored.emplace_back((*events)->event().data);
  EXPECT_EQ(stored, kExactTexts);

  for (const std::string path : {"/streams/a-1", "/all"}) {
    HttpReply r = Get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(RawValues(r.body, "data"), kExactTexts) << path;
    EXPECT_EQ(RawValues(r.body, "metadata"), kExactTexts) << path;
  }
  SseReader sse(http_port_, "?from=oldest");
  for (const std::string& text : kExactTexts) {
    std::optional<SseEvent> e = sse.Next();
    ASSERT_TRUE(e.has_value());
    ASSERT_EQ(e->data_lines.size(), 1u);
    EXPECT_EQ(RawValues(e->data_lines[0], "data"), std::vector<std::string>{text});
  }
}

TEST_F(HttpJson, LineBreaksInStoredJsonSplitAnSseEventIntoDataLines) {
  ASSERT_EQ(Post("/streams/a-1", "{\"type\":\"T\",\"data\":{\r\n\"a\":\n1}}").status, 201);
  SseReader sse(http_port_, "?from=oldest");
  std::optional<SseEvent> e = sse.Next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->data_lines.size(), 3u);
  EXPECT_EQ(e->data["data"], Json::parse(R"({"a":1})"));
  // The document routes keep the bytes as they are.
  EXPECT_EQ(RawValues(Get("/streams/a-1").body, "data"),
            std::vector<std::string>{"{\r\n\"a\":\n1}"});
}

TEST_F(HttpJson, ADeepEventAlreadyStoredReadsAsCorruptionOnEveryRoute) {
  const std::string deep = Nested(100'000);
  StopServer();
  store_.reset();
  {
    // As an older version, without the limit, would have stored it.
    auto store = Store::Open(Options{.max_json_depth = 1'000'000}, dir_.Sub("store"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EventData good{.type = "T", .data = "1"};
    EventData event{.type = "T", .data = deep, .content_type = ContentType::kJson};
    ASSERT_TRUE((*store)->Append("a-1", ExpectedVersion::Any(), {good, event}).ok());
  }
  StartHttpServer();
  for (const std::string path : {"/streams/a-1", "/all", "/query?type=T"}) {
    HttpReply r = Get(path);
    EXPECT_EQ(r.status, 500) << path;
    ASSERT_TRUE(r.json().is_object()) << r.body.substr(0, 300);
    EXPECT_EQ(r.json()["error"], "corruption") << path;
    EXPECT_NE(r.json()["message"].get<std::string>().find(
                  "stream 'a-1' version 2 (position 2) cannot be read"),
              std::string::npos)
        << r.body;
  }
  // A page that ends before it is served.
  EXPECT_EQ(Get("/streams/a-1?count=1").status, 200);
  // SSE sends the events before it, then ends with the error.
  SseReader sse(http_port_, "?from=oldest");
  std::optional<SseEvent> e = sse.Next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->data["version"], 1);
  EXPECT_TRUE(sse.WaitForComment("error: corruption"));
  EXPECT_EQ(Get("/all?count=1").status, 200);  // still serving
}

TEST_F(HttpJson, NumbersFrom2To64OnAre400) {
  const std::string big = "18446744073709551616";
  for (const std::string& path : {"/all?count=" + big, "/all?from=" + big,
                                 "/streams/a-1?count=" + big, "/streams/a-1?from=" + big,
                                 "/streams?count=" + big}) {
    HttpReply r = Get(path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(r.json()["error"], "invalid_argument") << path;
  }
  EXPECT_EQ(Post("/streams/a-1?expect=" + big, R"({"type":"T","data":1})").status, 400);
  EXPECT_EQ(Post("/streams/a-1", R"({"type":"T","data":1})", {"-H", "If-Match: " + big}).status,
            400);
  EXPECT_EQ(store_->LastPosition(), Position(0));
}

using ProtocolJson = DaemonTest;

TEST_F(ProtocolJson, AnAppendNestedPastTheLimitIsRefusedAndTheDaemonGoesOn) {
  auto client = Connect();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  const std::string deep(100'000, '[');
  for (EventData event : {EventData{.type = "T", .data = deep, .content_type = ContentType::kJson},
                          EventData{.type = "T",
                                    .data = "1",
                                    .metadata = Nested(70'000),
                                    .content_type = ContentType::kJson}}) {
    auto r = (*client)->Append({.streams = {{"a-1", ExpectedVersion::Any(), {event}}}});
    EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  }
  EXPECT_EQ(store_->LastPosition(), Position(0));
  auto ok = (*client)->Append(
      {.streams = {{"a-1", ExpectedVersion::Any(),
                    {EventData{.type = "T", .data = Nested(512), .content_type = ContentType::kJson}}}}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(ProtocolJson, DataAndMetadataComeBackAsTheExactBytes) {
  auto client = Connect();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  std::vector<EventData> events;
  for (const std::string& text : kExactTexts) {
    events.push_back(EventData{
        .type = "T", .data = text, .metadata = text, .content_type = ContentType::kJson});
  }
  ASSERT_TRUE((*client)->Append({.streams = {{"a-1", ExpectedVersion::Any(), events}}}).ok());
  auto read = Collect((*client)->ReadStream("a-1"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), kExactTexts.size());
  for (size_t i = 0; i < kExactTexts.size(); ++i) {
    EXPECT_EQ((*read)[i].data, kExactTexts[i]);
    EXPECT_EQ((*read)[i].metadata, kExactTexts[i]);
  }
}

}  // namespace
}  // namespace evlog::testutil
