// The wire forms of issue #19: tags, queries, fail_if_events_match, the
// conflicting position of a failed condition, ReadQuery and QueryResult.

#include <gtest/gtest.h>

#include <string>

#include "evlog/schema/protocol_generated.h"
#include "frame.h"
#include "must_decode.h"
#include "protocol.h"

namespace evlog::server {
namespace {

namespace fb = ::evlog::protocol;

const std::string kNulTag("a\0b", 3);


AppendRequest TaggedAppend() {
  AppendRequest a;
  EventData e{.type = "T", .data = "d"};
  e.tags = {"course:c1", kNulTag, std::string(255, 't')};
  a.streams.push_back(StreamAppend{"s", ExpectedVersion::Any(), {e}});
  return a;
}

TEST(ProtocolQuery, AppendedTagsRoundTripByteForByteIncludingNul) {
  const Request r = MustDecode<Request>(EncodeRequest(Request{3, TaggedAppend()}), DecodeRequest);
  const auto* a = std::get_if<AppendRequest>(&r.body);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->streams[0].events[0].tags, TaggedAppend().streams[0].events[0].tags);
  EXPECT_FALSE(a->condition.has_value());
}

TEST(ProtocolQuery, AnAbsentQueryConditionStaysAbsentAndAnEmptyOneStaysEmpty) {
  AppendRequest absent = TaggedAppend();
  absent.condition = AppendCondition{.event_types = {"X"}, .after = Position(4)};
  const Request ra = MustDecode<Request>(EncodeRequest(Request{1, absent}), DecodeRequest);
  const auto& ca = std::get<AppendRequest>(ra.body).condition;
  ASSERT_TRUE(ca.has_value());
  EXPECT_FALSE(ca->fail_if_events_match.has_value());
  EXPECT_EQ(ca->event_types, std::vector<std::string>{"X"});
  EXPECT_EQ(ca->after, Position(4));

  AppendRequest empty = TaggedAppend();
  empty.condition = AppendCondition{.fail_if_events_match = Query{}};
  const Request re = MustDecode<Request>(EncodeRequest(Request{2, empty}), DecodeRequest);
  const auto& ce = std::get<AppendRequest>(re.body).condition;
  ASSERT_TRUE(ce.has_value());
  ASSERT_TRUE(ce->fail_if_events_match.has_value());
  EXPECT_TRUE(ce->fail_if_events_match->items.empty());
}

TEST(ProtocolQuery, AQueryConditionRoundTripsEveryItem) {
  AppendRequest a = TaggedAppend();
  const Query q{{QueryItem{{"A", "B"}, {"x", kNulTag}}, QueryItem{{}, {}}, QueryItem{{"C"}, {}}}};
  a.condition = AppendCondition{.after = Position(7), .fail_if_events_match = q};
  const Request r = MustDecode<Request>(EncodeRequest(Request{5, a}), DecodeRequest);
  const auto& got = std::get<AppendRequest>(r.body).condition->fail_if_events_match;
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->items.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got->items[i].types, q.items[i].types);
    EXPECT_EQ(got->items[i].tags, q.items[i].tags);
  }
}

TEST(ProtocolQuery, ReadQueryRoundTripsItsQueryAndOptions) {
  const ReadQueryRequest in{Query{{QueryItem{{"A"}, {kNulTag}}}},
                            QueryOptions{.from = Position(9), .max_count = 17,
                                         .direction = Direction::kBackward}};
  const Request r = MustDecode<Request>(EncodeRequest(Request{8, in}), DecodeRequest);
  EXPECT_EQ(r.request_id, 8u);
  const auto* q = std::get_if<ReadQueryRequest>(&r.body);
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(q->query.items.size(), 1u);
  EXPECT_EQ(q->query.items[0].tags, std::vector<std::string>{kNulTag});
  EXPECT_EQ(q->options.from, Position(9));
  EXPECT_EQ(q->options.max_count, 17u);
  EXPECT_EQ(q->options.direction, Direction::kBackward);

  const Request d = MustDecode<Request>(EncodeRequest(Request{9, ReadQueryRequest{}}), DecodeRequest);
  const auto& dq = std::get<ReadQueryRequest>(d.body);
  EXPECT_TRUE(dq.query.items.empty());
  EXPECT_FALSE(dq.options.from.has_value());
  EXPECT_EQ(dq.options.max_count, SIZE_MAX);
  EXPECT_EQ(dq.options.direction, Direction::kForward);
}

TEST(ProtocolQuery, QueryResultAndEventsCarryTagsAndTheHead) {
  OwnedEvent e;
  e.stream = "s";
  e.type = "T";
  e.position = Position(3);
  e.version = Version(1);
  e.tags = {kNulTag, "course:c1"};
  const Response r = MustDecode<Response>(
      EncodeQueryResult(4, QueryResultResponse{{e}, Position(11), true}), DecodeResponse);
  const auto* q = std::get_if<QueryResultResponse>(&r.body);
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(q->events.size(), 1u);
  EXPECT_EQ(q->events[0].tags, e.tags);
  EXPECT_EQ(q->head, Position(11));
  EXPECT_TRUE(q->truncated);

  const Response ev = MustDecode<Response>(EncodeEvents(5, EventsResponse{{e}, false}), DecodeResponse);
  EXPECT_EQ(std::get<EventsResponse>(ev.body).events[0].tags, e.tags);
}

TEST(ProtocolQuery, AConditionFailedErrorCarriesTheConflictingPosition) {
  const Response with = MustDecode<Response>(
      EncodeError(6, Status::ConditionFailed("matched", 42)), DecodeResponse);
  const Status s = std::get<ErrorResponse>(with.body).status;
  EXPECT_TRUE(s.IsConditionFailed());
  EXPECT_EQ(s.conflicting_position(), std::optional<uint64_t>(42));
  EXPECT_EQ(s.message(), "matched");

  const Response without =
      MustDecode<Response>(EncodeError(7, Status::ConditionFailed("matched")), DecodeResponse);
  EXPECT_FALSE(std::get<ErrorResponse>(without.body).status.conflicting_position().has_value());
}

TEST(ProtocolQuery, AReadQueryWithoutAQueryIsTheAllQuery) {
  flatbuffers::FlatBufferBuilder b;
  b.Finish(fb::CreateMessage(b, 3, fb::Body::ReadQuery, fb::CreateReadQuery(b).Union()));
  const std::vector<uint8_t> m(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  auto decoded = DecodeRequest(m);
  ASSERT_TRUE(std::holds_alternative<Request>(decoded));
  EXPECT_TRUE(std::get<ReadQueryRequest>(std::get<Request>(decoded).body).query.items.empty());
}

}  // namespace
}  // namespace evlog::server
