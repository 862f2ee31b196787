// The CLI's DCB verbs (docs/cli.md "Tags and queries"): `append --tag`,
// "tags" in stdin lines, `append --fail-if QUERY [--after P]` and `query`,
// in both forms (--db and --connect), with the same lines and exit codes.

#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace evlog {
namespace {

using Json = nlohmann::ordered_json;
EVLOG_CLI_FORMS_SUITE(CliQuery);

constexpr char kUniqueAnn[] = R"({"items":[{"types":["Registered"],"tags":["username:ann"]}]})";

std::vector<uint64_t> Positions(const std::vector<Json>& lines) {
  std::vector<uint64_t> out;
  for (const Json& j : lines) {
    if (j.contains("position")) out.push_back(j["position"]);
  }
  return out;
}

TEST_P(CliQuery, TagsFromFlagsAndStdinAreReadBackByEveryRead) {
  ASSERT_EQ(Evlog({"append", "user-1", "--type", "Registered", "--data", "{}", "--tag",
                   "username:ann", "--tag", "region:eu"})
                .exit_code,
            0);
  CliOutcome lines = Evlog({"append", "user-2"},
                           "{\"type\":\"Registered\",\"data\":{},\"tags\":[\"username:bob\","
                           "\"nul\\u0000tag\"]}\n{\"type\":\"Noted\",\"data\":1}\n");
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  const std::vector<Json> all = Evlog({"read-all"}).Lines();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["tags"], Json::parse(R"(["username:ann","region:eu"])"));
  EXPECT_EQ(all[1]["tags"], Json::array({"username:bob", std::string("nul\0tag", 7)}));
  // An event without tags prints as events always have: no "tags" member.
  EXPECT_FALSE(all[2].contains("tags"));
  EXPECT_EQ(Evlog({"read", "user-1"}).Lines().at(0)["tags"], all[0]["tags"]);
}

TEST_P(CliQuery, QueryPrintsTheMatchesThenTheHeadAlsoWhenNothingMatches) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Evlog({"append", "course-" + std::to_string(i), "--type",
                     i == 1 ? "CourseDefined" : "StudentSubscribed", "--data", "{}", "--tag",
                     "course:c1", "--tag", "n:" + std::to_string(i)})
                  .exit_code,
              0);
  }
  CliOutcome by_tag = Evlog({"query", "--tag", "course:c1"});
  ASSERT_EQ(by_tag.exit_code, 0) << by_tag.err;
  std::vector<Json> lines = by_tag.Lines();
  EXPECT_EQ(Positions(lines), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(lines.back(), Json::parse(R"({"head":3})"));

  EXPECT_EQ(Positions(Evlog({"query", "--tag", "course:c1", "--type", "StudentSubscribed"}).Lines()),
            (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(Positions(Evlog({"query", "--tag", "course:c1", "--backward", "--count", "2"}).Lines()),
            (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(Positions(Evlog({"query", "--type", "StudentSubscribed", "--from", "2"}).Lines()),
            (std::vector<uint64_t>{3}));
  EXPECT_EQ(Positions(Evlog({"query", "--query",
                             R"({"items":[{"tags":["n:0"]},{"types":["CourseDefined"]}]})"})
                          .Lines()),
            (std::vector<uint64_t>{1, 2}));

  CliOutcome none = Evlog({"query", "--tag", "course:none"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.Lines(), (std::vector<Json>{Json::parse(R"({"head":3})")}));
}

TEST_P(CliQuery, FailIfIsAUniquenessGuardAndAfterNarrowsIt) {
  CliOutcome first = Evlog({"append", "user-1", "--type", "Registered", "--data", "{}", "--tag",
                            "username:ann", "--fail-if", kUniqueAnn});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  CliOutcome second = Evlog({"append", "user-2", "--type", "Registered", "--data", "{}", "--tag",
                             "username:ann", "--fail-if", kUniqueAnn});
  EXPECT_EQ(second.exit_code, 3) << second.err;
  EXPECT_EQ(second.Error()["error"], "condition_failed");
  EXPECT_EQ(second.Error()["conflicting_position"], 1);
  EXPECT_TRUE(second.out.empty());
  // Decided after position 1: the earlier registration is not a conflict.
  CliOutcome after = Evlog({"append", "user-2", "--type", "Registered", "--data", "{}", "--tag",
                            "username:ann", "--fail-if", kUniqueAnn, "--after", "1"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(Json::parse(Evlog({"stats"}).out)["events"], 2);
}

TEST_P(CliQuery, BadTagsQueriesAndFlagCombinationsWriteNothing) {
  const std::vector<std::vector<std::string>> usage = {
      {"append", "a-1", "--tag", "t"},  // tags of stdin events come in their lines
      {"append", "a-1", "--type", "T", "--data", "1", "--after", "3"},
      {"append", "a-1", "--type", "T", "--data", "1", "--fail-if", "{\"items\":[{\"tags\":[1]}]}"},
      {"append", "a-1", "--type", "T", "--data", "1", "--fail-if", "{\"item\":[]}"},
      {"append", "a-1", "--each", "--fail-if", kUniqueAnn},
      {"query", "--query", kUniqueAnn, "--tag", "t"},
      {"query", "--query", "[["},
  };
  for (const auto& args : usage) {
    CliOutcome r = Evlog(args, "{\"type\":\"T\",\"data\":1}\n");
    EXPECT_EQ(r.exit_code, 2) << testing::PrintToString(args) << r.err;
    EXPECT_EQ(r.Error()["error"], "usage") << r.err;
  }
  CliOutcome long_tag =
      Evlog({"append", "a-1", "--type", "T", "--data", "1", "--tag", std::string(256, 't')});
  EXPECT_EQ(long_tag.exit_code, 1) << long_tag.err;
  EXPECT_EQ(long_tag.Error()["error"], "invalid_argument");
  CliOutcome not_strings = Evlog({"append", "a-1"}, "{\"type\":\"T\",\"data\":1,\"tags\":\"t\"}\n");
  EXPECT_EQ(not_strings.exit_code, 1) << not_strings.err;
  EXPECT_NE(not_strings.Error()["message"].get<std::string>().find("\"tags\" must be an array"),
            std::string::npos)
      << not_strings.err;
  // An empty query matches every event: there is none.
  CliOutcome all = Evlog({"query", "--query", R"({"items":[]})"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.Lines(), (std::vector<Json>{Json::parse(R"({"head":0})")}));
}

}  // namespace
}  // namespace evlog
