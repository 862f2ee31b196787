// The evlog CLI, driven as a process: output shapes, errors and exit codes.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "evlog/store.h"
#include "testutil/child_process.h"
#include "testutil/temp_dir.h"

namespace evlog {
namespace {

using Json = nlohmann::json;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;

  std::vector<Json> Lines() const {
    std::vector<Json> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(Json::parse(line));
    }
    return lines;
  }
  Json Error() const {
    std::istringstream in(err);
    std::string first;
    std::getline(in, first);
    return Json::parse(first);
  }
};

class Cli : public ::testing::Test {
 protected:
  std::string Quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }

  // Runs `evlog --db <store> <args>` with `input` on stdin.
  Outcome Evlog(const std::vector<std::string>& args, const std::string& input = "",
                bool with_db = true) {
    std::ofstream(dir_.Sub("in")) << input;
    std::string cmd = EVLOG_CLI_PATH;
    if (with_db) cmd += " --db " + Quote(db());
    for (const auto& a : args) cmd += " " + Quote(a);
    cmd += " < " + dir_.Sub("in") + " > " + dir_.Sub("out") + " 2> " + dir_.Sub("err");
    int status = std::system(cmd.c_str());
    Outcome r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::stringstream out, err;
    out << std::ifstream(dir_.Sub("out")).rdbuf();
    err << std::ifstream(dir_.Sub("err")).rdbuf();
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  std::string db() const { return dir_.Sub("store"); }

  testutil::TempDir dir_;
};

TEST_F(Cli, AppendPrintsVersionsAndPositions) {
  Outcome r = Evlog({"append", "order-1", "--type", "Placed", "--data", R"({"total":5})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j, Json::parse(R"({"stream":"order-1","first_version":1,"last_version":1,
                               "first_position":1,"last_position":1})"));
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1);
}

TEST_F(Cli, ReadPrintsEventsWithJsonDataAndMetadata) {
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "Placed", "--data", R"({"total":5})",
                   "--metadata", R"({"correlation":"c1"})"})
                .exit_code,
            0);
  Outcome r = Evlog({"read", "order-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = r.Lines();
  ASSERT_EQ(lines.size(), 1u);
  const Json& e = lines[0];
  EXPECT_EQ(e["stream"], "order-1");
  EXPECT_EQ(e["version"], 1);
  EXPECT_EQ(e["position"], 1);
  EXPECT_EQ(e["type"], "Placed");
  EXPECT_EQ(e["data"]["total"], 5);
  EXPECT_EQ(e["metadata"]["correlation"], "c1");
  EXPECT_EQ(e["id"].get<std::string>().size(), 36u);
  EXPECT_EQ(e["time"].get<std::string>().back(), 'Z');
  std::vector<std::string> keys;
  for (auto it = e.begin(); it != e.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"data", "id", "metadata", "position", "stream", "time",
                                            "type", "version"}));
}

TEST_F(Cli, StdinLinesAreOneAtomicAppend) {
  Outcome r = Evlog({"append", "cart-1", "--expect", "no-stream"},
                    "{\"type\":\"Added\",\"data\":{\"sku\":1}}\n"
                    "{\"type\":\"Added\",\"data\":{\"sku\":2},\"metadata\":{\"m\":1}}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["first_version"], 1);
  EXPECT_EQ(j["last_version"], 2);
}

TEST_F(Cli, OneBadLineWritesNothing) {
  Outcome r = Evlog({"append", "cart-1"}, "{\"type\":\"Added\",\"data\":1}\n{not json}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.Error()["error"], "invalid_argument");
  EXPECT_NE(r.Error()["message"].get<std::string>().find("line 2"), std::string::npos);
  EXPECT_EQ(Evlog({"read", "cart-1"}).exit_code, 4);
}

TEST_F(Cli, EachAppendsLinesOneByOne) {
  Outcome r = Evlog({"append", "log-1", "--each"},
                    "{\"type\":\"A\",\"data\":1}\n{\"type\":\"B\",\"data\":2}\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = r.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["last_version"], 1);
  EXPECT_EQ(lines[1]["last_version"], 2);
  EXPECT_EQ(lines[1]["last_position"], 2);
}

TEST_F(Cli, WrongExpectedVersionExitsThreeWithTheActualVersion) {
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1", "--expect", "exists"}).exit_code,
            0);
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1", "--expect", "2"}).exit_code, 0);
  Outcome r = Evlog({"append", "a-1", "--type", "T", "--data", "1", "--expect", "1"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.Error()["error"], "wrong_expected_version");
  EXPECT_EQ(r.Error()["actual_version"], 3);
  Outcome fresh = Evlog({"append", "b-1", "--type", "T", "--data", "1", "--expect", "exists"});
  EXPECT_EQ(fresh.exit_code, 3);
  EXPECT_EQ(fresh.Error()["actual_version"], 0);
}

TEST_F(Cli, RetryWithTheSameIdIsDeduplicated) {
  std::string id = "5b4fa1a2-7c2e-4e0b-9d38-0e1f2a3b4c5d";
  Outcome first = Evlog({"append", "a-1", "--type", "T", "--data", "1", "--id", id});
  Outcome retry = Evlog({"append", "a-1", "--type", "T", "--data", "1", "--id", id});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_EQ(first.out, retry.out);
  EXPECT_EQ(Evlog({"read", "a-1"}).Lines().size(), 1u);
  EXPECT_EQ(Evlog({"read", "a-1"}).Lines()[0]["id"], id);
}

TEST_F(Cli, ReadDirectionsAndRanges) {
  Evlog({"append", "a-1"},
        "{\"type\":\"T\",\"data\":1}\n{\"type\":\"T\",\"data\":2}\n"
        "{\"type\":\"T\",\"data\":3}\n");
  auto versions = [](const Outcome& r) {
    std::vector<int> v;
    for (const Json& j : r.Lines()) v.push_back(j["version"]);
    return v;
  };
  EXPECT_EQ(versions(Evlog({"read", "a-1", "--backward"})), (std::vector<int>{3, 2, 1}));
  EXPECT_EQ(versions(Evlog({"read", "a-1", "--from", "2"})), (std::vector<int>{2, 3}));
  EXPECT_EQ(versions(Evlog({"read", "a-1", "--count", "1"})), (std::vector<int>{1}));
  EXPECT_EQ(versions(Evlog({"read", "a-1", "--from", "2", "--backward"})),
            (std::vector<int>{2, 1}));
}

TEST_F(Cli, ReadAllFiltersAndStreamsAndStats) {
  Evlog({"append", "product-1", "--type", "Created", "--data", "1"});
  Evlog({"append", "order-1", "--type", "Placed", "--data", "1"});
  Evlog({"append", "product-2", "--type", "Created", "--data", "1"});
  EXPECT_EQ(Evlog({"read-all"}).Lines().size(), 3u);
  EXPECT_EQ(Evlog({"read-all", "--from", "2"}).Lines().size(), 2u);
  EXPECT_EQ(Evlog({"read-all", "--count", "1"}).Lines().size(), 1u);
  auto products = Evlog({"read-all", "--category", "product"}).Lines();
  ASSERT_EQ(products.size(), 2u);
  EXPECT_EQ(products[1]["position"], 3);
  EXPECT_EQ(Evlog({"read-all", "--type", "Placed"}).Lines().size(), 1u);
  auto streams = Evlog({"streams", "--category", "product"}).Lines();
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0], Json::parse(R"({"stream":"product-1","version":1})"));
  Json stats = Json::parse(Evlog({"stats"}).out);
  EXPECT_EQ(stats["events"], 3);
  EXPECT_EQ(stats["streams"], 3);
  EXPECT_EQ(stats["last_position"], 3);
  EXPECT_GT(stats["disk_bytes"], 0);
}

TEST_F(Cli, UsageErrorsExitTwo) {
  Outcome unknown = Evlog({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.Error()["error"], "usage");
  EXPECT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1", "--expect", "maybe"}).exit_code,
            2);
  EXPECT_EQ(Evlog({"read"}).exit_code, 2);
  EXPECT_EQ(Evlog({"stats"}, "", /*with_db=*/false).exit_code, 2);
}

TEST_F(Cli, MissingStreamAndStoreExitFour) {
  Evlog({"append", "a-1", "--type", "T", "--data", "1"});
  Outcome r = Evlog({"read", "nope-1"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.Error()["error"], "not_found");
  std::string missing = dir_.Sub("missing");
  Outcome none = Evlog({"--db", missing, "read-all"}, "", /*with_db=*/false);
  EXPECT_EQ(none.exit_code, 4);
}

TEST_F(Cli, BadInputIsRejectedAndWritesNothing) {
  Outcome bad_json = Evlog({"append", "a-1", "--type", "T", "--data", "{oops"});
  EXPECT_EQ(bad_json.exit_code, 1);
  EXPECT_EQ(bad_json.Error()["error"], "invalid_argument");
  Outcome reserved = Evlog({"append", "$all", "--type", "T", "--data", "1"});
  EXPECT_EQ(reserved.exit_code, 1);
  EXPECT_EQ(reserved.Error()["error"], "invalid_argument");
  Outcome big =
      Evlog({"append", "a-1"}, "{\"type\":\"T\",\"data\":\"" + std::string(1 << 20, 'x') + "\"}\n");
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_EQ(big.Error()["error"], "invalid_argument");
  Outcome bad_id = Evlog({"append", "a-1", "--type", "T", "--data", "1", "--id", "not-a-uuid"});
  EXPECT_EQ(bad_id.exit_code, 1);
  Json stats = Json::parse(Evlog({"stats"}).out);
  EXPECT_EQ(stats["events"], 0);
}

TEST_F(Cli, ReadsALiveStoreAsASecondProcessAndRefusesASecondWriter) {
  auto store = Store::Open(Options{}, db());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)
                  ->Append("live-1", ExpectedVersion::Any(), {EventData{.type = "T", .data = "1"}})
                  .ok());
  Outcome read = Evlog({"read", "live-1"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read.Lines().size(), 1u);
  Outcome write = Evlog({"append", "live-1", "--type", "T", "--data", "1"});
  EXPECT_EQ(write.exit_code, 1);
  EXPECT_EQ(write.Error()["error"], "busy");
}

TEST_F(Cli, TailPrintsTheFeedFromAStartPoint) {
  Evlog({"append", "order-1", "--type", "A", "--data", "1"});
  Evlog({"append", "user-1", "--type", "B", "--data", "2"});
  Evlog({"append", "order-2", "--type", "C", "--data", "3"});
  EXPECT_EQ(Evlog({"tail"}).Lines().size(), 3u);
  auto from2 = Evlog({"tail", "--from", "2"}).Lines();
  ASSERT_EQ(from2.size(), 2u);
  EXPECT_EQ(from2[0]["position"], 2);
  EXPECT_TRUE(Evlog({"tail", "--from", "latest"}).Lines().empty());
  EXPECT_EQ(Evlog({"tail", "--category", "order"}).Lines().size(), 2u);
  EXPECT_EQ(Evlog({"tail", "--type", "B"}).Lines().size(), 1u);
  EXPECT_EQ(Evlog({"tail", "--from", "soon"}).exit_code, 2);
}

TEST_F(Cli, TailFollowDeliversEventsAppendedByAnotherProcess) {
  auto store = Store::Open(Options{}, db());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto child = testutil::ChildProcess::Start(
      {EVLOG_CLI_PATH, "--db", db(), "tail", "--follow", "--from", "latest"});
  ASSERT_NE(child, nullptr);
  // The follower starts at "latest": append until it has shown up, since
  // the child may open the store after the first append.
  std::string line;
  for (int i = 0; i < 300 && line.find('\n') == std::string::npos; ++i) {
    ASSERT_TRUE(
        (*store)
            ->Append("live-1", ExpectedVersion::Any(), {EventData{.type = "Live", .data = "1"}})
            .ok());
    pollfd p{child->out_fd(), POLLIN, 0};
    if (poll(&p, 1, 100) == 1) {
      char buf[4096];
      ssize_t n = read(child->out_fd(), buf, sizeof(buf));
      if (n > 0) line.append(buf, static_cast<size_t>(n));
    }
  }
  child->KillAndWait(SIGTERM);
  ASSERT_NE(line.find('\n'), std::string::npos) << "tail --follow printed nothing";
  Json event = Json::parse(line.substr(0, line.find('\n')));
  EXPECT_EQ(event["stream"], "live-1");
  EXPECT_EQ(event["type"], "Live");
}

TEST_F(Cli, SubscriptionsParkedAndReplay) {
  {
    auto store = Store::Open(Options{}, db());
    ASSERT_TRUE(store.ok());
    auto sub = (*store)->Subscribe(
        {.name = "billing", .max_attempts = 1},
        [](const std::vector<OwnedEvent>&) { return Status::InvalidArgument("no card"); });
    ASSERT_TRUE(sub.ok());
    auto r =
        (*store)->Append("order-1", ExpectedVersion::Any(), {EventData{.type = "P", .data = "1"}});
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE((*sub)->WaitFor(r->streams[0].last_position, std::chrono::seconds(30)).ok());
  }
  auto subs = Evlog({"subscriptions"}).Lines();
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0]["name"], "billing");
  EXPECT_EQ(subs[0]["parked"], 1);
  // The subscription may or may not have moved past its own parked event
  // (position 2) before it stopped; either way nothing is left behind.
  EXPECT_EQ(subs[0]["checkpoint"].get<int>() + subs[0]["lag"].get<int>(), 2);
  auto parked = Evlog({"parked", "billing"}).Lines();
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(parked[0]["stream"], "order-1");
  EXPECT_EQ(parked[0]["position"], 1);
  EXPECT_EQ(parked[0]["error"], "invalid_argument: no card");
  Outcome replay = Evlog({"replay-parked", "billing"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(Json::parse(replay.out)["replay_queued"], 1);
  EXPECT_EQ(Evlog({"replay-parked", "nobody"}).exit_code, 4);
}

TEST_F(Cli, ViewGetAndScanReadAViewByName) {
  {
    auto store = Store::Open(Options{}, db());
    ASSERT_TRUE(store.ok());
    auto view = (*store)->OpenView({.name = "stock"},
                                   [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
                                     for (const auto& e : events) out.Put(e.stream, e.data);
                                     return Status::OK();
                                   });
    ASSERT_TRUE(view.ok());
    ASSERT_TRUE((*store)
                    ->Append("product-1", ExpectedVersion::Any(),
                             {EventData{.type = "T", .data = "{\"q\":3}"}})
                    .ok());
    auto r = (*store)->Append("product-2", ExpectedVersion::Any(),
                              {EventData{.type = "T", .data = "plain"}});
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE((*view)->WaitFor(r->streams[0].last_position, std::chrono::seconds(30)).ok());
  }
  Outcome get = Evlog({"view", "stock", "get", "product-1"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(Json::parse(get.out), Json::parse(R"({"key":"product-1","value":{"q":3}})"));
  auto rows = Evlog({"view", "stock", "scan", "product-"}).Lines();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["value"], "plain");
  EXPECT_EQ(Evlog({"view", "stock", "get", "product-9"}).exit_code, 4);
  EXPECT_EQ(Evlog({"view", "nope", "get", "k"}).exit_code, 4);
  EXPECT_EQ(Evlog({"view", "stock", "frob"}).exit_code, 2);
}

TEST_F(Cli, MetadataTrimSnapshotAndDelete) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", std::to_string(i)}).exit_code, 0);
  }
  Json shown = Json::parse(Evlog({"metadata", "a-1"}).out);
  EXPECT_TRUE(shown["max_count"].is_null());
  Json set = Json::parse(Evlog({"metadata", "a-1", "--max-count", "3"}).out);
  EXPECT_EQ(set["max_count"], 3);
  EXPECT_EQ(Evlog({"read", "a-1"}).Lines().size(), 3u);

  EXPECT_EQ(Evlog({"snapshot", "a-1"}).exit_code, 4);
  {
    auto store = Store::Open(Options{}, db());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->SaveSnapshot("a-1", Version(4), R"({"sum":10})").ok());
  }
  Json snapshot = Json::parse(Evlog({"snapshot", "a-1"}).out);
  EXPECT_EQ(snapshot["version"], 4);
  EXPECT_EQ(snapshot["state"]["sum"], 10);
  Outcome trim = Evlog({"trim", "a-1", "--before", "5"});
  ASSERT_EQ(trim.exit_code, 0) << trim.err;
  EXPECT_EQ(Json::parse(trim.out)["truncate_before"], 5);
  EXPECT_EQ(Evlog({"read", "a-1"}).Lines().size(), 1u);

  EXPECT_EQ(Json::parse(Evlog({"delete", "a-1"}).out)["deleted"], "soft");
  EXPECT_EQ(Evlog({"read", "a-1"}).exit_code, 4);
  EXPECT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "6"}).exit_code, 0);
  EXPECT_EQ(Evlog({"read", "a-1"}).Lines()[0]["version"], 6);
  EXPECT_EQ(Json::parse(Evlog({"delete", "a-1", "--hard"}).out)["deleted"], "hard");
  Outcome refused = Evlog({"append", "a-1", "--type", "T", "--data", "7"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.Error()["error"], "stream_deleted");
}

TEST_F(Cli, ViewRebuildIsCarriedOutByTheProcessRunningTheView) {
  auto store = Store::Open(Options{}, db());
  ASSERT_TRUE(store.ok());
  auto view = (*store)->OpenView({.name = "stock"},
                                 [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
                                   for (const auto& e : events) out.Put(e.stream, e.data);
                                   return Status::OK();
                                 });
  ASSERT_TRUE(view.ok());
  auto r =
      (*store)->Append("product-1", ExpectedVersion::Any(), {EventData{.type = "T", .data = "1"}});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*view)->WaitFor(r->streams[0].last_position, std::chrono::seconds(30)).ok());

  std::string out = dir_.Sub("rebuild.out");
  auto child = testutil::ChildProcess::Start(
      {"/bin/sh", "-c",
       std::string(EVLOG_CLI_PATH) + " --db " + db() + " view stock rebuild > " + out});
  ASSERT_NE(child, nullptr);
  int status = child->Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::stringstream printed;
  printed << std::ifstream(out).rdbuf();
  Json done = Json::parse(printed.str());
  EXPECT_EQ(done["view"], "stock");
  EXPECT_EQ(done["generation"], 1);
  EXPECT_EQ(**(*view)->Get("product-1"), "1");
  EXPECT_EQ(Evlog({"view", "nope", "rebuild"}).exit_code, 4);
}

TEST_F(Cli, DemoRunsTheInventoryStory) {
  Outcome r = Evlog({"demo"}, "", /*with_db=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrong expected version"), std::string::npos);
  EXPECT_NE(r.out.find("deduplicated"), std::string::npos);
  EXPECT_NE(r.out.find("sold-out invariant holds"), std::string::npos);
}

}  // namespace
}  // namespace evlog
