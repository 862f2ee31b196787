#include "protocol.h"

#include <gtest/gtest.h>

#include <string>

#include "dispatcher.h"
#include "evlog/schema/protocol_generated.h"
#include "frame.h"
#include "must_decode.h"
#include "testutil/same_event.h"

namespace evlog::server {
namespace {

namespace fb = ::evlog::protocol;

AppendRequest FullAppend() {
  Uuid id = Uuid::Random();
  AppendRequest a;
  a.streams.push_back(StreamAppend{"order-1",
                                   ExpectedVersion::Exact(Version(7)),
                                   {EventData{.type = "Placed",
                                              .data = std::string("{\"n\":1}\0bin", 11),
                                              .metadata = "{\"c\":2}",
                                              .content_type = ContentType::kJson,
                                              .id = id},
                                    EventData{.type = "Paid", .data = "x"}}});
  a.streams.push_back(StreamAppend{"order-2", ExpectedVersion::NoStream(), {{.type = "T"}}});
  a.streams.push_back(StreamAppend{"order-3", ExpectedVersion::StreamExists(), {{.type = "T"}}});
  a.streams.push_back(StreamAppend{"order-4", ExpectedVersion::Any(), {{.type = "T"}}});
  a.condition = AppendCondition{{"Placed", "Paid"}, {"order"}, Position(42)};
  a.durability = Durability::kBuffered;
  return a;
}

TEST(ProtocolAppend, RoundTripsEveryField) {
  const AppendRequest in = FullAppend();
  const Request out = MustDecodeRequest(EncodeRequest(Request{99, in}));
  EXPECT_EQ(out.request_id, 99u);
  const auto* a = std::get_if<AppendRequest>(&out.body);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->streams.size(), 4u);
  EXPECT_EQ(a->streams[0].stream, "order-1");
  EXPECT_EQ(a->streams[0].expected.kind(), ExpectedVersion::Kind::kExact);
  EXPECT_EQ(a->streams[0].expected.version(), Version(7));
  ASSERT_EQ(a->streams[0].events.size(), 2u);
  EXPECT_EQ(a->streams[0].events[0].type, "Placed");
  EXPECT_EQ(a->streams[0].events[0].data, in.streams[0].events[0].data);
  EXPECT_EQ(a->streams[0].events[0].metadata, "{\"c\":2}");
  EXPECT_EQ(a->streams[0].events[0].content_type, ContentType::kJson);
  EXPECT_EQ(a->streams[0].events[0].id, in.streams[0].events[0].id);
  EXPECT_TRUE(a->streams[0].events[1].id.is_nil());
  EXPECT_EQ(a->streams[1].expected.kind(), ExpectedVersion::Kind::kNoStream);
  EXPECT_EQ(a->streams[2].expected.kind(), ExpectedVersion::Kind::kStreamExists);
  EXPECT_EQ(a->streams[3].expected.kind(), ExpectedVersion::Kind::kAny);
  ASSERT_TRUE(a->condition.has_value());
  EXPECT_EQ(a->condition->event_types, (std::vector<std::string>{"Placed", "Paid"}));
  EXPECT_EQ(a->condition->categories, (std::vector<std::string>{"order"}));
  EXPECT_EQ(a->condition->after, Position(42));
  EXPECT_EQ(a->durability, Durability::kBuffered);
}

TEST(ProtocolRead, RoundTripsReadStreamReadAllListStreams) {
  Request rs = MustDecodeRequest(EncodeRequest(Request{
      1, ReadStreamRequest{
             "s-1", {.from = Version(5), .max_count = 3, .direction = Direction::kBackward}}}));
  auto* r = std::get_if<ReadStreamRequest>(&rs.body);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->stream, "s-1");
  EXPECT_EQ(r->options.from, Version(5));
  EXPECT_EQ(r->options.max_count, 3u);
  EXPECT_EQ(r->options.direction, Direction::kBackward);

  // No from and no limit survive as such.
  Request unbounded = MustDecodeRequest(EncodeRequest(Request{2, ReadStreamRequest{"s-1", {}}}));
  auto* u = std::get_if<ReadStreamRequest>(&unbounded.body);
  ASSERT_NE(u, nullptr);
  EXPECT_FALSE(u->options.from.has_value());
  EXPECT_EQ(u->options.max_count, std::numeric_limits<size_t>::max());

  Request ra = MustDecodeRequest(EncodeRequest(Request{
      3,
      ReadAllRequest{{.from = Position(9), .max_count = 2, .category = "c", .event_type = ""}}}));
  auto* all = std::get_if<ReadAllRequest>(&ra.body);
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->options.from, Position(9));
  EXPECT_EQ(all->options.max_count, 2u);
  EXPECT_EQ(all->options.category, "c");

  Request ls = MustDecodeRequest(EncodeRequest(
      Request{4, ListStreamsRequest{{.category = "c", .start_after = "c-1", .max_count = 5}}}));
  auto* l = std::get_if<ListStreamsRequest>(&ls.body);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->options.start_after, "c-1");
  EXPECT_EQ(l->options.max_count, 5u);
}

// include_system = true is the field's default, which FlatBuffers leaves
// out of the buffer: what an older client, which never sends it, is read as.
TEST(ProtocolRead, IncludeSystemRoundTripsAndItsAbsenceMeansTrue) {
  for (bool system : {false, true}) {
    SCOPED_TRACE(system);
    Request ra = MustDecodeRequest(
        EncodeRequest(Request{1, ReadAllRequest{{.include_system = system}}}));
    ASSERT_NE(std::get_if<ReadAllRequest>(&ra.body), nullptr);
    EXPECT_EQ(std::get<ReadAllRequest>(ra.body).options.include_system, system);
    Request ls = MustDecodeRequest(
        EncodeRequest(Request{2, ListStreamsRequest{{.include_system = system}}}));
    ASSERT_NE(std::get_if<ListStreamsRequest>(&ls.body), nullptr);
    EXPECT_EQ(std::get<ListStreamsRequest>(ls.body).options.include_system, system);
    SubscribeRequest sub;
    sub.options.include_system = system;
    Request su = MustDecodeRequest(EncodeRequest(Request{3, sub}));
    ASSERT_NE(std::get_if<SubscribeRequest>(&su.body), nullptr);
    EXPECT_EQ(std::get<SubscribeRequest>(su.body).options.include_system, system);
  }
}

TEST(ProtocolRead, RoundTripsViewScanPagingViewWaitAndVerify) {
  Request scan = MustDecodeRequest(
      EncodeRequest(Request{5, ViewScanRequest{"stock", "product-", 7, "product-41"}}));
  auto* s = std::get_if<ViewScanRequest>(&scan.body);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->prefix, "product-");
  EXPECT_EQ(s->max_count, 7u);
  EXPECT_EQ(s->start_after, "product-41");

  Request wait = MustDecodeRequest(EncodeRequest(
      Request{6, ViewWaitRequest{"stock", Position(99), std::chrono::milliseconds(1500)}}));
  auto* w = std::get_if<ViewWaitRequest>(&wait.body);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->view, "stock");
  EXPECT_EQ(w->position, Position(99));
  EXPECT_EQ(w->timeout, std::chrono::milliseconds(1500));

  Request verify = MustDecodeRequest(EncodeRequest(Request{7, VerifyRequest{}}));
  EXPECT_EQ(verify.request_id, 7u);
  EXPECT_TRUE(std::holds_alternative<VerifyRequest>(verify.body));
}

TEST(ProtocolDecode, GarbageIsMalformed) {
  const std::string garbage = "this is not a flatbuffer at all, not even close";
  const ProtocolError e = MustFailRequest(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(garbage.data()), garbage.size()));
  EXPECT_EQ(e.code, ProtocolCode::kMalformedFrame);
  EXPECT_EQ(e.request_id, 0u);
}

// FlatBuffers pads a message to its alignment: a cut that only drops
// padding still holds every field, and must then decode to the same request.
TEST(ProtocolDecode, EveryTruncationOfAValidMessageIsMalformedOrLosesNothing) {
  const std::vector<uint8_t> m = MessageOf(EncodeRequest(Request{5, FullAppend()}));
  size_t malformed = 0;
  for (size_t n = 0; n < m.size(); ++n) {
    const std::vector<uint8_t> prefix(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(n));
    auto decoded = DecodeRequest(prefix);
    if (auto* e = std::get_if<ProtocolError>(&decoded)) {
      EXPECT_EQ(e->code, ProtocolCode::kMalformedFrame);
      ++malformed;
      continue;
    }
    ASSERT_GE(n + 8, m.size()) << "a prefix of " << n << " of " << m.size() << " bytes decoded";
    const auto& a = std::get<AppendRequest>(std::get<Request>(decoded).body);
    EXPECT_EQ(a.streams.size(), 4u);
    EXPECT_EQ(a.streams[0].events[0].data, FullAppend().streams[0].events[0].data);
  }
  EXPECT_GE(malformed + 8, m.size());
}

TEST(ProtocolDecode, AResponseTypeSentAsARequestIsUnknownRequestWithItsId) {
  const std::vector<uint8_t> m = MessageOf(EncodeStreamVersion(77, Version(3)));
  const ProtocolError e = MustFailRequest(m);
  EXPECT_EQ(e.code, ProtocolCode::kUnknownRequest);
  EXPECT_EQ(e.request_id, 77u);
}

TEST(ProtocolDecode, AMessageWithoutBodyIsUnknownRequest) {
  const auto m = RawMessage(8, [](flatbuffers::FlatBufferBuilder&) {
    return std::pair{fb::Body::NONE, flatbuffers::Offset<void>()};
  });
  EXPECT_EQ(MustFailRequest(m).code, ProtocolCode::kUnknownRequest);
}

// Found by fuzz_protocol: the FlatBuffers verifier accepts a union type
// with no value, and the decoder dereferenced the missing body.
TEST(ProtocolDecode, ABodyTypeWithoutABodyIsMalformedNotACrash) {
  for (fb::Body type : {fb::Body::Hello, fb::Body::Append, fb::Body::ReadStream, fb::Body::HelloOk,
                        fb::Body::Events, fb::Body::Error}) {
    const auto m = RawMessage(11, [type](flatbuffers::FlatBufferBuilder&) {
      return std::pair{type, flatbuffers::Offset<void>()};
    });
    auto request = DecodeRequest(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m.data()), m.size()));
    auto response = DecodeResponse(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m.data()), m.size()));
    ASSERT_TRUE(std::holds_alternative<ProtocolError>(request)) << static_cast<int>(type);
    ASSERT_TRUE(std::holds_alternative<ProtocolError>(response)) << static_cast<int>(type);
    EXPECT_EQ(std::get<ProtocolError>(request).code, ProtocolCode::kMalformedFrame);
    EXPECT_EQ(std::get<ProtocolError>(response).code, ProtocolCode::kMalformedFrame);
  }
}

TEST(ProtocolDecode, AFutureBodyTypeIsUnknownRequest) {
  const auto m = RawMessage(9, [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{static_cast<fb::Body>(200), fb::CreateStats(b).Union()};
  });
  const ProtocolError e = MustFailRequest(m);
  EXPECT_EQ(e.code, ProtocolCode::kUnknownRequest);
  EXPECT_EQ(e.request_id, 9u);
}

TEST(ProtocolDecode, OutOfRangeEnumsAreMalformed) {
  const auto bad_kind = RawMessage(1, [](flatbuffers::FlatBufferBuilder& b) {
    std::vector<flatbuffers::Offset<fb::Event>> events{fb::CreateEventDirect(b, nullptr, "T")};
    std::vector<flatbuffers::Offset<fb::StreamAppend>> streams{
        fb::CreateStreamAppendDirect(b, "s", static_cast<fb::ExpectedKind>(9), 0, &events)};
    return std::pair{fb::Body::Append, fb::CreateAppendDirect(b, &streams).Union()};
  });
  EXPECT_EQ(MustFailRequest(bad_kind).code, ProtocolCode::kMalformedFrame);
  const auto bad_durability = RawMessage(1, [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{fb::Body::Append,
                     fb::CreateAppend(b, 0, 0, static_cast<fb::Durability>(7)).Union()};
  });
  EXPECT_EQ(MustFailRequest(bad_durability).code, ProtocolCode::kMalformedFrame);
  const auto bad_direction = RawMessage(1, [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair{
        fb::Body::ReadStream,
        fb::CreateReadStreamDirect(b, "s", 0, 0, static_cast<fb::Direction>(5)).Union()};
  });
  EXPECT_EQ(MustFailRequest(bad_direction).code, ProtocolCode::kMalformedFrame);
}

TEST(ProtocolDecode, AMessageAtAnOddAddressDecodes) {
  const std::vector<uint8_t> m = MessageOf(EncodeRequest(Request{12, StatsRequest{}}));
  std::vector<uint8_t> shifted(m.size() + 1);
  std::copy(m.begin(), m.end(), shifted.begin() + 1);
  auto decoded = DecodeRequest(std::span<const uint8_t>(shifted).subspan(1));
  ASSERT_TRUE(std::holds_alternative<Request>(decoded));
  EXPECT_EQ(std::get<Request>(decoded).request_id, 12u);
}

TEST(ProtocolResponse, WrongExpectedVersionKeepsCodeStreamAndActualVersion) {
  const Response r =
      MustDecodeResponse(EncodeError(4, Status::WrongExpectedVersion("conflict", "order-1", 12)));
  EXPECT_EQ(r.request_id, 4u);
  const auto* e = std::get_if<ErrorResponse>(&r.body);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->status.IsWrongExpectedVersion());
  EXPECT_EQ(e->status.stream(), "order-1");
  EXPECT_EQ(e->status.actual_version(), 12u);
  EXPECT_EQ(e->status.message(), "conflict");
}

TEST(ProtocolResponse, EveryStatusCodeRoundTripsByValue) {
  for (uint8_t c = 1; c <= static_cast<uint8_t>(Status::Code::kTrimmed); ++c) {
    const Status s = StatusFromWire(c, "m", "", 0);
    const Response r = MustDecodeResponse(EncodeError(1, s));
    const auto* e = std::get_if<ErrorResponse>(&r.body);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->wire_code, c);
    EXPECT_EQ(e->status.code(), static_cast<Status::Code>(c));
  }
}

TEST(ProtocolResponse, ProtocolErrorsMapToTheNearestStatus) {
  auto status_of = [](ProtocolCode code) {
    const Response r = MustDecodeResponse(EncodeProtocolError({code, "why", 0}));
    return std::get<ErrorResponse>(r.body).status;
  };
  EXPECT_TRUE(status_of(ProtocolCode::kUnsupportedProtocolVersion).IsNotSupported());
  EXPECT_TRUE(status_of(ProtocolCode::kShuttingDown).IsAborted());
  // The protocol code's name leads the message where the Status code's
  // name differs, and is not said twice where it is the same.
  const Status busy = status_of(ProtocolCode::kTooManySessions);
  EXPECT_TRUE(busy.IsBusy());
  EXPECT_EQ(busy.ToString(), "busy: too_many_sessions: why");
  const Status unauth = status_of(ProtocolCode::kUnauthenticated);
  EXPECT_TRUE(unauth.IsUnauthenticated());
  EXPECT_EQ(unauth.ToString(), "unauthenticated: why");
}

// A request the daemon does not know (an evlogd older than its client) has
// a code of its own, so a caller never parses "unknown_request: ".
TEST(ProtocolResponse, UnknownRequestIsItsOwnStatusCode) {
  const Response r =
      MustDecodeResponse(EncodeProtocolError({ProtocolCode::kUnknownRequest, "what is that", 7}));
  const Status s = std::get<ErrorResponse>(r.body).status;
  EXPECT_TRUE(s.IsUnknownRequest()) << s.ToString();
  EXPECT_EQ(s.CodeName(), "unknown_request");
}

TEST(ProtocolResponse, AppendOkEventsStreamsAndStatsRoundTrip) {
  AppendResult ar;
  ar.streams.push_back({"a-1", Version(1), Version(3), Position(10), Position(12)});
  ar.deduplicated = true;
  const Response aok = MustDecodeResponse(EncodeAppendOk(1, ar));
  const auto* a = std::get_if<AppendResult>(&aok.body);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->streams.size(), 1u);
  EXPECT_EQ(a->streams[0].stream, "a-1");
  EXPECT_EQ(a->streams[0].last_version, Version(3));
  EXPECT_EQ(a->streams[0].first_position, Position(10));
  EXPECT_TRUE(a->deduplicated);

  OwnedEvent e;
  e.stream = "a-1";
  e.type = "T";
  e.data = std::string("\0\1\2", 3);
  e.metadata = "m";
  e.content_type = ContentType::kFlatBuffers;
  e.id = Uuid::Random();
  e.version = Version(2);
  e.position = Position(11);
  e.timestamp_us = 123456;
  const Response er = MustDecodeResponse(EncodeEvents(2, EventsResponse{{e, e}, true}));
  const auto* events = std::get_if<EventsResponse>(&er.body);
  ASSERT_NE(events, nullptr);
  ASSERT_EQ(events->events.size(), 2u);
  EXPECT_TRUE(events->truncated);
  testutil::ExpectSameEvent(events->events[1], e);

  const Response sr =
      MustDecodeResponse(EncodeStreams(3, StreamsResponse{{{"a-1", Version(3)}}, false}));
  const auto* streams = std::get_if<StreamsResponse>(&sr.body);
  ASSERT_NE(streams, nullptr);
  ASSERT_EQ(streams->streams.size(), 1u);
  EXPECT_EQ(streams->streams[0].version, Version(3));

  MetricsSnapshot metrics;
  metrics.appends = 3;
  metrics.append_latency_seconds = {
      .upper_bounds = {0.5, 1}, .cumulative_counts = {1, 2}, .sum = 1.25, .count = 3};
  metrics.subscriptions.push_back({.name = "s", .checkpoint = Position(4), .lag = 1, .parked = 2});
  metrics.rocksdb.compactions = 7;
  const Response st =
      MustDecodeResponse(EncodeStats(4, StoreStats{5, 2, Position(5), 4096}, metrics));
  const auto* stats = std::get_if<StatsResponse>(&st.body);
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(stats->stats.appended, 5u);
  EXPECT_EQ(stats->stats.last_position, Position(5));
  ASSERT_TRUE(stats->metrics.has_value());
  EXPECT_EQ(stats->metrics->appends, 3u);
  EXPECT_EQ(stats->metrics->append_latency_seconds.upper_bounds, (std::vector<double>{0.5, 1}));
  EXPECT_EQ(stats->metrics->append_latency_seconds.cumulative_counts,
            (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(stats->metrics->append_latency_seconds.sum, 1.25);
  EXPECT_EQ(stats->metrics->append_latency_seconds.count, 3u);
  ASSERT_EQ(stats->metrics->subscriptions.size(), 1u);
  EXPECT_EQ(stats->metrics->subscriptions[0].name, "s");
  EXPECT_EQ(stats->metrics->subscriptions[0].parked, 2u);
  EXPECT_EQ(stats->metrics->rocksdb.compactions, 7u);
}

TEST(ProtocolResponse, AHistogramWithMoreCountsThanBoundsIsMalformed) {
  MetricsSnapshot metrics;
  metrics.fsync_seconds = {.upper_bounds = {1}, .cumulative_counts = {1, 2}, .count = 2};
  const std::vector<uint8_t> m = MessageOf(EncodeStats(4, StoreStats{}, metrics));
  EXPECT_TRUE(std::holds_alternative<ProtocolError>(DecodeResponse(m)));
}

TEST(ProtocolCheckpoint, GetSetAndCheckpointOkRoundTrip) {
  Request get = MustDecodeRequest(EncodeRequest(Request{1, GetCheckpointRequest{"kafka-shop"}}));
  auto* g = std::get_if<GetCheckpointRequest>(&get.body);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->name, "kafka-shop");
  Request set = MustDecodeRequest(
      EncodeRequest(Request{2, SetCheckpointRequest{"kafka-shop", Position(42)}}));
  auto* s = std::get_if<SetCheckpointRequest>(&set.body);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name, "kafka-shop");
  EXPECT_EQ(s->position, Position(42));
  const Response ok = MustDecodeResponse(EncodeCheckpoint(3, Position(42)));
  EXPECT_EQ(ok.request_id, 3u);
  const auto* p = std::get_if<Position>(&ok.body);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, Position(42));
}

TEST(ProtocolCompact, CompactStoreRoundTrips) {
  Request r = MustDecodeRequest(EncodeRequest(Request{5, CompactRequest{}}));
  EXPECT_EQ(r.request_id, 5u);
  EXPECT_TRUE(std::holds_alternative<CompactRequest>(r.body));
}

TEST(ProtocolResponse, VerifyReportRoundTripsItsCountsAndProblems) {
  VerifyReport report;
  report.events = 10;
  report.streams = 3;
  report.last_position = Position(12);
  report.reclaimed = 2;
  report.index_entries = 30;
  report.problems = {"position 4: missing", "stream a-1: version 2 twice"};
  report.problem_count = 5;
  const Response r = MustDecodeResponse(EncodeVerifyReport(8, report));
  const auto* got = std::get_if<VerifyReport>(&r.body);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->events, 10u);
  EXPECT_EQ(got->streams, 3u);
  EXPECT_EQ(got->last_position, Position(12));
  EXPECT_EQ(got->reclaimed, 2u);
  EXPECT_EQ(got->index_entries, 30u);
  EXPECT_EQ(got->problems, report.problems);
  EXPECT_EQ(got->problem_count, 5u);
  EXPECT_FALSE(got->ok());
}

TEST(ProtocolBackup, RequestAndBackupOkRoundTrip) {
  const Request r = MustDecodeRequest(EncodeRequest(Request{4, BackupRequest{"/srv/backups/b1"}}));
  EXPECT_EQ(r.request_id, 4u);
  const auto* b = std::get_if<BackupRequest>(&r.body);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dest, "/srv/backups/b1");

  const Response ok = MustDecodeResponse(EncodeBackupOk(4, BackupInfo{Position(77), 9, 12345}));
  const auto* info = std::get_if<BackupInfo>(&ok.body);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->position, Position(77));
  EXPECT_EQ(info->files, 9u);
  EXPECT_EQ(info->bytes, 12345u);
}

TEST(ProtocolResponse, ARequestTypeSentAsAResponseIsRejected) {
  const std::vector<uint8_t> m = MessageOf(EncodeRequest(Request{3, StatsRequest{}}));
  EXPECT_TRUE(std::holds_alternative<ProtocolError>(DecodeResponse(m)));
}

TEST(TokenCompare, EqualOnlyForTheSameBytes) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secre"));
  EXPECT_FALSE(ConstantTimeEquals("secret", ""));
  EXPECT_FALSE(ConstantTimeEquals("secretsecret", "secret"));
}

}  // namespace
}  // namespace evlog::server
