// Limits: every bound in Options gives InvalidArgument and writes nothing.

#include <gtest/gtest.h>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;

class Limits : public testutil::StoreTest {
 protected:
  // Appends and expects InvalidArgument with nothing written.
  void ExpectRejected(AppendRequest request) {
    Position before = store_->LastPosition();
    auto r = store_->Append(std::move(request));
    EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    EXPECT_EQ(store_->LastPosition(), before);
  }
  void ExpectRejected(const std::string& stream, std::vector<EventData> events) {
    AppendRequest request;
    request.streams.push_back({stream, ExpectedVersion::Any(), std::move(events)});
    ExpectRejected(std::move(request));
  }
};

TEST_F(Limits, StreamNameMustBeOneTo255BytesWithoutNul) {
  ExpectRejected("", {Ev("T")});
  ExpectRejected(std::string(256, 's'), {Ev("T")});
  ExpectRejected(std::string("a\0b", 3), {Ev("T")});
  ExpectRejected("bad-\xff\xfe", {Ev("T")});
  AppendOne(std::string(255, 's'));
}

TEST_F(Limits, ConfiguredStreamNameLimitIsHonoured) {
  Reopen(Options{.max_stream_name_bytes = 8});
  ExpectRejected("stream-10", {Ev("T")});
  EXPECT_EQ(AppendOne("stream-1").first_position, Position(1));
}

TEST_F(Limits, DollarNamesAreReserved) {
  ExpectRejected("$all", {Ev("T")});
  ExpectRejected("$meta-a-1", {Ev("T")});
  ExpectRejected("$", {Ev("T")});
  // Only a leading '$' is reserved.
  EXPECT_EQ(AppendOne("price-$1").first_position, Position(1));
}

TEST_F(Limits, EventTypeMustBeOneTo255BytesWithoutNul) {
  ExpectRejected("a-1", {Ev("")});
  ExpectRejected("a-1", {Ev(std::string(256, 't'))});
  ExpectRejected("a-1", {Ev(std::string("Item\0Added", 10))});
  AppendOne("a-1", std::string(255, 't'));
}

TEST_F(Limits, ConfiguredEventTypeLimitIsHonoured) {
  Reopen(Options{.max_event_type_bytes = 4});
  ExpectRejected("a-1", {Ev("Added")});
  EXPECT_EQ(AppendOne("a-1", "Used").first_position, Position(1));
}

TEST_F(Limits, OneBadEventRejectsTheWholeAppend) {
  ExpectRejected("a-1", {Ev("T"), Ev("T"), Ev("")});
  EXPECT_EQ(*store_->StreamVersion("a-1"), Version(0));
}

TEST_F(Limits, OneBadStreamRejectsTheWholeAppend) {
  AppendRequest request;
  request.streams.push_back({"order-1", ExpectedVersion::Any(), {Ev("Placed")}});
  request.streams.push_back({"$stock-1", ExpectedVersion::Any(), {Ev("Reserved")}});
  ExpectRejected(std::move(request));
  EXPECT_EQ(*store_->StreamVersion("order-1"), Version(0));
}

TEST_F(Limits, EventSizeIsBounded) {
  Reopen(Options{.max_event_bytes = 100});
  ExpectRejected("a-1", {Ev("T", std::string(100, 'x'))});
  EXPECT_OK(
      store_->Append("a-1", ExpectedVersion::Any(), {Ev("T", std::string(99, 'x'))}).status());
}

TEST_F(Limits, MetadataCountsTowardsTheEventSize) {
  Reopen(Options{.max_event_bytes = 100});
  EventData event = Ev("T", std::string(50, 'x'));
  event.metadata = std::string(50, 'm');  // 1 + 50 + 50 = 101
  ExpectRejected("a-1", {event});
  event.metadata.pop_back();  // exactly 100
  EXPECT_OK(store_->Append("a-1", ExpectedVersion::Any(), {event}).status());
}

TEST_F(Limits, DefaultEventSizeIsOneMebibyte) {
  ExpectRejected("a-1", {Ev("T", std::string(1 << 20, 'x'))});
}

TEST_F(Limits, AppendSizeIsBounded) {
  Reopen(Options{.max_append_bytes = 100});
  ExpectRejected("a-1", {Ev("T", std::string(60, 'x')), Ev("T", std::string(60, 'x'))});
  // 1 + 49 and 1 + 50: one byte over.
  ExpectRejected("a-1", {Ev("T", std::string(49, 'x')), Ev("T", std::string(50, 'x'))});
  EXPECT_OK(store_
                ->Append("a-1", ExpectedVersion::Any(),
                         {Ev("T", std::string(49, 'x')), Ev("T", std::string(49, 'x'))})
                .status());
}

TEST_F(Limits, AppendSizeCountsEveryStream) {
  Reopen(Options{.max_append_bytes = 100});
  AppendRequest request;
  request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("T", std::string(59, 'x'))}});
  request.streams.push_back({"a-2", ExpectedVersion::Any(), {Ev("T", std::string(59, 'x'))}});
  ExpectRejected(std::move(request));
}

TEST_F(Limits, EventsPerAppendAreBounded) {
  Reopen(Options{.max_events_per_append = 3});
  ExpectRejected("a-1", {Ev("T"), Ev("T"), Ev("T"), Ev("T")});
  EXPECT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("T"), Ev("T"), Ev("T")}).status());
}

TEST_F(Limits, EventsPerAppendCountEveryStream) {
  Reopen(Options{.max_events_per_append = 3});
  AppendRequest request;
  request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("T"), Ev("T")}});
  request.streams.push_back({"a-2", ExpectedVersion::Any(), {Ev("T"), Ev("T")}});
  ExpectRejected(std::move(request));
}

TEST_F(Limits, StreamsPerAppendAreBounded) {
  Reopen(Options{.max_streams_per_append = 2});
  auto request = [](int streams) {
    AppendRequest r;
    for (int i = 0; i < streams; ++i) {
      r.streams.push_back({"s-" + std::to_string(i), ExpectedVersion::Any(), {Ev("T")}});
    }
    return r;
  };
  ExpectRejected(request(3));
  auto ok = store_->Append(request(2));
  ASSERT_OK(ok.status());
  EXPECT_EQ(ok->streams.size(), 2u);
}

TEST_F(Limits, AnAppendNeedsEvents) {
  ExpectRejected("a-1", {});
  ExpectRejected(AppendRequest{});
  // Every stream of a multi-stream append needs events.
  AppendRequest request;
  request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("T")}});
  request.streams.push_back({"a-2", ExpectedVersion::Any(), {}});
  ExpectRejected(std::move(request));
}

TEST_F(Limits, AStreamMayAppearOnceInAnAppend) {
  AppendRequest request;
  request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("T")}});
  request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("T")}});
  ExpectRejected(std::move(request));
}

TEST_F(Limits, ConditionNamesAreChecked) {
  auto conditional = [](AppendCondition condition) {
    AppendRequest request;
    request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("T")}});
    request.condition = std::move(condition);
    return request;
  };
  ExpectRejected(conditional({.event_types = {""}}));
  ExpectRejected(conditional({.event_types = {std::string(256, 't')}}));
  ExpectRejected(conditional({.categories = {""}}));
  ExpectRejected(conditional({.categories = {std::string("a\0b", 3)}}));
}

TEST_F(Limits, AsyncRejectionCallsBackBeforeReturning) {
  bool called = false;
  store_->AppendAsync(AppendRequest{}, [&](Result<AppendResult> r) {
    EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    called = true;
  });
  EXPECT_TRUE(called);
  EXPECT_EQ(store_->LastPosition(), Position(0));
}

}  // namespace
}  // namespace evlog
