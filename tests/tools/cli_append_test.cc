// The append forms of `evlog append` (docs/cli.md "Appending"): a
// multi-stream append (no STREAM; each stdin line names its "stream", with
// --expect-stream), the type and category conditions (--fail-if-type,
// --fail-if-category) and the duplicate policy (--duplicates skip), in both
// forms (--db and --connect), with the same lines and exit codes.

#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace evlog {
namespace {

using Json = nlohmann::ordered_json;
EVLOG_CLI_FORMS_SUITE(CliAppend);

constexpr char kIdA[] = "00000000-0000-4000-8000-00000000000a";
constexpr char kIdB[] = "00000000-0000-4000-8000-00000000000b";

std::string Line(const std::string& stream, const std::string& type, const std::string& id = "") {
  return "{\"stream\":\"" + stream + "\",\"type\":\"" + type + "\",\"data\":{}" +
         (id.empty() ? "" : ",\"id\":\"" + id + "\"") + "}\n";
}

TEST_P(CliAppend, LinesNamingTheirStreamsAreAppendedAtomicallyOneResultPerStream) {
  CliOutcome r = Evlog({"append", "--expect-stream", "order-1=no_stream", "--expect-stream",
                        "stock-1=no_stream"},
                       Line("order-1", "Placed") + Line("stock-1", "Reserved") +
                           Line("order-1", "Paid"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<Json> results = r.Lines();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["stream"], "order-1");
  EXPECT_EQ(results[0]["last_version"], 2);
  EXPECT_EQ(results[1]["stream"], "stock-1");
  EXPECT_EQ(results[1]["first_position"], 3);
  // Grouped by stream in the order streams first appear.
  const std::vector<Json> all = Evlog({"read-all"}).Lines();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1]["type"], "Paid");
  EXPECT_EQ(all[2]["stream"], "stock-1");
}

TEST_P(CliAppend, OneWrongExpectedVersionWritesNoStream) {
  ASSERT_EQ(Evlog({"append", "stock-1", "--type", "Reserved", "--data", "{}"}).exit_code, 0);
  CliOutcome r = Evlog({"append", "--expect-stream", "order-1=no_stream", "--expect-stream",
                        "stock-1=no_stream"},
                       Line("order-1", "Placed") + Line("stock-1", "Reserved"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.Error()["error"], "wrong_expected_version");
  EXPECT_EQ(r.Error()["stream"], "stock-1");
  EXPECT_EQ(Evlog({"read-all"}).Lines().size(), 1u);
}

TEST_P(CliAppend, MultiStreamInputMistakesAreUsageErrorsThatWriteNothing) {
  // A line without its stream.
  CliOutcome no_stream = Evlog({"append"}, "{\"type\":\"Placed\",\"data\":{}}\n");
  EXPECT_EQ(no_stream.exit_code, 1) << no_stream.err;
  EXPECT_NE(no_stream.err.find("\\\"stream\\\" is missing"), std::string::npos) << no_stream.err;
  // --expect-stream for a stream no line appends to, or malformed.
  EXPECT_EQ(Evlog({"append", "--expect-stream", "x-1=1"}, Line("order-1", "Placed")).exit_code, 2);
  EXPECT_EQ(Evlog({"append", "--expect-stream", "order-1"}, Line("order-1", "Placed")).exit_code,
            2);
  // --expect-stream with a STREAM, and "stream" in a single-stream line.
  EXPECT_EQ(Evlog({"append", "order-1", "--expect-stream", "order-1=1"}, Line("order-1", "A"))
                .exit_code,
            2);
  CliOutcome named = Evlog({"append", "order-1"}, Line("order-1", "Placed"));
  EXPECT_EQ(named.exit_code, 1) << named.err;
  EXPECT_NE(named.err.find("unknown field \\\"stream\\\""), std::string::npos) << named.err;
  EXPECT_EQ(Evlog({"read-all"}).Lines().size(), 0u);
}

TEST_P(CliAppend, TypeAndCategoryConditionsFailOnAMatchAfterThePosition) {
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "Cancelled", "--data", "{}"}).exit_code, 0);
  CliOutcome by_type =
      Evlog({"append", "order-2", "--type", "Placed", "--data", "{}", "--fail-if-type",
             "Cancelled"});
  EXPECT_EQ(by_type.exit_code, 3) << by_type.err;
  EXPECT_EQ(by_type.Error()["error"], "condition_failed");
  EXPECT_EQ(by_type.Error()["conflicting_position"], 1);
  CliOutcome by_category = Evlog({"append", "--fail-if-category", "order"}, Line("stock-1", "X"));
  EXPECT_EQ(by_category.exit_code, 3) << by_category.err;
  // After the match's position, the condition holds.
  CliOutcome later = Evlog({"append", "--fail-if-category", "order", "--fail-if-type",
                            "Cancelled", "--after", "1"},
                           Line("stock-1", "X"));
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_EQ(Evlog({"read-all"}).Lines().size(), 2u);
}

TEST_P(CliAppend, SkipLeavesOutCommittedEventsAndNamesThem) {
  const std::string first = "{\"type\":\"X\",\"data\":{},\"id\":\"" + std::string(kIdA) + "\"}\n";
  ASSERT_EQ(Evlog({"append", "cdc-1"}, first).exit_code, 0);
  const std::string batch =
      first + "{\"type\":\"Y\",\"data\":{},\"id\":\"" + std::string(kIdB) + "\"}\n";
  CliOutcome refused = Evlog({"append", "cdc-1"}, batch);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_EQ(refused.Error()["error"], "idempotency_conflict");

  CliOutcome skipped = Evlog({"append", "cdc-1", "--duplicates", "skip"}, batch);
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  const Json result = skipped.Lines().at(0);
  EXPECT_EQ(result["skipped"], Json::array({kIdA}));
  EXPECT_EQ(result["first_version"], 2);
  EXPECT_EQ(result["deduplicated"], false);
  const std::vector<Json> events = Evlog({"read", "cdc-1"}).Lines();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["id"], kIdB);

  CliOutcome bad = Evlog({"append", "cdc-1", "--duplicates", "ignore"}, batch);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--duplicates must be error or skip"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace evlog
