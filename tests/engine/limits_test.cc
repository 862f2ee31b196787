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

TEST_F(Limits, DollarNamesAreReserved) { ExpectRejected("$all", {Ev("T")}); }

TEST_F(Limits, EventTypeMustBeOneTo255Bytes) {
  ExpectRejected("a-1", {Ev("")});
  ExpectRejected("a-1", {Ev(std::string(256, 't'))});
  AppendOne("a-1", std::string(255, 't'));
}

TEST_F(Limits, EventSizeIsBounded) {
  Reopen(Options{.max_event_bytes = 100});
  ExpectRejected("a-1", {Ev("T", std::string(100, 'x'))});
  EXPECT_OK(
      store_->Append("a-1", ExpectedVersion::Any(), {Ev("T", std::string(99, 'x'))}).status());
}

TEST_F(Limits, AppendSizeIsBounded) {
  Reopen(Options{.max_append_bytes = 100});
  ExpectRejected("a-1", {Ev("T", std::string(60, 'x')), Ev("T", std::string(60, 'x'))});
}

TEST_F(Limits, EventsPerAppendAreBounded) {
  Reopen(Options{.max_events_per_append = 3});
  ExpectRejected("a-1", {Ev("T"), Ev("T"), Ev("T"), Ev("T")});
  EXPECT_OK(store_->Append("a-1", ExpectedVersion::Any(), {Ev("T"), Ev("T"), Ev("T")}).status());
}

TEST_F(Limits, StreamsPerAppendAreBounded) {
  Reopen(Options{.max_streams_per_append = 2});
  AppendRequest request;
  for (int i = 0; i < 3; ++i) {
    request.streams.push_back({"s-" + std::to_string(i), ExpectedVersion::Any(), {Ev("T")}});
  }
  ExpectRejected(std::move(request));
}

TEST_F(Limits, AnAppendNeedsEvents) {
  ExpectRejected("a-1", {});
  ExpectRejected(AppendRequest{});
}

TEST_F(Limits, AStreamMayAppearOnceInAnAppend) {
  AppendRequest request;
  request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("T")}});
  request.streams.push_back({"a-1", ExpectedVersion::Any(), {Ev("T")}});
  ExpectRejected(std::move(request));
}

TEST_F(Limits, AsyncRejectionCallsBackBeforeReturning) {
  bool called = false;
  store_->AppendAsync(AppendRequest{}, [&](Result<AppendResult> r) {
    EXPECT_TRUE(r.status().IsInvalidArgument());
    called = true;
  });
  EXPECT_TRUE(called);
}

}  // namespace
}  // namespace evlog
