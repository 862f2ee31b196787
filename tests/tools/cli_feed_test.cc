// The evlog CLI's change-feed and stream-lifecycle verbs, driven as a
// process: tail, subscriptions, parked, replay-parked, view, metadata, trim,
// snapshot and delete.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cli_fixture.h"
#include "evlog/store.h"
#include "evlog/view.h"
#include "testutil/child_process.h"
#include "testutil/eventually.h"

namespace evlog {
namespace {

using Json = nlohmann::ordered_json;
// Embedded only: a second process beside the store.
using Cli = CliTest;
// Both forms, embedded and --connect.
EVLOG_CLI_FORMS_SUITE(CliFeed);

// The view "stock": the data of each stream's last event.
Result<std::unique_ptr<View>> OpenStockView(Store& store) {
  return store.OpenView({.name = "stock"},
                        [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
                          for (const auto& e : events) out.Put(e.stream, e.data);
                          return Status::OK();
                        });
}

// Appends one event ("T", `data`) to `stream` and waits until `view` has
// applied it.
void AppendApplied(Store& store, View& view, const std::string& stream, const std::string& data) {
  auto r = store.Append(stream, ExpectedVersion::Any(), {EventData{.type = "T", .data = data}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(view.WaitFor(r->streams[0].last_position, std::chrono::seconds(30)).ok());
}

TEST_P(CliFeed, TailPrintsTheFeedFromAStartPoint) {
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

// tail --follow in both forms; remotely it is a pushed subscription.
TEST_P(CliFeed, TailFollowPrintsNewCommits) {
  ASSERT_EQ(Evlog({"append", "live-1", "--type", "Old", "--data", "0"}).exit_code, 0);
  auto child = testutil::CliProcess::Start(ArgvWithDb({"tail", "--follow", "--from", "latest"}));
  ASSERT_NE(child, nullptr);
  // The follower starts at "latest": append until it has shown up, since
  // it may subscribe after the first append.
  std::optional<std::string> line;
  ASSERT_TRUE(testutil::Eventually([&] {
    EXPECT_EQ(Evlog({"append", "live-1", "--type", "Live", "--data", "1"}).exit_code, 0);
    line = child->ReadLine(std::chrono::milliseconds(200));
    return line.has_value();
  })) << "tail --follow printed nothing";
  Json event = Json::parse(*line);
  EXPECT_EQ(event["stream"], "live-1");
  EXPECT_EQ(event["type"], "Live");
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
  EXPECT_TRUE(testutil::Eventually([&] {
    EXPECT_TRUE(
        (*store)
            ->Append("live-1", ExpectedVersion::Any(), {EventData{.type = "Live", .data = "1"}})
            .ok());
    pollfd p{child->out_fd(), POLLIN, 0};
    if (poll(&p, 1, 100) == 1) {
      char buf[4096];
      ssize_t n = read(child->out_fd(), buf, sizeof(buf));
      if (n > 0) line.append(buf, static_cast<size_t>(n));
    }
    return line.find('\n') != std::string::npos;
  }));
  child->KillAndWait(SIGTERM);
  ASSERT_NE(line.find('\n'), std::string::npos) << "tail --follow printed nothing";
  Json event = Json::parse(line.substr(0, line.find('\n')));
  EXPECT_EQ(event["stream"], "live-1");
  EXPECT_EQ(event["type"], "Live");
}

// #21: a script that runs `evlog append` once per event: each append is a
// writer process that opens the store, commits and closes it (flushing and
// deleting its WAL). The follower in another process sees every one, once,
// in order.
TEST_F(Cli, TailFollowDeliversEveryEventOfAnAppendProcessPerEvent) {
  constexpr int kAppends = 12;
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "OrderPlaced", "--data", "{}"}).exit_code, 0);
  auto child = testutil::CliProcess::Start(ArgvWithDb({"tail", "--follow"}));
  ASSERT_NE(child, nullptr);
  // Its first line (the event already there) says the follower is running.
  std::optional<std::string> line = child->ReadLine(std::chrono::seconds(30));
  ASSERT_TRUE(line.has_value()) << "tail --follow printed nothing";
  EXPECT_EQ(Json::parse(*line)["position"], 1);
  for (int i = 0; i < kAppends; ++i) {
    const std::string data = "{\"i\":" + std::to_string(i) + "}";
    ASSERT_EQ(Evlog({"append", "order-2", "--type", "OrderPlaced", "--data", data}).exit_code, 0);
  }
  for (int i = 0; i < kAppends; ++i) {
    line = child->ReadLine(std::chrono::seconds(30));
    ASSERT_TRUE(line.has_value()) << "tail --follow missed the append at position " << i + 2;
    Json event = Json::parse(*line);
    EXPECT_EQ(event["position"], i + 2);
    EXPECT_EQ(event["data"]["i"], i);
  }
}

TEST_P(CliFeed, SubscriptionsParkedAndReplay) {
  ParkOneEventOfBilling();
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
  CliOutcome replay = Evlog({"replay-parked", "billing"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_EQ(Json::parse(replay.out)["replay_queued"], 1);
  EXPECT_EQ(Evlog({"replay-parked", "nobody"}).exit_code, 4);
}

TEST_P(CliFeed, ViewsListsEveryViewWithItsPositionAndLag) {
  EXPECT_TRUE(Evlog({"views"}).out.empty()) << "no view has applied anything yet";
  StopDaemon();
  {
    auto store = Store::Open(Options{}, db());
    ASSERT_TRUE(store.ok());
    auto view = OpenStockView(**store);
    ASSERT_TRUE(view.ok());
    AppendApplied(**store, **view, "product-1", "1");
  }
  StartDaemon();
  ASSERT_EQ(Evlog({"append", "product-2", "--type", "T", "--data", "2"}).exit_code, 0);
  CliOutcome views = Evlog({"views"});
  ASSERT_EQ(views.exit_code, 0) << views.err;
  ASSERT_EQ(views.Lines().size(), 1u) << views.out;
  EXPECT_EQ(views.Lines()[0],
            Json::parse(R"({"view":"stock","generation":0,"position":1,"lag":1})"));
}

TEST_P(CliFeed, ViewGetScanAndWaitReadAViewByName) {
  StopDaemon();
  {
    auto store = Store::Open(Options{}, db());
    ASSERT_TRUE(store.ok());
    auto view = OpenStockView(**store);
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
  StartDaemon();
  CliOutcome get = Evlog({"view", "stock", "get", "product-1"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(Json::parse(get.out), Json::parse(R"({"key":"product-1","value":{"q":3}})"));
  auto rows = Evlog({"view", "stock", "scan", "product-"}).Lines();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["value"], "plain");
  EXPECT_EQ(Evlog({"view", "stock", "get", "product-9"}).exit_code, 4);
  EXPECT_EQ(Evlog({"view", "nope", "get", "k"}).exit_code, 4);
  EXPECT_EQ(Evlog({"view", "stock", "frob"}).exit_code, 2);

  CliOutcome reached = Evlog({"view", "stock", "wait", "2"});
  ASSERT_EQ(reached.exit_code, 0) << reached.err;
  EXPECT_EQ(Json::parse(reached.out)["position"], 2);
  CliOutcome beyond = Evlog({"view", "stock", "wait", "3", "--timeout", "0.2"});
  EXPECT_EQ(beyond.exit_code, 1);
  EXPECT_EQ(beyond.Error()["error"], "timed_out");
  EXPECT_EQ(Evlog({"view", "stock", "wait", "two"}).exit_code, 2);
  EXPECT_EQ(Evlog({"view", "nope", "wait", "1"}).exit_code, 4);
}

// compact, in both forms (the verb added through EventStore::Compact):
// the bytes of a deleted stream go, every live event stays.
TEST_P(CliFeed, CompactKeepsEveryLiveEventAndPrintsTheStoreBytes) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", std::to_string(i)}).exit_code, 0);
    ASSERT_EQ(Evlog({"append", "b-1", "--type", "T", "--data", std::to_string(i)}).exit_code, 0);
  }
  ASSERT_EQ(Evlog({"delete", "a-1", "--hard"}).exit_code, 0);
  CliOutcome compact = Evlog({"compact"});
  ASSERT_EQ(compact.exit_code, 0) << compact.err;
  ASSERT_EQ(compact.Lines().size(), 1u) << compact.out;
  Json j = compact.Lines()[0];
  EXPECT_EQ(j["compacted"], true);
  ASSERT_TRUE(j["disk_bytes"].is_number_unsigned()) << compact.out;
  EXPECT_GT(j["disk_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(Evlog({"read", "b-1"}).Lines().size(), 5u);
  EXPECT_EQ(Evlog({"read", "a-1"}).exit_code, 4);
  EXPECT_EQ(Evlog({"verify"}).exit_code, 0);
}

TEST_P(CliFeed, MetadataTrimSnapshotAndDelete) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", std::to_string(i)}).exit_code, 0);
  }
  Json shown = Json::parse(Evlog({"metadata", "a-1"}).out);
  EXPECT_TRUE(shown["max_count"].is_null());
  Json set = Json::parse(Evlog({"metadata", "a-1", "--max-count", "3"}).out);
  EXPECT_EQ(set["max_count"], 3);
  EXPECT_EQ(Evlog({"read", "a-1"}).Lines().size(), 3u);

  EXPECT_EQ(Evlog({"snapshot", "a-1"}).exit_code, 4);
  StopDaemon();
  {
    auto store = Store::Open(Options{}, db());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->SaveSnapshot("a-1", Version(4), R"({"sum":10})").ok());
  }
  StartDaemon();
  Json snapshot = Json::parse(Evlog({"snapshot", "a-1"}).out);
  EXPECT_EQ(snapshot["version"], 4);
  EXPECT_EQ(snapshot["state"]["sum"], 10);
  CliOutcome trim = Evlog({"trim", "a-1", "--before", "5"});
  ASSERT_EQ(trim.exit_code, 0) << trim.err;
  EXPECT_EQ(Json::parse(trim.out)["truncate_before"], 5);
  EXPECT_EQ(Evlog({"read", "a-1"}).Lines().size(), 1u);

  EXPECT_EQ(Json::parse(Evlog({"delete", "a-1"}).out)["deleted"], "soft");
  EXPECT_EQ(Evlog({"read", "a-1"}).exit_code, 4);
  EXPECT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "6"}).exit_code, 0);
  CliOutcome after_delete = Evlog({"read", "a-1"});
  ASSERT_EQ(after_delete.exit_code, 0) << after_delete.err;
  ASSERT_EQ(after_delete.Lines().size(), 1u) << after_delete.err;
  EXPECT_EQ(after_delete.Lines()[0]["version"], 6);
  EXPECT_EQ(Json::parse(Evlog({"delete", "a-1", "--hard"}).out)["deleted"], "hard");
  CliOutcome refused = Evlog({"append", "a-1", "--type", "T", "--data", "7"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.Error()["error"], "stream_deleted");
}

TEST_F(Cli, ViewRebuildIsCarriedOutByTheProcessRunningTheView) {
  auto store = Store::Open(Options{}, db());
  ASSERT_TRUE(store.ok());
  auto view = OpenStockView(**store);
  ASSERT_TRUE(view.ok());
  AppendApplied(**store, **view, "product-1", "1");

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

// The daemon runs no view of its own: a rebuild through it is requested and
// followed the same way, carried out by the application running the view.
// Here: the request of an unknown view, and progress of a view that exists.
TEST_P(CliFeed, ViewRebuildOfAnUnknownViewIsNotFound) {
  ASSERT_EQ(Evlog({"append", "product-1", "--type", "T", "--data", "1"}).exit_code, 0);
  CliOutcome r = Evlog({"view", "nope", "rebuild"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(r.Error()["error"], "not_found");
}

}  // namespace
}  // namespace evlog
