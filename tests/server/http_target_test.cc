// The pure parts of evlogd's HTTP routes: target parsing, the values routes
// take, idempotent event ids, error responses and the SSE event format.

#include "http_target.h"

#include <gtest/gtest.h>

#include "http_response.h"
#include "json/spellings.h"

namespace evlog::server {
namespace {

TEST(HttpTarget, SplitsDecodedSegmentsAndQuery) {
  HttpTarget t;
  ASSERT_TRUE(ParseHttpTarget("/views/counts/a%2Fb?from=3&category=order+x", &t).ok());
  EXPECT_EQ(t.segments, (std::vector<std::string>{"views", "counts", "a/b"}));
  EXPECT_EQ(t.Get("from"), "3");
  EXPECT_EQ(t.Get("category"), "order x");
  EXPECT_FALSE(t.Get("count").has_value());
}

TEST(HttpTarget, RootAndTrailingSlash) {
  HttpTarget t;
  ASSERT_TRUE(ParseHttpTarget("/", &t).ok());
  EXPECT_TRUE(t.segments.empty());
  ASSERT_TRUE(ParseHttpTarget("/streams/", &t).ok());
  EXPECT_EQ(t.segments, (std::vector<std::string>{"streams"}));
}

TEST(HttpTarget, RejectsBadInput) {
  HttpTarget t;
  EXPECT_TRUE(ParseHttpTarget("streams", &t).IsInvalidArgument());
  EXPECT_TRUE(ParseHttpTarget("/streams//x", &t).IsInvalidArgument());
  EXPECT_TRUE(ParseHttpTarget("/streams/%4", &t).IsInvalidArgument());
  EXPECT_TRUE(ParseHttpTarget("/streams/%zz", &t).IsInvalidArgument());
  EXPECT_TRUE(ParseHttpTarget("/streams/a%00b", &t).IsInvalidArgument());
  EXPECT_TRUE(ParseHttpTarget("/all?from=1&from=2", &t).IsInvalidArgument());
}

TEST(HttpTarget, ParsesUnsignedStrictly) {
  EXPECT_EQ(*ParseUnsigned("0", "x"), 0u);
  EXPECT_EQ(*ParseUnsigned("18446744073709551615", "x"), UINT64_MAX);
  EXPECT_TRUE(ParseUnsigned("18446744073709551616", "x").status().IsInvalidArgument());
  EXPECT_TRUE(ParseUnsigned("-1", "x").status().IsInvalidArgument());
  EXPECT_TRUE(ParseUnsigned(" 1", "x").status().IsInvalidArgument());
  EXPECT_TRUE(ParseUnsigned("", "x").status().IsInvalidArgument());
  EXPECT_NE(ParseUnsigned("1a", "count").status().message().find("count"), std::string::npos);
}

// One spelling of expected versions and durabilities on every surface
// (json/spellings.h): the CLI's former "no-stream" and "exists" are
// aliases, and a refusal names what was given and what is allowed.
TEST(HttpTarget, ParsesExpectedVersionsInOneSpellingWithTheFormerCliAliases) {
  EXPECT_EQ(json::ParseExpectedVersion("any", "expect")->kind(), ExpectedVersion::Kind::kAny);
  for (const char* text : {"no_stream", "no-stream"}) {
    EXPECT_EQ(json::ParseExpectedVersion(text, "expect")->kind(), ExpectedVersion::Kind::kNoStream)
        << text;
  }
  for (const char* text : {"stream_exists", "exists"}) {
    EXPECT_EQ(json::ParseExpectedVersion(text, "expect")->kind(),
              ExpectedVersion::Kind::kStreamExists)
        << text;
  }
  EXPECT_EQ(json::ParseExpectedVersion("7", "expect")->version(), Version(7));
  for (const char* text : {"seven", "", "-1", "18446744073709551616", "No_Stream"}) {
    Result<ExpectedVersion> bad = json::ParseExpectedVersion(text, "--expect");
    ASSERT_TRUE(bad.status().IsInvalidArgument()) << text;
    EXPECT_EQ(bad.status().message(),
              std::string("--expect must be any, no_stream, stream_exists or a version number, "
                          "not '") + text + "'");
  }
  // What ToString() prints parses back to the same expectation.
  for (ExpectedVersion e : {ExpectedVersion::Any(), ExpectedVersion::NoStream(),
                            ExpectedVersion::StreamExists(), ExpectedVersion::Exact(Version(9))}) {
    EXPECT_EQ(json::ParseExpectedVersion(e.ToString(), "x")->ToString(), e.ToString());
  }
}

TEST(HttpTarget, ParsesDurabilitySyncOrBuffered) {
  EXPECT_EQ(*json::ParseDurability("sync", "durability"), Durability::kSync);
  EXPECT_EQ(*json::ParseDurability("buffered", "durability"), Durability::kBuffered);
  EXPECT_EQ(json::ParseDurability("async", "durability").status().message(),
            "durability must be sync or buffered, not 'async'");
}

TEST(HttpTarget, ParsesAFeedStartOldestLatestOrAPosition) {
  EXPECT_EQ(*json::ParseFeedStart("oldest", "from"), FeedStart::Oldest());
  EXPECT_EQ(*json::ParseFeedStart("latest", "from"), FeedStart::Latest());
  EXPECT_EQ(*json::ParseFeedStart("42", "from"), FeedStart::At(Position(42)));
  for (const char* text : {"newest", "", "-1", "18446744073709551616", "Oldest"}) {
    Result<FeedStart> bad = json::ParseFeedStart(text, "--from");
    ASSERT_TRUE(bad.status().IsInvalidArgument()) << text;
    EXPECT_EQ(bad.status().message(),
              std::string("--from must be oldest, latest or a position, not '") + text + "'");
  }
}

TEST(HttpTarget, ParsesIfMatch) {
  EXPECT_EQ(ParseIfMatch("3")->version(), Version(3));
  EXPECT_EQ(ParseIfMatch(" \"3\" ")->version(), Version(3));
  EXPECT_EQ(ParseIfMatch("*")->kind(), ExpectedVersion::Kind::kStreamExists);
  EXPECT_TRUE(ParseIfMatch("W/\"3\"").status().IsInvalidArgument());
}

TEST(HttpTarget, SystemIsFalseUnlessTrueAndAnythingElseIsRejected) {
  auto system = [](std::string_view target) {
    HttpTarget t;
    EXPECT_TRUE(ParseHttpTarget(target, &t).ok()) << target;
    return ParseSystemParam(t);
  };
  EXPECT_FALSE(*system("/all"));
  EXPECT_FALSE(*system("/all?system=false"));
  EXPECT_TRUE(*system("/all?system=true"));
  for (std::string_view bad : {"/all?system=1", "/all?system=TRUE", "/all?system="}) {
    Result<bool> r = system(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << bad;
  }
}

TEST(HttpTarget, IdempotentEventIdsAreStableAndDistinct) {
  const Uuid a = IdempotentEventId("key-1", "order-1", 0);
  EXPECT_EQ(a, IdempotentEventId("key-1", "order-1", 0));
  EXPECT_NE(a, IdempotentEventId("key-1", "order-1", 1));
  EXPECT_NE(a, IdempotentEventId("key-2", "order-1", 0));
  EXPECT_NE(a, IdempotentEventId("key-1", "order-2", 0));
  EXPECT_FALSE(a.is_nil());
  EXPECT_EQ(a.ToString()[14], '8');  // version 8, custom
}

TEST(HttpResponse, ConflictCarriesActualVersionInBodyAndHeader) {
  HttpResponse r = HttpStatusError(Status::WrongExpectedVersion("mismatch", "order-1", 4));
  EXPECT_EQ(r.result(), net::http::status::conflict);
  EXPECT_EQ(r[kActualVersionHeader], "4");
  EXPECT_NE(r.body().find("\"actual_version\":4"), std::string::npos);
  EXPECT_EQ(r.body(),
            R"({"error":"wrong_expected_version","message":"mismatch","stream":"order-1",)"
            R"("actual_version":4})");
}

// One error object everywhere: {"error":<the Status's code name, as the CLI
// prints it>,"message":..}.
TEST(HttpResponse, MapsStatusesToHttpStatusesAndTheirOwnCodeNames) {
  struct Case {
    Status status;
    net::http::status http;
  };
  for (const Case& c : {Case{Status::InvalidArgument("x"), net::http::status::bad_request},
                        Case{Status::NotFound("x"), net::http::status::not_found},
                        Case{Status::Trimmed("x"), net::http::status::gone},
                        Case{Status::ConditionFailed("x"), net::http::status::conflict},
                        Case{Status::Aborted("x"), net::http::status::service_unavailable},
                        Case{Status::Unauthenticated("x"), net::http::status::unauthorized},
                        Case{Status::IOError("x"), net::http::status::internal_server_error}}) {
    HttpResponse r = HttpStatusError(c.status);
    EXPECT_EQ(r.result(), c.http) << c.status.ToString();
    EXPECT_EQ(r.body(), "{\"error\":\"" + std::string(c.status.CodeName()) +
                            "\",\"message\":\"x\"}");
  }
  HttpResponse r = HttpError(net::http::status::bad_request, "bad_json", "say \"hi\"");
  EXPECT_EQ(r.body(), "{\"error\":\"bad_json\",\"message\":\"say \\\"hi\\\"\"}");
  EXPECT_EQ(r[net::http::field::content_type], "application/json");
}

TEST(HttpResponse, FormatsOneServerSentEventOfTheDefaultTypeWithItsTypeInTheData) {
  RecordedEvent e{.stream = "order-1",
                  .type = "Placed\nevil",
                  .data = "{\"n\":1}",
                  .content_type = ContentType::kJson,
                  .version = Version(2),
                  .position = Position(9)};
  const std::string text = FormatSseEvent(e);
  EXPECT_EQ(text.rfind("id: 9\ndata: {\"stream\":\"order-1\"", 0), 0u) << text;
  EXPECT_EQ(text.find("event:"), std::string::npos) << text;
  EXPECT_NE(text.find("\"type\":\"Placed\\nevil\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"data\":{\"n\":1}"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 2), "\n\n");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
}

TEST(HttpResponse, ALineBreakInStoredJsonStartsAFurtherDataLine) {
  RecordedEvent e{.stream = "order-1",
                  .type = "Placed",
                  .data = "{\r\n\"n\":\r1,\n\"big\":1180591620717411303424}",
                  .content_type = ContentType::kJson};
  const std::string text = FormatSseEvent(e);
  EXPECT_NE(text.find("\"data\":{\ndata: \"n\":\ndata: 1,\ndata: \"big\":1180591620717411303424}"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 2), "\n\n");
}

}  // namespace
}  // namespace evlog::server
