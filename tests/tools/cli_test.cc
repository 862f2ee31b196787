// The evlog CLI's contract (docs/cli.md), driven as a process: append, read,
// read-all, streams, stats and demo; output shapes, error lines and exit
// codes; a second process beside a live writer.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <regex>

#include "cli_fixture.h"
#include "evlog/store.h"

namespace evlog {
namespace {

using Json = nlohmann::ordered_json;
// Embedded only: opening a store directory, other processes beside it.
using Cli = CliTest;
// Both forms, embedded and --connect, with the same expectations.
EVLOG_CLI_FORMS_SUITE(CliBoth);

constexpr auto kPatience = std::chrono::seconds(60);

std::vector<uint64_t> Versions(const CliOutcome& r) {
  std::vector<uint64_t> versions;
  for (const Json& j : r.Lines()) versions.push_back(j["version"]);
  return versions;
}

std::vector<uint64_t> Positions(const CliOutcome& r) {
  std::vector<uint64_t> positions;
  for (const Json& j : r.Lines()) positions.push_back(j["position"]);
  return positions;
}

TEST_P(CliBoth, AppendPrintsVersionsAndPositions) {
  CliOutcome r = Evlog({"append", "order-1", "--type", "Placed", "--data", R"({"total":5})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"stream":"order-1","first_version":1,"last_version":1,)"
                   R"("first_position":1,"last_position":1,"deduplicated":false})"
                   "\n");
  EXPECT_TRUE(r.err.empty());
  CliOutcome second =
      Evlog({"append", "order-2", "--type", "Placed", "--data", "7", "--durability", "buffered"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.Lines().at(0), Json::parse(R"({"stream":"order-2","first_version":1,
      "last_version":1,"first_position":2,"last_position":2,"deduplicated":false})"));
}

TEST_P(CliBoth, ReadPrintsEventsInTheDocumentedShape) {
  std::string id = "5b4fa1a2-7c2e-4e0b-9d38-0e1f2a3b4c5d";
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "Placed", "--data", R"({"total":5})",
                   "--metadata", R"({"correlation":"c1"})", "--id", id})
                .exit_code,
            0);
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "Paid", "--data", R"("cash")"}).exit_code, 0);
  CliOutcome r = Evlog({"read", "order-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = r.Lines();
  ASSERT_EQ(lines.size(), 2u);
  const Json& e = lines[0];
  std::vector<std::string> keys;
  for (const auto& [key, value] : e.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"stream", "version", "position", "id", "type", "data",
                                            "metadata", "time"}));
  EXPECT_EQ(e["stream"], "order-1");
  EXPECT_EQ(e["version"], 1);
  EXPECT_EQ(e["position"], 1);
  EXPECT_EQ(e["id"], id);
  EXPECT_EQ(e["type"], "Placed");
  EXPECT_EQ(e["data"], Json::parse(R"({"total":5})"));
  EXPECT_EQ(e["metadata"], Json::parse(R"({"correlation":"c1"})"));
  EXPECT_TRUE(std::regex_match(e["time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << e["time"];
  EXPECT_EQ(lines[1]["data"], "cash");
  EXPECT_TRUE(lines[1]["metadata"].is_null());
  EXPECT_TRUE(std::regex_match(lines[1]["id"].get<std::string>(),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-"
                                          "[0-9a-f]{12}")))
      << lines[1]["id"];
}

TEST_P(CliBoth, StdinLinesAreOneAtomicAppend) {
  CliOutcome r = Evlog({"append", "cart-1", "--expect", "no-stream"},
                       "{\"type\":\"Added\",\"data\":{\"sku\":1}}\n"
                       "\n"
                       "{\"type\":\"Added\",\"data\":{\"sku\":2},\"metadata\":{\"m\":1},"
                       "\"id\":\"00000000-0000-4000-8000-000000000002\"}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Lines(), std::vector<Json>{Json::parse(R"({"stream":"cart-1","first_version":1,
      "last_version":2,"first_position":1,"last_position":2,"deduplicated":false})")});
  auto events = Evlog({"read", "cart-1"}).Lines();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["data"]["sku"], 2);
  EXPECT_EQ(events[1]["metadata"]["m"], 1);
  EXPECT_EQ(events[1]["id"], "00000000-0000-4000-8000-000000000002");
}

TEST_P(CliBoth, OneBadStdinLineWritesNothing) {
  CliOutcome r =
      Evlog({"append", "cart-1"},
            "{\"type\":\"Added\",\"data\":1}\n{not json}\n{\"type\":\"A\",\"data\":2}\n");
  ExpectError(r, 1, "invalid_argument");
  EXPECT_NE(r.Error()["message"].get<std::string>().find("line 2"), std::string::npos);
  EXPECT_EQ(Evlog({"read", "cart-1"}).exit_code, 4);
  if (!remote()) {
    EXPECT_FALSE(std::filesystem::exists(db())) << "bad input must not even create the store";
  }
}

// Found by fuzz_event_json (corpus/event_json/regression-empty-type): the line parser
// took an empty type and left the refusal to the store, without the line.
TEST_P(CliBoth, AnEmptyTypeIsRefusedWithItsLineAndWritesNothing) {
  CliOutcome r = Evlog({"append", "cart-1"},
                       "{\"type\":\"Added\",\"data\":1}\n{\"type\":\"\",\"data\":2}\n");
  ExpectError(r, 1, "invalid_argument");
  EXPECT_NE(r.Error()["message"].get<std::string>().find("line 2: event type is empty"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(Evlog({"read", "cart-1"}).exit_code, 4);
  ExpectError(Evlog({"append", "cart-1", "--type", "", "--data", "1"}), 1, "invalid_argument");
  EXPECT_EQ(Evlog({"read", "cart-1"}).exit_code, 4);
}

TEST_P(CliBoth, EachAppendsEveryLineOnItsOwn) {
  CliOutcome r = Evlog({"append", "log-1", "--each"},
                       "{\"type\":\"A\",\"data\":1}\n{\"type\":\"B\",\"data\":2}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = r.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], Json::parse(R"({"stream":"log-1","first_version":1,"last_version":1,
      "first_position":1,"last_position":1,"deduplicated":false})"));
  EXPECT_EQ(lines[1], Json::parse(R"({"stream":"log-1","first_version":2,"last_version":2,
      "first_position":2,"last_position":2,"deduplicated":false})"));
}

TEST_P(CliBoth, EachPrintsAResultBeforeReadingTheNextLine) {
  auto child = testutil::CliProcess::Start(ArgvWithDb({"append", "log-1", "--each"}));
  ASSERT_NE(child, nullptr);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(child->Write("{\"type\":\"Tick\",\"data\":" + std::to_string(i) + "}\n"));
    // stdin is still open: the answer can only come from a line-by-line append.
    std::optional<std::string> line = child->ReadLine(kPatience);
    ASSERT_TRUE(line.has_value()) << "no result for line " << i << " before end of input";
    EXPECT_EQ(Json::parse(*line)["last_version"], i);
  }
  CliOutcome rest = child->Finish();
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_TRUE(rest.out.empty());
  EXPECT_EQ(Versions(Evlog({"read", "log-1"})), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_P(CliBoth, EachStopsAtABadLineAndKeepsTheLinesBefore) {
  CliOutcome r = Evlog({"append", "log-1", "--each"},
                       "{\"type\":\"A\",\"data\":1}\n[1,2]\n{\"type\":\"C\",\"data\":3}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.Lines().size(), 1u);
  EXPECT_EQ(r.Error()["error"], "invalid_argument");
  EXPECT_NE(r.Error()["message"].get<std::string>().find("line 2"), std::string::npos);
  EXPECT_EQ(Versions(Evlog({"read", "log-1"})), (std::vector<uint64_t>{1}));
}

TEST_P(CliBoth, EveryExpectModeAppendsWhenItHolds) {
  auto append = [this](const std::string& expect) {
    CliOutcome r = Evlog({"append", "a-1", "--type", "T", "--data", "1", "--expect", expect});
    EXPECT_EQ(r.exit_code, 0) << expect << ": " << r.err;
    return r.exit_code == 0 ? r.Lines().at(0)["last_version"].get<uint64_t>() : 0;
  };
  EXPECT_EQ(append("no_stream"), 1u);
  EXPECT_EQ(append("stream_exists"), 2u);
  EXPECT_EQ(append("2"), 3u);
  EXPECT_EQ(append("any"), 4u);
  // The former spellings stay accepted.
  EXPECT_EQ(append("exists"), 5u);
  CliOutcome fresh = Evlog({"append", "b-1", "--type", "T", "--data", "1", "--expect", "0"});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
  CliOutcome alias = Evlog({"append", "c-1", "--type", "T", "--data", "1", "--expect", "no-stream"});
  EXPECT_EQ(alias.exit_code, 0) << alias.err;
}

TEST_P(CliBoth, WrongExpectedVersionExitsThreeWithTheActualVersion) {
  ASSERT_EQ(Evlog({"append", "a-1"},
                  "{\"type\":\"T\",\"data\":1}\n{\"type\":\"T\",\"data\":2}\n"
                  "{\"type\":\"T\",\"data\":3}\n")
                .exit_code,
            0);
  for (const std::string expect : {"1", "no-stream"}) {
    CliOutcome r = Evlog({"append", "a-1", "--type", "T", "--data", "1", "--expect", expect});
    ExpectError(r, 3, "wrong_expected_version");
    EXPECT_EQ(r.Error()["stream"], "a-1");
    EXPECT_EQ(r.Error()["actual_version"], 3);
  }
  CliOutcome batch = Evlog({"append", "a-1", "--expect", "2"},
                           "{\"type\":\"T\",\"data\":4}\n{\"type\":\"T\",\"data\":5}\n");
  ExpectError(batch, 3, "wrong_expected_version");
  CliOutcome fresh = Evlog({"append", "b-1", "--type", "T", "--data", "1", "--expect", "exists"});
  ExpectError(fresh, 3, "wrong_expected_version");
  EXPECT_EQ(fresh.Error()["stream"], "b-1");
  EXPECT_EQ(fresh.Error()["actual_version"], 0);
  EXPECT_EQ(Json::parse(Evlog({"stats"}).out)["events"], 3);
}

TEST_P(CliBoth, RetryWithTheSameIdIsDeduplicated) {
  std::string id = "5b4fa1a2-7c2e-4e0b-9d38-0e1f2a3b4c5d";
  CliOutcome first = Evlog({"append", "a-1", "--type", "T", "--data", "1", "--id", id});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(Evlog({"append", "b-1", "--type", "T", "--data", "1"}).exit_code, 0);
  CliOutcome retry = Evlog({"append", "a-1", "--type", "T", "--data", "1", "--id", id});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  // The retry answers with the original append's result, saying so.
  Json first_result = first.Lines().at(0), retry_result = retry.Lines().at(0);
  EXPECT_EQ(first_result["deduplicated"], false);
  EXPECT_EQ(retry_result["deduplicated"], true);
  first_result.erase("deduplicated");
  retry_result.erase("deduplicated");
  EXPECT_EQ(first_result, retry_result);
  auto events = Evlog({"read", "a-1"}).Lines();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["id"], id);

  std::string batch =
      "{\"type\":\"T\",\"data\":1,\"id\":\"00000000-0000-4000-8000-00000000000a\"}\n"
      "{\"type\":\"T\",\"data\":2,\"id\":\"00000000-0000-4000-8000-00000000000b\"}\n";
  CliOutcome batch_first = Evlog({"append", "c-1"}, batch);
  CliOutcome batch_retry = Evlog({"append", "c-1"}, batch);
  ASSERT_EQ(batch_retry.exit_code, 0) << batch_retry.err;
  EXPECT_EQ(batch_retry.Lines().at(0)["deduplicated"], true);
  EXPECT_EQ(batch_retry.Lines().at(0)["last_position"], batch_first.Lines().at(0)["last_position"]);
  EXPECT_EQ(Json::parse(Evlog({"stats"}).out)["last_position"], 4);
}

TEST_P(CliBoth, ReadGoesForwardBackwardFromAVersionAndStopsAtACount) {
  ASSERT_EQ(Evlog({"append", "a-1"},
                  "{\"type\":\"T\",\"data\":1}\n{\"type\":\"T\",\"data\":2}\n"
                  "{\"type\":\"T\",\"data\":3}\n")
                .exit_code,
            0);
  using V = std::vector<uint64_t>;
  EXPECT_EQ(Versions(Evlog({"read", "a-1"})), (V{1, 2, 3}));
  EXPECT_EQ(Versions(Evlog({"read", "a-1", "--backward"})), (V{3, 2, 1}));
  EXPECT_EQ(Versions(Evlog({"read", "a-1", "--from", "2"})), (V{2, 3}));
  EXPECT_EQ(Versions(Evlog({"read", "a-1", "--count", "1"})), (V{1}));
  EXPECT_EQ(Versions(Evlog({"read", "a-1", "--from", "2", "--backward"})), (V{2, 1}));
  EXPECT_EQ(Versions(Evlog({"read", "a-1", "--from", "3", "--count", "2", "--backward"})),
            (V{3, 2}));
  EXPECT_EQ(Versions(Evlog({"read", "a-1", "--from", "9"})), (V{}));
}

TEST_P(CliBoth, ReadAllFiltersByCategoryAndType) {
  ASSERT_EQ(Evlog({"append", "product-1", "--type", "Created", "--data", "1"}).exit_code, 0);
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "Placed", "--data", "1"}).exit_code, 0);
  ASSERT_EQ(Evlog({"append", "product-2", "--type", "Created", "--data", "1"}).exit_code, 0);
  ASSERT_EQ(Evlog({"append", "product-1", "--type", "Reserved", "--data", "1"}).exit_code, 0);
  using P = std::vector<uint64_t>;
  EXPECT_EQ(Positions(Evlog({"read-all"})), (P{1, 2, 3, 4}));
  EXPECT_EQ(Positions(Evlog({"read-all", "--from", "2"})), (P{2, 3, 4}));
  EXPECT_EQ(Positions(Evlog({"read-all", "--from", "2", "--count", "2"})), (P{2, 3}));
  EXPECT_EQ(Positions(Evlog({"read-all", "--category", "product"})), (P{1, 3, 4}));
  EXPECT_EQ(Positions(Evlog({"read-all", "--category", "product", "--from", "2"})), (P{3, 4}));
  EXPECT_EQ(Positions(Evlog({"read-all", "--type", "Created"})), (P{1, 3}));
  EXPECT_EQ(Positions(Evlog({"read-all", "--type", "Created", "--count", "1"})), (P{1}));
  EXPECT_EQ(Positions(Evlog({"read-all", "--category", "nobody"})), (P{}));
}

TEST_P(CliBoth, StreamsListsNamesAndVersionsAndStatsSumsUp) {
  ASSERT_EQ(
      Evlog({"append", "product-1"}, "{\"type\":\"T\",\"data\":1}\n{\"type\":\"T\",\"data\":2}\n")
          .exit_code,
      0);
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "Placed", "--data", "1"}).exit_code, 0);
  ASSERT_EQ(Evlog({"append", "product-2", "--type", "Created", "--data", "1"}).exit_code, 0);
  EXPECT_EQ(Evlog({"streams"}).Lines(), (std::vector<Json>{
                                            Json::parse(R"({"stream":"order-1","version":1})"),
                                            Json::parse(R"({"stream":"product-1","version":2})"),
                                            Json::parse(R"({"stream":"product-2","version":1})"),
                                        }));
  EXPECT_EQ(Evlog({"streams", "--category", "product"}).Lines().size(), 2u);
  CliOutcome stats = Evlog({"stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  Json j = Json::parse(stats.out);
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"events", "streams", "last_position", "disk_bytes",
                                            "metrics"}));
  EXPECT_EQ(j["events"], 4);
  EXPECT_EQ(j["streams"], 3);
  EXPECT_EQ(j["last_position"], 4);
  EXPECT_GT(j["disk_bytes"], 0);
}

std::vector<std::string> Keys(const Json& j) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  return keys;
}

// Metrics count what the process serving the store did since it opened it:
// evlogd's appends through --connect, none in the read-only CLI process
// embedded. The shape is the same in both forms, and so are the
// subscriptions, which are the store's.
TEST_P(CliBoth, StatsPrintsTheMetricsInTheSameShapeInBothForms) {
  ParkOneEventOfBilling();
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  ASSERT_EQ(Evlog({"append", "a-1"}, "{\"type\":\"T\",\"data\":1}\n{\"type\":\"T\",\"data\":2}\n")
                .exit_code,
            0);

  CliOutcome stats = Evlog({"stats"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  Json j = Json::parse(stats.out);
  const Json& m = j["metrics"];
  EXPECT_EQ(Keys(m), (std::vector<std::string>{"appends", "events", "append_bytes",
                                               "group_commit_events", "fsyncs", "fsync_seconds",
                                               "append_latency_seconds", "subscriptions",
                                               "tail_bytes", "tail_events", "feed_tail_events",
                                               "feed_log_events", "id_window_bytes", "rocksdb"}));
  EXPECT_EQ(
      Keys(m["rocksdb"]),
      (std::vector<std::string>{
          "stalls_delayed", "stalls_stopped", "stall_micros", "write_stopped", "delayed_write_rate",
          "flushes", "compactions", "compaction_read_bytes", "compaction_write_bytes",
          "compactions_running", "compactions_pending", "pending_compaction_bytes",
          "memtable_bytes", "block_cache_bytes", "table_readers_bytes"}));
  for (const char* h : {"group_commit_events", "fsync_seconds", "append_latency_seconds"}) {
    SCOPED_TRACE(h);
    EXPECT_EQ(Keys(m[h]),
              (std::vector<std::string>{"upper_bounds", "cumulative_counts", "sum", "count"}));
    ASSERT_EQ(m[h]["upper_bounds"].size(), m[h]["cumulative_counts"].size());
    EXPECT_LE(m[h]["cumulative_counts"].back().get<uint64_t>(), m[h]["count"].get<uint64_t>());
  }
  EXPECT_EQ(m["group_commit_events"]["upper_bounds"].front(), 1);
  EXPECT_EQ(m["group_commit_events"]["upper_bounds"].back(), 65536);

  const uint64_t through_this_process = remote() ? 2 : 0;
  EXPECT_EQ(m["appends"], through_this_process);
  EXPECT_EQ(m["events"], remote() ? 3 : 0);
  EXPECT_EQ(m["append_latency_seconds"]["count"], through_this_process);
  // The CLI's appends are durable: one sync each.
  EXPECT_EQ(m["fsyncs"], through_this_process);

  ASSERT_EQ(m["subscriptions"].size(), 1u);
  const Json& sub = m["subscriptions"][0];
  EXPECT_EQ(Keys(sub), (std::vector<std::string>{"name", "checkpoint", "lag", "parked"}));
  EXPECT_EQ(sub["name"], "billing");
  EXPECT_EQ(sub["parked"], 1);
  EXPECT_EQ(sub["checkpoint"].get<uint64_t>() + sub["lag"].get<uint64_t>(),
            j["last_position"].get<uint64_t>());
}

TEST_P(CliBoth, MalformedCommandLinesExitTwoWithAUsageLine) {
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  const std::vector<std::vector<std::string>> usage_errors = {
      {"frobnicate"},
      {"--bogus"},
      {"read", "a-1", "--sideways"},
      {"read"},
      {"read", "a-1", "--count", "-1"},
      {"read", "a-1", "--from", "two"},
      {"read-all", "--category", "a", "--type", "T"},
      {"append", "a-1", "--type", "T", "--data", "1", "--expect", "maybe"},
      {"append", "a-1", "--type", "T", "--data", "1", "--expect", "-1"},
      {"append", "a-1", "--type", "T", "--data", "1", "--durability", "eventually"},
      {"append", "a-1", "--type", "T", "--data", "1", "--id", "not-a-uuid"},
      {"append", "a-1", "--type", "T"},
      {"append", "a-1", "--each", "--expect", "1"},
  };
  for (const auto& args : usage_errors) {
    CliOutcome r = Evlog(args);
    SCOPED_TRACE(args.at(0) + " " + (args.size() > 1 ? args.back() : ""));
    ExpectError(r, 2, "usage");
  }
  ExpectError(EvlogWithoutDb({"stats"}), 2, "usage");
  ExpectError(EvlogWithoutDb({}), 2, "usage");
  EXPECT_NE(Evlog({"frobnicate"}).Error()["message"].get<std::string>().find("frobnicate"),
            std::string::npos);
  EXPECT_EQ(Json::parse(Evlog({"stats"}).out)["events"], 1);
}

TEST_F(Cli, MissingStreamOrStoreExitsFour) {
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  CliOutcome r = Evlog({"read", "nope-1"});
  ExpectError(r, 4, "not_found");
  std::string missing = dir_.Sub("missing");
  for (const std::vector<std::string>& verb : std::vector<std::vector<std::string>>{
           {"read", "a-1"}, {"read-all"}, {"streams"}, {"stats"}, {"delete", "a-1"}}) {
    std::vector<std::string> args = {"--db", missing};
    args.insert(args.end(), verb.begin(), verb.end());
    SCOPED_TRACE(verb.at(0));
    ExpectError(EvlogWithoutDb(args), 4, "not_found");
  }
  EXPECT_FALSE(std::filesystem::exists(missing)) << "only append creates a store";
}

TEST_P(CliBoth, BadJsonIsInvalidArgumentAndWritesNothing) {
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  ExpectError(Evlog({"append", "a-1", "--type", "T", "--data", "{oops"}), 1, "invalid_argument");
  ExpectError(Evlog({"append", "a-1", "--type", "T", "--data", "1", "--metadata", "plain text"}), 1,
              "invalid_argument");
  for (const std::string line : {
           R"(["not", "an", "object"])",
           R"({"data":1})",
           R"({"type":"T"})",
           R"({"type":"T","data":1,"id":"nope"})",
           R"({"type":"T","data":1,"colour":"red"})",
       }) {
    SCOPED_TRACE(line);
    ExpectError(Evlog({"append", "a-1"}, "{\"type\":\"T\",\"data\":2}\n" + line + "\n"), 1,
                "invalid_argument");
  }
  EXPECT_EQ(Json::parse(Evlog({"stats"}).out)["events"], 1);
}

TEST_P(CliBoth, ReservedStreamNamesAreRefused) {
  ExpectError(Evlog({"append", "$all", "--type", "T", "--data", "1"}), 1, "invalid_argument");
  ExpectError(Evlog({"append", "$meta-a-1"}, "{\"type\":\"T\",\"data\":1}\n"), 1,
              "invalid_argument");
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  EXPECT_EQ(Json::parse(Evlog({"stats"}).out)["events"], 1);
}

TEST_P(CliBoth, OversizedEventsAreRefused) {
  const std::string big(1 << 20, 'x');
  ExpectError(Evlog({"append", "a-1"}, "{\"type\":\"T\",\"data\":\"" + big + "\"}\n"), 1,
              "invalid_argument");
  ExpectError(Evlog({"append", "a-1", "--type", std::string(256, 't'), "--data", "1"}), 1,
              "invalid_argument");
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  EXPECT_EQ(Json::parse(Evlog({"stats"}).out)["events"], 1);
}

TEST_F(Cli, ReadsAStoreAnotherProcessHasOpenForWriting) {
  auto store = Store::Open(Options{}, db());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto append = [&](const std::string& data) {
    return (*store)
        ->Append("live-1", ExpectedVersion::Any(),
                 {EventData{.type = "T", .data = data, .content_type = ContentType::kJson}})
        .ok();
  };
  ASSERT_TRUE(append("1"));
  CliOutcome read = Evlog({"read", "live-1"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(Versions(read), (std::vector<uint64_t>{1}));
  ASSERT_TRUE(append("2"));
  EXPECT_EQ(Versions(Evlog({"read", "live-1"})), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Positions(Evlog({"read-all"})), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Evlog({"streams"}).Lines().size(), 1u);
  EXPECT_EQ(Json::parse(Evlog({"stats"}).out)["last_position"], 2);
  ASSERT_TRUE(append("3"));
  EXPECT_EQ((*store)->LastPosition(), Position(3));
}

TEST_F(Cli, AppendBesideAnotherWriterFailsWithBusy) {
  auto store = Store::Open(Options{}, db());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExpectError(Evlog({"append", "live-1", "--type", "T", "--data", "1"}), 1, "busy");
  ExpectError(Evlog({"append", "live-1", "--each"}, "{\"type\":\"T\",\"data\":1}\n"), 1, "busy");
  EXPECT_EQ((*store)->LastPosition(), Position(0));
  ASSERT_TRUE(
      (*store)
          ->Append("live-1", ExpectedVersion::NoStream(), {EventData{.type = "T", .data = "1"}})
          .ok());
}

TEST_F(Cli, DemoTellsTheInventoryStoryAndCleansUp) {
  CliOutcome r = EvlogWithoutDb({"demo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrong expected version"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deduplicated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sold-out invariant holds"), std::string::npos) << r.out;
  std::smatch dir;
  ASSERT_TRUE(std::regex_search(r.out, dir, std::regex(R"(fresh store in (\S+))"))) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir[1].str())) << dir[1] << " was left behind";
}

}  // namespace
}  // namespace evlog
