// The hosted subscription requests and answers of the protocol (issue #17):
// each round-trips, absent fields read as the spec's defaults, and what no
// encoder would send is refused as malformed with its request id.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "evlog/schema/protocol_generated.h"
#include "frame.h"
#include "must_decode.h"
#include "protocol.h"

namespace evlog::server {
namespace {

namespace fb = ::evlog::protocol;

template <class Body>
Body RoundTrip(Body body) {
  const Request r = MustDecodeRequest(EncodeRequest(Request{9, std::move(body)}));
  EXPECT_EQ(r.request_id, 9u);
  const Body* out = std::get_if<Body>(&r.body);
  if (out == nullptr) {
    ADD_FAILURE() << "decoded as another request type";
    return Body{};
  }
  return *out;
}

TEST(ProtocolConsumer, CreateSubscriptionCarriesEveryFieldOfTheSpec) {
  const HostedSubscriptionSpec spec{.name = "billing",
                                    .category = "order",
                                    .event_type = "Paid",
                                    .stream_prefix = "order-1",
                                    .start = FeedStart::At(Position(42)),
                                    .max_attempts = 3,
                                    .ack_timeout = std::chrono::milliseconds(1500),
                                    .initial_backoff = std::chrono::milliseconds(2),
                                    .max_backoff = std::chrono::milliseconds(90),
                                    .max_in_flight = 77};
  EXPECT_EQ(RoundTrip(CreateSubscriptionRequest{spec}).spec, spec);
  EXPECT_EQ(
      RoundTrip(CreateSubscriptionRequest{{.name = "l", .start = FeedStart::Latest()}}).spec,
      (HostedSubscriptionSpec{.name = "l", .start = FeedStart::Latest()}));
  EXPECT_EQ(RoundTrip(CreateSubscriptionRequest{{.name = "a", .start = FeedStart::After(Position(7))}})
                .spec.start,
            FeedStart::After(Position(7)));
  EXPECT_EQ(RoundTrip(DeleteSubscriptionRequest{"billing"}).name, "billing");
}

TEST(ProtocolConsumer, AbsentFieldsReadAsTheSpecDefaults) {
  const auto message = RawMessage(4, [](flatbuffers::FlatBufferBuilder& b) {
    const auto name = b.CreateString("billing");
    fb::CreateSubscriptionBuilder c(b);
    c.add_name(name);
    return std::pair(fb::Body::CreateSubscription, c.Finish().Union());
  });
  auto decoded = DecodeRequest(message);
  ASSERT_TRUE(std::holds_alternative<Request>(decoded));
  const auto& create = std::get<CreateSubscriptionRequest>(std::get<Request>(decoded).body);
  EXPECT_EQ(create.spec, HostedSubscriptionSpec{.name = "billing"});
}

TEST(ProtocolConsumer, ConsumerRequestsRoundTrip) {
  EXPECT_EQ(RoundTrip(OpenConsumerRequest{"billing"}).name, "billing");
  const ConsumerFetchRequest fetch =
      RoundTrip(ConsumerFetchRequest{7, 25, std::chrono::seconds(2)});
  EXPECT_EQ(fetch.consumer, 7u);
  EXPECT_EQ(fetch.max_events, 25u);
  EXPECT_EQ(fetch.wait, std::chrono::seconds(2));
  const ConsumerAckRequest ack = RoundTrip(ConsumerAckRequest{7, {Position(3), Position(1)}});
  EXPECT_EQ(ack.consumer, 7u);
  EXPECT_EQ(ack.positions, (std::vector<Position>{Position(3), Position(1)}));
  EXPECT_TRUE(RoundTrip(ConsumerAckRequest{7, {}}).positions.empty());
  const ConsumerNackRequest nack =
      RoundTrip(ConsumerNackRequest{7, Position(5), std::string("no\0card", 7)});
  EXPECT_EQ(nack.position, Position(5));
  EXPECT_EQ(nack.reason, std::string("no\0card", 7));
  EXPECT_EQ(RoundTrip(CloseConsumerRequest{7}).consumer, 7u);
}

TEST(ProtocolConsumer, AnUnknownStartKindIsMalformed) {
  const ProtocolError e = MustFailRequest(RawMessage(11, [](flatbuffers::FlatBufferBuilder& b) {
    const auto name = b.CreateString("billing");
    fb::CreateSubscriptionBuilder c(b);
    c.add_name(name);
    c.add_start_kind(static_cast<fb::FeedStartKind>(9));
    return std::pair(fb::Body::CreateSubscription, c.Finish().Union());
  }));
  EXPECT_EQ(e.code, ProtocolCode::kMalformedFrame);
  EXPECT_EQ(e.request_id, 11u);
}

TEST(ProtocolConsumer, DurationsBeyondMillisecondsAreMalformed) {
  const ProtocolError timeout = MustFailRequest(RawMessage(12, [](flatbuffers::FlatBufferBuilder& b) {
    const auto name = b.CreateString("billing");
    fb::CreateSubscriptionBuilder c(b);
    c.add_name(name);
    c.add_ack_timeout_ms(UINT64_MAX);
    return std::pair(fb::Body::CreateSubscription, c.Finish().Union());
  }));
  EXPECT_EQ(timeout.code, ProtocolCode::kMalformedFrame);
  EXPECT_EQ(timeout.request_id, 12u);
  const ProtocolError wait = MustFailRequest(RawMessage(13, [](flatbuffers::FlatBufferBuilder& b) {
    return std::pair(fb::Body::ConsumerFetch,
                     fb::CreateConsumerFetch(b, 1, 10, UINT64_MAX).Union());
  }));
  EXPECT_EQ(wait.code, ProtocolCode::kMalformedFrame);
  EXPECT_EQ(wait.request_id, 13u);
}

TEST(ProtocolConsumer, ABodyTypeWithoutItsBodyIsMalformed) {
  for (fb::Body type : {fb::Body::CreateSubscription, fb::Body::OpenConsumer,
                        fb::Body::ConsumerFetch, fb::Body::ConsumerAck, fb::Body::ConsumerNack,
                        fb::Body::CloseConsumer, fb::Body::DeleteSubscription}) {
    const ProtocolError e = MustFailRequest(RawMessage(14, [type](flatbuffers::FlatBufferBuilder&) {
      return std::pair(type, flatbuffers::Offset<void>());
    }));
    EXPECT_EQ(e.code, ProtocolCode::kMalformedFrame) << static_cast<int>(type);
  }
}

TEST(ProtocolConsumer, TruncatedConsumerRequestsAreMalformed) {
  const std::string frame = EncodeRequest(Request{3, ConsumerAckRequest{7, {Position(1)}}});
  std::vector<uint8_t> message = MessageOf(frame);
  for (size_t keep : {message.size() / 2, message.size() - 4, size_t{8}}) {
    std::vector<uint8_t> cut(message.begin(), message.begin() + static_cast<ptrdiff_t>(keep));
    auto decoded = DecodeRequest(cut);
    ASSERT_TRUE(std::holds_alternative<ProtocolError>(decoded)) << keep;
    EXPECT_EQ(std::get<ProtocolError>(decoded).code, ProtocolCode::kMalformedFrame);
  }
}

TEST(ProtocolConsumer, ConsumerAnswersRoundTrip) {
  const Response opened = MustDecode<Response>(EncodeConsumerOpened(5, 5), DecodeResponse);
  EXPECT_EQ(std::get<ConsumerOpenedResponse>(opened.body).consumer, 5u);

  OwnedEvent e;
  e.stream = "order-1";
  e.type = "Paid";
  e.data = "{}";
  e.version = Version(2);
  e.position = Position(9);
  const std::vector<HostedEvent> events = {HostedEvent{e, 3, true}, HostedEvent{e, 1, false}};
  const Response r = MustDecode<Response>(EncodeConsumerEvents(6, events, true), DecodeResponse);
  const auto& got = std::get<ConsumerEventsResponse>(r.body);
  EXPECT_TRUE(got.caught_up);
  ASSERT_EQ(got.events.size(), 2u);
  EXPECT_EQ(got.events[0].attempt, 3u);
  EXPECT_TRUE(got.events[0].replayed);
  EXPECT_EQ(got.events[0].event.stream, "order-1");
  EXPECT_EQ(got.events[0].event.position, Position(9));
  EXPECT_EQ(got.events[1].attempt, 1u);
  EXPECT_FALSE(got.events[1].replayed);
  const Response empty = MustDecode<Response>(EncodeConsumerEvents(6, {}, false), DecodeResponse);
  EXPECT_TRUE(std::get<ConsumerEventsResponse>(empty.body).events.empty());
}

TEST(ProtocolConsumer, ADeliveredEventWithoutItsEventIsMalformed) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::DeliveredEvent>> events = {
      fb::CreateDeliveredEvent(b, 0, 1, false)};
  const auto vec = b.CreateVector(events);
  b.Finish(fb::CreateMessage(b, 3, fb::Body::ConsumerEvents,
                             fb::CreateConsumerEvents(b, vec, false).Union()));
  const std::vector<uint8_t> message(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  auto decoded = DecodeResponse(message);
  ASSERT_TRUE(std::holds_alternative<ProtocolError>(decoded));
  EXPECT_EQ(std::get<ProtocolError>(decoded).code, ProtocolCode::kMalformedFrame);
}

TEST(ProtocolConsumer, SubscriptionCreatedSaysWhetherItWasCreated) {
  for (bool created : {true, false}) {
    const Response r = MustDecodeResponse(EncodeSubscriptionCreated(5, created));
    EXPECT_EQ(r.request_id, 5u);
    ASSERT_TRUE(std::holds_alternative<SubscriptionCreatedResponse>(r.body));
    EXPECT_EQ(std::get<SubscriptionCreatedResponse>(r.body).created, created);
  }
}

TEST(ProtocolViews, ListViewsAndViewsRoundTrip) {
  const Request request = MustDecodeRequest(EncodeRequest(Request{3, ListViewsRequest{}}));
  EXPECT_TRUE(std::holds_alternative<ListViewsRequest>(request.body));
  const Store::ViewInfo info{
      .name = "stock",
      .progress = {.generation = 2, .position = Position(9), .rebuild_position = Position(4),
                   .rebuild_target = Position(8)},
      .lag = 6};
  const Response r = MustDecodeResponse(EncodeViews(3, ViewsResponse{{info}}));
  ASSERT_TRUE(std::holds_alternative<ViewsResponse>(r.body));
  const std::vector<Store::ViewInfo>& views = std::get<ViewsResponse>(r.body).views;
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].name, "stock");
  EXPECT_EQ(views[0].progress.generation, 2u);
  EXPECT_EQ(views[0].progress.position, Position(9));
  EXPECT_EQ(views[0].progress.rebuild_position, Position(4));
  EXPECT_EQ(views[0].progress.rebuild_target, Position(8));
  EXPECT_EQ(views[0].lag, 6u);
  const Response hello =
      MustDecodeResponse(EncodeHelloOk(0, HelloOkResponse{.list_views = true}));
  EXPECT_TRUE(std::get<HelloOkResponse>(hello.body).list_views);
}

TEST(ProtocolConsumer, HelloOkSaysWhetherTheDaemonHostsSubscriptions) {
  const Response yes = MustDecode<Response>(
      EncodeHelloOk(0, HelloOkResponse{.hosted_subscriptions = true}), DecodeResponse);
  EXPECT_TRUE(std::get<HelloOkResponse>(yes.body).hosted_subscriptions);
  // What an older daemon sends: a HelloOk without the field.
  flatbuffers::FlatBufferBuilder b;
  b.Finish(
      fb::CreateMessage(b, 0, fb::Body::HelloOk, fb::CreateHelloOk(b, 1, 1 << 20, 16).Union()));
  const std::vector<uint8_t> message(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  auto decoded = DecodeResponse(message);
  ASSERT_TRUE(std::holds_alternative<Response>(decoded));
  EXPECT_FALSE(std::get<HelloOkResponse>(std::get<Response>(decoded).body).hosted_subscriptions);
}

}  // namespace
}  // namespace evlog::server
