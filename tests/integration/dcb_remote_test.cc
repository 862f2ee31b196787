// Tags, queries and the DCB append condition (issue #19), and the other
// append forms (issue #17: type and category conditions, the duplicate
// policy skip) through evlogd: a remote Client gives the answers the
// embedded store gives.

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "frame.h"
#include "integration/daemon_fixture.h"
#include "integration/older_daemon.h"
#include "net.h"
#include "protocol.h"
#include "testutil/same_event.h"
#include "testutil/store_fixture.h"

namespace evlog::testutil {
namespace {

using RemoteDcb = DaemonTest;

const std::string kNulTag("id\0c1", 5);

AppendRequest Tagged(const std::string& stream, std::string type, std::vector<std::string> tags) {
  AppendRequest r;
  EventData e = Ev(std::move(type), "{}");
  e.tags = std::move(tags);
  r.streams.push_back(StreamAppend{stream, ExpectedVersion::Any(), {std::move(e)}});
  r.durability = Durability::kBuffered;
  return r;
}

std::vector<std::vector<std::string>> TagsOf(EventIterator& it) {
  std::vector<std::vector<std::string>> out;
  for (; it.Valid(); it.Next()) out.emplace_back(it.event().tags.begin(), it.event().tags.end());
  return out;
}

using testutil::Positions;

TEST_F(RemoteDcb, TaggedEventsAreReadBackWithTheirTagsByEveryRemoteRead) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Append(Tagged("course-1", "Opened", {"course:c1", kNulTag})).ok());
  std::promise<Status> async_status;
  (*c)->AppendAsync(Tagged("course-1", "Renamed", {"course:c1"}),
                    [&](Result<AppendResult> r) { async_status.set_value(r.status()); });
  ASSERT_TRUE(async_status.get_future().get().ok());
  const std::vector<std::vector<std::string>> want = {{"course:c1", kNulTag}, {"course:c1"}};

  auto stream = (*c)->ReadStream("course-1");
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(TagsOf(**stream), want);
  auto all = (*c)->ReadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(TagsOf(**all), want);
  Result<QueryResult> q = (*c)->Read(Query{{QueryItem{{}, {kNulTag}}}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->events.size(), 1u);
  EXPECT_EQ(q->events[0].tags, want[0]);
  EXPECT_EQ(q->head, Position(2));
}

TEST_F(RemoteDcb, RemoteAndEmbeddedQueriesGiveTheSameAnswer) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 20; ++i) {
    const std::string course = "course:c" + std::to_string(i % 3);
    ASSERT_TRUE((*c)->Append(Tagged("s-" + std::to_string(i % 4), i % 2 ? "A" : "B",
                                    {course, "n:" + std::to_string(i)}))
                    .ok());
  }
  const Query query{{QueryItem{{"A"}, {"course:c1"}}, QueryItem{{}, {"course:c2"}}}};
  for (const QueryOptions& options :
       {QueryOptions{}, QueryOptions{.from = Position(5), .max_count = 4},
        QueryOptions{.direction = Direction::kBackward},
        QueryOptions{.from = Position(12), .max_count = 3, .direction = Direction::kBackward}}) {
    Result<QueryResult> local = store_->Read(query, options);
    Result<QueryResult> remote = (*c)->Read(query, options);
    ASSERT_TRUE(local.ok());
    ASSERT_TRUE(remote.ok()) << remote.status().ToString();
    EXPECT_EQ(Positions(remote->events), Positions(local->events));
    EXPECT_EQ(remote->head, local->head);
    for (size_t i = 0; i < remote->events.size() && i < local->events.size(); ++i) {
      EXPECT_EQ(remote->events[i].tags, local->events[i].tags);
      EXPECT_EQ(remote->events[i].type, local->events[i].type);
    }
  }
  Result<QueryResult> all = (*c)->Read(Query::All());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->events.size(), 20u);
}

TEST_F(RemoteDcb, AConflictingQueryConditionFailsWithTheFirstConflictingPosition) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Append(Tagged("other", "X", {"unrelated"})).ok());           // 1
  ASSERT_TRUE((*c)->Append(Tagged("course-1", "Opened", {"course:c1"})).ok());   // 2
  ASSERT_TRUE((*c)->Append(Tagged("course-1", "Renamed", {"course:c1"})).ok());  // 3
  AppendRequest guarded = Tagged("course-1", "Closed", {"course:c1"});
  guarded.condition = AppendCondition{
      .after = Position(1), .fail_if_events_match = Query{{QueryItem{{}, {"course:c1"}}}}};
  const Status remote = (*c)->Append(guarded).status();
  const Status local = store_->Append(guarded).status();
  EXPECT_TRUE(remote.IsConditionFailed()) << remote.ToString();
  EXPECT_EQ(remote.conflicting_position(), std::optional<uint64_t>(2));
  EXPECT_EQ(remote.conflicting_position(), local.conflicting_position());

  guarded.condition->after = Position(3);
  EXPECT_TRUE((*c)->Append(guarded).ok());
}

TEST_F(RemoteDcb, AUniquenessGuardWithoutAfterAppendsOnceThenFails) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  AppendRequest claim = Tagged("users", "EmailClaimed", {"email:a@example.com"});
  claim.condition = AppendCondition{
      .fail_if_events_match = Query{{QueryItem{{"EmailClaimed"}, {"email:a@example.com"}}}}};
  ASSERT_TRUE((*c)->Append(claim).ok());
  const Status again = (*c)->Append(claim).status();
  EXPECT_TRUE(again.IsConditionFailed()) << again.ToString();
  EXPECT_EQ(again.conflicting_position(), std::optional<uint64_t>(1));
}

TEST_F(RemoteDcb, AnEmptyQueryConditionMatchesEveryEventAndAnAbsentOneNothing) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Append(Tagged("a", "X", {})).ok());
  AppendRequest empty = Tagged("b", "Y", {});
  empty.condition = AppendCondition{.fail_if_events_match = Query{}};
  EXPECT_TRUE((*c)->Append(empty).status().IsConditionFailed());
  AppendRequest absent = Tagged("b", "Y", {});
  absent.condition = AppendCondition{};
  EXPECT_TRUE((*c)->Append(absent).ok());
}

TEST_F(RemoteDcb, AnInvalidQueryIsInvalidArgumentAndWritesNothing) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  Query too_many;
  too_many.items.resize(65, QueryItem{{}, {"t"}});
  const Query long_tag{{QueryItem{{}, {std::string(256, 'x')}}}};
  for (const Query& bad : {too_many, long_tag}) {
    EXPECT_TRUE((*c)->Read(bad).status().IsInvalidArgument());
    AppendRequest guarded = Tagged("s", "X", {"ok"});
    guarded.condition = AppendCondition{.fail_if_events_match = bad};
    EXPECT_TRUE((*c)->Append(guarded).status().IsInvalidArgument());
  }
  EXPECT_TRUE((*c)->Append(Tagged("s", "X", {std::string(256, 'x')})).status().IsInvalidArgument());
  Result<StoreStats> stats = (*c)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->appended, 0u);
}

TEST_F(RemoteDcb, ReadEachThroughAClientVisitsWhatTheEmbeddedOneDoes) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(
        (*c)->Append(Tagged("s-" + std::to_string(i % 3), "X", {"n:" + std::to_string(i % 4)}))
            .ok());
  }
  const Query query{{QueryItem{{}, {"n:1"}}, QueryItem{{}, {"n:2"}}}};
  // Every event, then only the first two (the visitor stops).
  for (const size_t stop_after : {SIZE_MAX, size_t{2}}) {
    std::vector<OwnedEvent> local, remote;
    auto visit_into = [&](std::vector<OwnedEvent>& into) {
      return [&into, stop_after](const RecordedEvent& e) {
        into.push_back(OwnedEvent::From(e));
        return into.size() < stop_after;
      };
    };
    EventStore& embedded = *store_;
    EventStore& client = **c;
    Result<Position> local_head = embedded.ReadEach(query, {}, visit_into(local));
    Result<Position> remote_head = client.ReadEach(query, {}, visit_into(remote));
    ASSERT_TRUE(local_head.ok()) << local_head.status().ToString();
    ASSERT_TRUE(remote_head.ok()) << remote_head.status().ToString();
    EXPECT_EQ(*remote_head, *local_head);
    EXPECT_EQ(*remote_head, Position(12));
    EXPECT_EQ(local.size(), stop_after == 2 ? 2u : 6u);
    ASSERT_EQ(remote.size(), local.size());
    for (size_t i = 0; i < remote.size(); ++i) ExpectSameEvent(remote[i], local[i]);
  }
}

TEST_F(RemoteDcb, ALongQueryResultIsPagedAndCollectedWholeUpToTheFirstHead) {
  StopServer();
  server::ServerOptions options;
  options.dispatcher.max_read_events = 7;
  StartServer(options);
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE((*c)->Append(Tagged("s", "X", {i % 5 == 0 ? "rare" : "common"})).ok());
  }
  Result<QueryResult> common = (*c)->Read(Query{{QueryItem{{}, {"common"}}}});
  ASSERT_TRUE(common.ok()) << common.status().ToString();
  EXPECT_EQ(common->events.size(), 40u);
  EXPECT_EQ(common->head, Position(50));
  EXPECT_EQ(Positions(common->events),
            Positions(store_->Read(Query{{QueryItem{{}, {"common"}}}})->events));
  Result<QueryResult> backward =
      (*c)->Read(Query::All(), QueryOptions{.max_count = 23, .direction = Direction::kBackward});
  ASSERT_TRUE(backward.ok());
  ASSERT_EQ(backward->events.size(), 23u);
  EXPECT_EQ(backward->events.front().position, Position(50));
  EXPECT_EQ(backward->events.back().position, Position(28));
}

// An evlogd older than tags, on 127.0.0.1: it answers Hello with a HelloOk
// without tags_and_queries, then counts the frames it is sent until the
// client closes.
using RemoteAppend = DaemonTest;

TEST_F(RemoteAppend, TheSkipPolicyTravelsAndTheSkippedIdsComeBack) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  const Uuid a = Uuid::Random(), b = Uuid::Random();
  ASSERT_TRUE((*c)->Append("cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a)}).ok());
  AppendRequest request;
  request.streams.push_back({"cdc-1", ExpectedVersion::Any(), {Ev("X", "1", a), Ev("Y", "2", b)}});
  request.streams.push_back({"cdc-2", ExpectedVersion::NoStream(), {Ev("Z", "3")}});
  EXPECT_TRUE((*c)->Append(request).status().IsIdempotencyConflict());
  request.duplicates = DuplicatePolicy::kSkip;
  request.condition = AppendCondition{.event_types = {"Cancelled"}, .categories = {"order"}};
  Result<AppendResult> r = (*c)->Append(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->deduplicated);
  EXPECT_EQ(r->streams[0].skipped, (std::vector<Uuid>{a}));
  EXPECT_EQ(r->streams[0].first_position, Position(2));
  EXPECT_TRUE(r->streams[1].skipped.empty());
  EXPECT_EQ(r->streams[1].first_position, Position(3));
  // A type condition through the daemon.
  ASSERT_TRUE((*c)->Append("order-1", ExpectedVersion::Any(), {Ev("Cancelled", "{}")}).ok());
  request.streams = {{"stock-1", ExpectedVersion::Any(), {Ev("Reserved", "{}")}}};
  Result<AppendResult> failed = (*c)->Append(request);
  EXPECT_TRUE(failed.status().IsConditionFailed()) << failed.status().ToString();
  EXPECT_EQ(failed.status().conflicting_position(), std::optional<uint64_t>(4));
}

TEST(RemoteDcbOlderDaemon, TagsAndQueriesAreRefusedWithNothingSent) {
  testutil::OlderDaemon old_daemon(server::HelloOkResponse{
      .max_frame_bytes = 1 << 20, .max_in_flight = 16, .tags_and_queries = false});
  const uint16_t port = old_daemon.port();
  {
    Result<std::unique_ptr<Client>> c = Client::Connect(ClientOptions{.port = port});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_TRUE((*c)->Append(Tagged("s", "X", {"t"})).status().IsNotSupported());
    AppendRequest guarded = Tagged("s", "X", {});
    guarded.condition = AppendCondition{.fail_if_events_match = Query{}};
    EXPECT_TRUE((*c)->Append(guarded).status().IsNotSupported());
    std::promise<Status> async_status;
    (*c)->AppendAsync(Tagged("s", "X", {"t"}),
                      [&](Result<AppendResult> r) { async_status.set_value(r.status()); });
    EXPECT_TRUE(async_status.get_future().get().IsNotSupported());
    EXPECT_TRUE((*c)->Read(Query::All()).status().IsNotSupported());
    AppendRequest skipping = Tagged("s", "X", {});
    skipping.duplicates = DuplicatePolicy::kSkip;
    EXPECT_TRUE((*c)->Append(skipping).status().IsNotSupported());
  }
  EXPECT_EQ(old_daemon.FramesAfterHello(), 0);
}

}  // namespace
}  // namespace evlog::testutil
