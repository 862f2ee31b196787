// The CLI and JSON (docs/cli.md "Event JSON"): data and metadata are stored
// as the exact bytes given and printed back as those bytes; nesting is
// bounded; nothing a store holds crashes a reader; numbers past 2^64-1 are
// usage errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "cli_fixture.h"
#include "evlog/store.h"
#include "testutil/json_fields.h"

namespace evlog {
namespace {

using Json = nlohmann::ordered_json;
using testutil::FieldOf;

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

class CliJson : public CliFormTest {
 protected:
  // A store written by a build that allowed deeper JSON: the subscription
  // `name`, then per stream its events, "G" a good one and "D" one nested
  // 100,000 levels deep. evlogd runs again afterwards (remote form).
  void StoreForSubscription(const std::string& name, uint32_t max_attempts,
                            const std::vector<std::pair<std::string, std::string>>& streams) {
    StopDaemon();
    {
      auto store = Store::Open(Options{.max_json_depth = 1'000'000}, db());
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      ASSERT_TRUE((*store)->CreateSubscription({.name = name, .max_attempts = max_attempts}).ok());
      const EventData good{.type = "T", .data = "1"};
      const EventData deep{
          .type = "T", .data = Nested(100'000), .content_type = ContentType::kJson};
      for (const auto& [stream, kinds] : streams) {
        std::vector<EventData> events;
        for (char kind : kinds) events.push_back(kind == 'D' ? deep : good);
        ASSERT_TRUE((*store)->Append(stream, ExpectedVersion::Any(), events).ok());
      }
    }
    StartDaemon();
  }
};
INSTANTIATE_TEST_SUITE_P(Forms, CliJson, ::testing::ValuesIn(CliForms()), CliFormName);

// The raw text of the one event line's data value, between "data": and
// ,"metadata".
std::string RawData(const std::string& line) {
  const size_t start = line.find("\"data\":");
  const size_t end = line.rfind(",\"metadata\":");
  if (start == std::string::npos || end == std::string::npos) return "<no data in " + line + ">";
  return line.substr(start + 7, end - start - 7);
}

std::string RawMetadata(const std::string& line) {
  const size_t start = line.rfind(",\"metadata\":");
  const size_t end = line.rfind(",\"time\":");
  return line.substr(start + 12, end - start - 12);
}

TEST_P(CliJson, DeeplyNestedDataIsRefusedFromFlagsAndStdin) {
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  const std::string deep(100'000, '[');
  ExpectError(Evlog({"append", "a-1", "--type", "T", "--data", deep}), 1, "invalid_argument",
              "event data nests deeper than 512 levels");
  ExpectError(Evlog({"append", "a-1", "--type", "T", "--data", "1", "--metadata", deep}), 1,
              "invalid_argument", "event metadata nests deeper than 512 levels");
  ExpectError(Evlog({"append", "a-1"}, "{\"type\":\"T\",\"data\":1}\n{\"type\":\"T\",\"data\":" +
                                           Nested(65'000) + "}\n"),
              1, "invalid_argument", "line 2: event data nests deeper than 512 levels");
  ExpectError(Evlog({"append", "a-1", "--each"}, "{\"type\":\"T\",\"data\":" + deep + "\n"), 1,
              "invalid_argument", "line 1: event data nests deeper");
  EXPECT_EQ(Json::parse(Evlog({"stats"}).out)["events"], 1);
}

TEST_P(CliJson, DataNestedAtTheLimitIsAcceptedAndReadBackExactly) {
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", Nested(512)}).exit_code, 0);
  CliOutcome r = Evlog({"read", "a-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawData(r.out), Nested(512));
}

TEST_P(CliJson, DataAndMetadataAreTheExactBytesGiven) {
  const std::vector<std::string> texts = {"1180591620717411303424", R"({"k":1,"k":2})",
                                          R"({ "a" :  [1, 2] })", "1.0", "-0", R"("\u00e9")"};
  for (const std::string& text : texts) {
    ASSERT_EQ(Evlog({"append", "flag-1", "--type", "T", "--data", text, "--metadata", text})
                  .exit_code,
              0);
  }
  std::string lines;
  for (const std::string& text : texts) {
    lines += R"({"type":"T", "data": )" + text + R"( ,"metadata":)" + text + "}\n";
  }
  ASSERT_EQ(Evlog({"append", "stdin-1"}, lines).exit_code, 0);
  for (const std::string stream : {"flag-1", "stdin-1"}) {
    CliOutcome r = Evlog({"read", stream});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<Json> parsed = r.Lines();
    ASSERT_EQ(parsed.size(), texts.size());
    size_t begin = 0;
    for (const std::string& text : texts) {
      const size_t end = r.out.find('\n', begin);
      const std::string line = r.out.substr(begin, end - begin);
      begin = end + 1;
      EXPECT_EQ(RawData(line), text) << stream;
      EXPECT_EQ(RawMetadata(line), text) << stream;
    }
  }
}

TEST_P(CliJson, LineBreaksInStoredJsonBecomeSpacesInTheOutputLine) {
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "{\r\n\"a\":\n1}"}).exit_code, 0);
  CliOutcome r = Evlog({"read", "a-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.Lines().size(), 1u) << r.out;
  EXPECT_EQ(RawData(r.out), "{  \"a\": 1}");
}

TEST_P(CliJson, ADeepEventAlreadyStoredReadsAsCorruptionNamingItsStreamAndVersion) {
  const std::string deep = Nested(100'000);
  StopDaemon();
  {
    // As an older version, without the limit, would have stored it: after
    // a good event, and before another stream's.
    auto store = Store::Open(Options{.max_json_depth = 1'000'000}, db());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EventData good{.type = "T", .data = "1"};
    EventData event{.type = "T", .data = deep, .content_type = ContentType::kJson};
    EventData meta{.type = "T", .data = "2", .metadata = deep};
    ASSERT_TRUE((*store)->Append("a-1", ExpectedVersion::Any(), {good, event}).ok());
    ASSERT_TRUE((*store)->Append("m-1", ExpectedVersion::Any(), {meta}).ok());
    ASSERT_TRUE((*store)->Append("b-1", ExpectedVersion::Any(), {good}).ok());
  }
  StartDaemon();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"read", "a-1"}, {"read-all"}, {"tail"}, {"read-all", "--category", "a"}}) {
    CliOutcome r = Evlog(args);
    EXPECT_EQ(r.exit_code, 5) << args[0] << ": " << r.err;
    EXPECT_EQ(r.Error()["error"], "corruption") << r.err;
    EXPECT_NE(r.err.find("stream 'a-1' version 2 (position 2) cannot be read: its event data "
                         "nests deeper than 512 levels"),
              std::string::npos)
        << r.err;
    // The events before it are printed.
    ASSERT_EQ(r.Lines().size(), 1u) << args[0];
    EXPECT_EQ(r.Lines()[0]["version"], 1);
  }
  CliOutcome backward = Evlog({"read", "a-1", "--backward"});
  EXPECT_EQ(backward.exit_code, 5);
  EXPECT_TRUE(backward.out.empty());
  CliOutcome metadata = Evlog({"read", "m-1"});
  EXPECT_EQ(metadata.exit_code, 5);
  EXPECT_NE(metadata.err.find("stream 'm-1' version 1 (position 3) cannot be read: its event "
                              "metadata nests deeper"),
            std::string::npos)
      << metadata.err;
  // Other streams read as ever; verify reports both events.
  EXPECT_EQ(Evlog({"read", "b-1"}).exit_code, 0);
  CliOutcome verify = Evlog({"verify"});
  EXPECT_EQ(verify.exit_code, 5) << verify.err;
  EXPECT_NE(verify.out.find("log position 2 (stream 'a-1' version 2) cannot be read: its event "
                            "data nests deeper than 512 levels"),
            std::string::npos)
      << verify.out.substr(0, 500);
  EXPECT_NE(verify.out.find("log position 3 (stream 'm-1' version 1)"), std::string::npos);
}

// A hosted subscription's consumer meets such an event: it is nacked each
// time it comes, so it is parked after max_attempts deliveries; the run
// prints the events around it, in order, and ends as corruption. The next
// run has nothing left to stop at.
TEST_P(CliJson, AConsumerParksADeepEventAlreadyStoredAndGoesOnPastIt) {
  ASSERT_NO_FATAL_FAILURE(StoreForSubscription("billing", 3, {{"a-1", "GDG"}, {"b-1", "G"}}));
  CliOutcome r = Evlog({"consume", "billing"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.Error()["error"], "corruption") << r.err;
  EXPECT_NE(r.err.find("stream 'a-1' version 2 (position 2) cannot be read"), std::string::npos)
      << r.err;
  std::vector<int> positions = FieldOf<int>(r.Lines(), "position");
  std::sort(positions.begin(), positions.end());
  EXPECT_EQ(positions, (std::vector<int>{1, 3, 4}));
  // Parked (and, as it is, listed as corruption by `parked`).
  CliOutcome subscriptions = Evlog({"subscriptions"});
  ASSERT_EQ(subscriptions.exit_code, 0) << subscriptions.err;
  ASSERT_EQ(subscriptions.Lines().size(), 1u) << subscriptions.out;
  EXPECT_EQ(subscriptions.Lines()[0]["parked"], 1);
  EXPECT_GE(subscriptions.Lines()[0]["checkpoint"].get<int>(), 4);
  CliOutcome again = Evlog({"consume", "billing"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(again.Lines().empty()) << again.out;
}

// After an unrenderable event, consume takes one event at a time: the good
// events a batch held behind a deep one are given back once (that delivery
// counts), and must not be given back again with the next deep one, or
// max_attempts would park them.
TEST_P(CliJson, AfterAnUnrenderableEventAConsumerParksOnlyTheDeepEvents) {
  ASSERT_NO_FATAL_FAILURE(StoreForSubscription("billing", 2, {{"a-1", "GDGGDG"}}));
  CliOutcome r = Evlog({"consume", "billing", "--batch", "10"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  std::vector<int> positions = FieldOf<int>(r.Lines(), "position");
  std::sort(positions.begin(), positions.end());
  EXPECT_EQ(positions, (std::vector<int>{1, 3, 4, 6}));
  CliOutcome subscriptions = Evlog({"subscriptions"});
  ASSERT_EQ(subscriptions.exit_code, 0) << subscriptions.err;
  ASSERT_EQ(subscriptions.Lines().size(), 1u) << subscriptions.out;
  EXPECT_EQ(subscriptions.Lines()[0]["parked"], 2) << subscriptions.out;
}

TEST_P(CliJson, ANulByteInAStdinLineIsRefusedNamingTheLine) {
  const std::string line = std::string(R"({"type":"T","data":1})") + '\0' + "junk\n";
  ExpectError(Evlog({"append", "a-1"}, "{\"type\":\"T\",\"data\":1}\n" + line), 1,
              "invalid_argument", "line 2: not valid JSON: NUL byte");
  const std::string inside = std::string(R"({"type":"T","data":"a)") + '\0' + "b\"}\n";
  ExpectError(Evlog({"append", "a-1"}, inside), 1, "invalid_argument", "line 1:");
  EXPECT_EQ(Evlog({"read", "a-1"}).exit_code, 4);
}

TEST_P(CliJson, NumbersFrom2To64OnAreUsageErrors) {
  const std::string big = "18446744073709551616";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"read", "a-1", "--count", big},
           {"read", "a-1", "--from", big},
           {"read-all", "--count", big},
           {"read-all", "--from", big},
           {"read-all", "--count", "99999999999999999999999"},
           {"tail", "--from", big},
           {"append", "a-1", "--type", "T", "--data", "1", "--expect", big},
           {"trim", "a-1", "--before", big},
           {"metadata", "a-1", "--max-count", big},
           {"metadata", "a-1", "--max-age", big},
           {"metadata", "a-1", "--truncate-before", big},
           {"view", "v", "wait", big}}) {
    SCOPED_TRACE(args[0] + " " + args[args.size() - 2]);
    ExpectError(Evlog(args), 2, "usage");
  }
  // 2^64-1 itself is a number.
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  EXPECT_EQ(Evlog({"read-all", "--count", "18446744073709551615"}).exit_code, 0);
}

}  // namespace
}  // namespace evlog
