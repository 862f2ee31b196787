// System streams ('$'-prefixed) through evlogd: HTTP /all, /streams and the
// SSE /subscribe hide them unless ?system=true, and /all's next moves past
// hidden events; the binary protocol carries include_system, so a Client
// gets the embedded Store's answer.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "integration/http_fixture.h"
#include "testutil/json_fields.h"

namespace evlog::testutil {
namespace {

// a-1 at 1, "$meta-a-1" at 2, a-1 at 3, "$meta-b-1" at 4 (the last event).
class SystemStreamsHttp : public HttpTest {
 protected:
  void SetUp() override {
    HttpTest::SetUp();
    AppendDirect("a-1", 1);
    ASSERT_TRUE(store_->SetStreamMetadata("a-1", {.max_count = 7}).ok());
    AppendDirect("a-1", 1);
    ASSERT_TRUE(store_->SetStreamMetadata("b-1", {.max_count = 3}).ok());
  }
};

TEST_F(SystemStreamsHttp, AllHidesThemUnlessSystemIsTrue) {
  HttpReply r = Get("/all");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(FieldOf<uint64_t>(r.json()["events"], "position"), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(r.json()["next"], 5);
  r = Get("/all?system=true");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(FieldOf<uint64_t>(r.json()["events"], "position"), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Get("/all?system=false").json()["events"].size(), 2u);
  EXPECT_EQ(Get("/all?type=%24metadata").json()["events"].size(), 0u);
  EXPECT_EQ(Get("/all?type=%24metadata&system=true").json()["events"].size(), 2u);
  r = Get("/all?system=yes");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(SystemStreamsHttp, AllNextMovesPastHiddenEventsSoAPollerNeverRereadsThem) {
  // Only a hidden event after position 3: the page is empty and the next
  // page starts after it.
  HttpReply r = Get("/all?from=4");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["events"].empty());
  EXPECT_EQ(r.json()["next"], 5);
  EXPECT_EQ(r.json()["truncated"], false);
  // A full page stops at its last event.
  r = Get("/all?count=1");
  EXPECT_EQ(FieldOf<uint64_t>(r.json()["events"], "position"), (std::vector<uint64_t>{1}));
  EXPECT_EQ(r.json()["next"], 2);
  EXPECT_EQ(r.json()["truncated"], true);
  r = Get("/all?from=2&count=1");
  EXPECT_EQ(FieldOf<uint64_t>(r.json()["events"], "position"), (std::vector<uint64_t>{3}));
  // Beyond the head, next stays where it was asked to start.
  EXPECT_EQ(Get("/all?from=9").json()["next"], 9);
}

TEST_F(SystemStreamsHttp, StreamsHidesThemUnlessSystemIsTrue) {
  HttpReply r = Get("/streams");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(FieldOf<std::string>(r.json()["streams"], "stream"), (std::vector<std::string>{"a-1"}));
  EXPECT_EQ(r.json()["truncated"], false);
  r = Get("/streams?system=true");
  EXPECT_EQ(FieldOf<std::string>(r.json()["streams"], "stream"),
            (std::vector<std::string>{"$meta-a-1", "$meta-b-1", "a-1"}));
  EXPECT_EQ(Get("/streams?system=1").status, 400);
}

TEST_F(SystemStreamsHttp, SubscribeHidesThemUnlessSystemIsTrue) {
  {
    SseReader sse(http_port_, "?from=oldest");
    for (uint64_t position : {1, 3, 5}) {
      if (position == 5) AppendDirect("c-1", 1);
      std::optional<SseEvent> e = sse.Next();
      ASSERT_TRUE(e.has_value()) << "stream ended before position " << position;
      EXPECT_EQ(e->id, position);
    }
  }
  SseReader sse(http_port_, "?from=oldest&system=true");
  for (uint64_t position = 1; position <= 5; ++position) {
    std::optional<SseEvent> e = sse.Next();
    ASSERT_TRUE(e.has_value()) << "stream ended before position " << position;
    EXPECT_EQ(e->id, position);
  }
  EXPECT_EQ(Get("/subscribe?system=on").status, 400);
}

// The binary protocol: a Client asks what an embedded Store is asked.
using SystemStreamsRemote = SystemStreamsHttp;

std::vector<uint64_t> Positions(EventStore& store, const ReadAllOptions& options) {
  auto it = store.ReadAll(options);
  EXPECT_TRUE(it.ok()) << it.status().ToString();
  std::vector<uint64_t> out;
  if (!it.ok()) return out;
  for (; (*it)->Valid(); (*it)->Next()) out.push_back((*it)->event().position.value());
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
  return out;
}

TEST_F(SystemStreamsRemote, AClientReadsAndListsAsTheStoreDoes) {
  auto client = Connect();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  for (bool system : {false, true}) {
    SCOPED_TRACE(system);
    EXPECT_EQ(Positions(**client, {.include_system = system}),
              Positions(*store_, {.include_system = system}));
    auto remote = (*client)->ListStreams({.include_system = system});
    auto local = store_->ListStreams({.include_system = system});
    ASSERT_TRUE(remote.ok() && local.ok());
    ASSERT_EQ(remote->size(), local->size());
    for (size_t i = 0; i < local->size(); ++i) EXPECT_EQ((*remote)[i].name, (*local)[i].name);
  }
  EXPECT_EQ(Positions(**client, {.include_system = false}), (std::vector<uint64_t>{1, 3}));
}

TEST_F(SystemStreamsRemote, AClientFollowWithoutSystemGetsOnlyUserEvents) {
  auto client = Connect();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  AppendDirect("c-1", 1);  // position 5: the follower's end mark
  std::promise<std::vector<uint64_t>> done;
  std::vector<uint64_t> seen;
  auto follower = (*client)->Follow(
      {.feed = {.start = FeedStart::Oldest(), .include_system = false}},
      [&](Result<std::vector<OwnedEvent>> events) {
        if (!events.ok()) return;
        for (const OwnedEvent& e : *events) {
          seen.push_back(e.position.value());
          if (e.position == Position(5)) done.set_value(seen);
        }
      });
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();
  auto result = done.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(result.get(), (std::vector<uint64_t>{1, 3, 5}));
  EXPECT_TRUE((*follower)->Cancel().ok());
}

}  // namespace
}  // namespace evlog::testutil
