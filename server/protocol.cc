// Invariant: nothing decoded points into the frame; every length and enum
// read from the wire is checked before it is used.

#include "protocol.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "evlog/schema/protocol_generated.h"
#include "frame.h"
#include "protocol_wire.h"

namespace evlog::server {

using namespace wire;  // NOLINT: the codec's shared vocabulary
namespace {

// ---- request decoding -----------------------------------------------------

std::variant<AppendRequest, ProtocolError> DecodeAppend(const fb::Append& in, uint64_t id) {
  AppendRequest out;
  if (in.durability() != fb::Durability::Sync && in.durability() != fb::Durability::Buffered) {
    return Malformed("unknown durability", id);
  }
  out.durability =
      in.durability() == fb::Durability::Sync ? Durability::kSync : Durability::kBuffered;
  if (in.duplicates() != fb::DuplicatePolicy::Error && in.duplicates() != fb::DuplicatePolicy::Skip) {
    return Malformed("unknown duplicate policy", id);
  }
  out.duplicates = in.duplicates() == fb::DuplicatePolicy::Skip ? DuplicatePolicy::kSkip
                                                                : DuplicatePolicy::kError;
  if (in.streams() != nullptr) {
    for (const fb::StreamAppend* sa : *in.streams()) {
      StreamAppend s;
      s.stream = Str(sa->stream());
      switch (sa->expected_kind()) {
        case fb::ExpectedKind::Any:
          s.expected = ExpectedVersion::Any();
          break;
        case fb::ExpectedKind::NoStream:
          s.expected = ExpectedVersion::NoStream();
          break;
        case fb::ExpectedKind::StreamExists:
          s.expected = ExpectedVersion::StreamExists();
          break;
        case fb::ExpectedKind::Exact:
          s.expected = ExpectedVersion::Exact(Version(sa->expected_version()));
          break;
        default:
          return Malformed("unknown expected version kind", id);
      }
      if (sa->events() != nullptr) {
        for (const fb::Event* e : *sa->events()) {
          if (e->content_type() > static_cast<uint8_t>(ContentType::kFlatBuffers)) {
            return Malformed("unknown content type", id);
          }
          s.events.push_back(EventData{.type = Str(e->type()),
                                       .data = Bytes(e->data()),
                                       .metadata = Bytes(e->metadata()),
                                       .content_type = static_cast<ContentType>(e->content_type()),
                                       .id = FromWire(e->id()),
                                       .tags = Strings(e->tags())});
        }
      }
      out.streams.push_back(std::move(s));
    }
  }
  if (const fb::AppendCondition* c = in.condition(); c != nullptr) {
    AppendCondition cond;
    if (c->event_types() != nullptr) {
      for (const flatbuffers::String* t : *c->event_types()) cond.event_types.push_back(Str(t));
    }
    if (c->categories() != nullptr) {
      for (const flatbuffers::String* t : *c->categories()) cond.categories.push_back(Str(t));
    }
    cond.after = Position(c->after());
    if (c->fail_if_events_match() != nullptr) {
      cond.fail_if_events_match = FromWire(*c->fail_if_events_match());
    }
    out.condition = std::move(cond);
  }
  return out;
}

// A duration in milliseconds from the wire; false if it does not fit.
bool Millis(uint64_t ms, std::chrono::milliseconds* out) {
  if (ms > static_cast<uint64_t>(std::chrono::milliseconds::max().count())) return false;
  *out = std::chrono::milliseconds(static_cast<int64_t>(ms));
  return true;
}

// The FeedStart a message names; nullopt for a kind this build does not know.
std::optional<FeedStart> DecodeFeedStart(fb::FeedStartKind kind, uint64_t position) {
  const Position p(position);
  switch (kind) {
    case fb::FeedStartKind::Oldest:
      return FeedStart::Oldest();
    case fb::FeedStartKind::Latest:
      return FeedStart::Latest();
    case fb::FeedStartKind::At:
      return FeedStart::At(p);
    case fb::FeedStartKind::After:
      return FeedStart::After(p);
  }
  return std::nullopt;
}

fb::FeedStartKind EncodeFeedStartKind(const FeedStart& start) {
  return static_cast<fb::FeedStartKind>(static_cast<uint8_t>(start.kind()));
}

std::variant<CreateSubscriptionRequest, ProtocolError> DecodeCreateSubscription(
    const fb::CreateSubscription& in, uint64_t id) {
  HostedSubscriptionSpec spec{.name = Str(in.name()),
                              .category = Str(in.category()),
                              .event_type = Str(in.event_type()),
                              .stream_prefix = Str(in.stream_prefix()),
                              .max_attempts = in.max_attempts(),
                              .max_in_flight = in.max_in_flight()};
  std::optional<FeedStart> start = DecodeFeedStart(in.start_kind(), in.start_position());
  if (!start) return Malformed("unknown hosted subscription start kind", id);
  spec.start = *start;
  if (!Millis(in.ack_timeout_ms(), &spec.ack_timeout) ||
      !Millis(in.initial_backoff_ms(), &spec.initial_backoff) ||
      !Millis(in.max_backoff_ms(), &spec.max_backoff)) {
    return Malformed("hosted subscription duration out of range", id);
  }
  return CreateSubscriptionRequest{std::move(spec)};
}

// TrimStream (Store::TrimStream) and Trim (Store::Trim) carry the same
// fields: a stream and its TrimOptions, `before` 0 when unset.
template <class Request, class Wire>
Request DecodeTrim(const Wire& in) {
  Request out{Str(in.stream()), {}};
  if (in.before() != 0) out.options.before = Version(in.before());
  out.options.retention_seconds = in.retention_seconds();
  out.options.require_snapshot = in.require_snapshot();
  return out;
}

// `create`: fb::CreateTrimStreamDirect or fb::CreateTrimDirect.
template <class Request, class Create>
Offset<void> EncodeTrim(FlatBufferBuilder& b, const Request& r, Create create) {
  return create(b, r.stream.c_str(), r.options.before ? r.options.before->value() : 0,
                r.options.retention_seconds, r.options.require_snapshot)
      .Union();
}

uint64_t MillisToWire(std::chrono::milliseconds ms) {
  return static_cast<uint64_t>(std::max<int64_t>(0, ms.count()));
}

}  // namespace

std::variant<Request, ProtocolError> DecodeRequest(std::span<const uint8_t> message) {
  const Aligned aligned(message);
  const auto verified = VerifiedMessage(aligned);
  if (const auto* e = std::get_if<ProtocolError>(&verified)) return *e;
  const fb::Message* m = std::get<const fb::Message*>(verified);
  const uint64_t id = m->request_id();
  const Request out{id, {}};
  switch (m->body_type()) {
    case fb::Body::Hello: {
      const fb::Hello* h = m->body_as_Hello();
      return WithBody(out,
                      HelloRequest{h->protocol_version(), Str(h->token()), Str(h->client_name())});
    }
    case fb::Body::Append: {
      auto append = DecodeAppend(*m->body_as_Append(), id);
      if (auto* e = std::get_if<ProtocolError>(&append)) return std::move(*e);
      return WithBody(out, std::move(std::get<AppendRequest>(append)));
    }
    case fb::Body::ReadStream: {
      const fb::ReadStream* r = m->body_as_ReadStream();
      if (r->direction() != fb::Direction::Forward && r->direction() != fb::Direction::Backward) {
        return Malformed("unknown direction", id);
      }
      ReadStreamRequest rs;
      rs.stream = Str(r->stream());
      if (r->from_version() != 0) rs.options.from = Version(r->from_version());
      rs.options.max_count = CountOrMax(r->max_count());
      rs.options.direction =
          r->direction() == fb::Direction::Forward ? Direction::kForward : Direction::kBackward;
      return WithBody(out, std::move(rs));
    }
    case fb::Body::ReadAll: {
      const fb::ReadAll* r = m->body_as_ReadAll();
      return WithBody(out, ReadAllRequest{{.from = Position(r->from_position()),
                                           .max_count = CountOrMax(r->max_count()),
                                           .category = Str(r->category()),
                                           .event_type = Str(r->event_type()),
                                           .include_system = r->include_system()}});
    }
    case fb::Body::ListStreams: {
      const fb::ListStreams* l = m->body_as_ListStreams();
      return WithBody(out, ListStreamsRequest{{.category = Str(l->category()),
                                               .start_after = Str(l->start_after()),
                                               .max_count = CountOrMax(l->max_count()),
                                               .include_system = l->include_system()}});
    }
    case fb::Body::StreamVersion:
      return WithBody(out, StreamVersionRequest{Str(m->body_as_StreamVersion()->stream())});
    case fb::Body::Stats:
      return WithBody(out, StatsRequest{});
    case fb::Body::GetStreamMetadata:
      return WithBody(out, GetStreamMetadataRequest{Str(m->body_as_GetStreamMetadata()->stream())});
    case fb::Body::SetStreamMetadata: {
      const fb::SetStreamMetadata* r = m->body_as_SetStreamMetadata();
      return WithBody(out, SetStreamMetadataRequest{
                               Str(r->stream()), FromWire(r->metadata()), {.force = r->force()}});
    }
    case fb::Body::DeleteStream: {
      const fb::DeleteStream* r = m->body_as_DeleteStream();
      return WithBody(out, DeleteStreamRequest{Str(r->stream()), r->hard()});
    }
    case fb::Body::TrimStream:
      return WithBody(out, DecodeTrim<TrimStreamRequest>(*m->body_as_TrimStream()));
    case fb::Body::Trim:
      return WithBody(out, DecodeTrim<TrimRequest>(*m->body_as_Trim()));
    case fb::Body::LoadSnapshot:
      return WithBody(out, LoadSnapshotRequest{Str(m->body_as_LoadSnapshot()->stream())});
    case fb::Body::SaveSnapshot: {
      const fb::SaveSnapshot* r = m->body_as_SaveSnapshot();
      return WithBody(
          out, SaveSnapshotRequest{Str(r->stream()), Version(r->version()), Bytes(r->state())});
    }
    case fb::Body::ViewGet: {
      const fb::ViewGet* r = m->body_as_ViewGet();
      return WithBody(out, ViewGetRequest{Str(r->view()), Str(r->key())});
    }
    case fb::Body::ViewScan: {
      const fb::ViewScan* r = m->body_as_ViewScan();
      return WithBody(out, ViewScanRequest{Str(r->view()), Str(r->prefix()),
                                           CountOrMax(r->max_count()), Str(r->start_after())});
    }
    case fb::Body::ViewRebuild: {
      const fb::ViewRebuild* r = m->body_as_ViewRebuild();
      return WithBody(out, ViewRebuildRequest{Str(r->view()), r->cancel()});
    }
    case fb::Body::GetViewProgress:
      return WithBody(out, GetViewProgressRequest{Str(m->body_as_GetViewProgress()->view())});
    case fb::Body::ListSubscriptions:
      return WithBody(out, ListSubscriptionsRequest{});
    case fb::Body::ListViews:
      return WithBody(out, ListViewsRequest{});
    case fb::Body::ListParked:
      return WithBody(out, ListParkedRequest{Str(m->body_as_ListParked()->name())});
    case fb::Body::ReplayParked:
      return WithBody(out, ReplayParkedRequest{Str(m->body_as_ReplayParked()->name())});
    case fb::Body::Subscribe: {
      const fb::Subscribe* r = m->body_as_Subscribe();
      SubscribeRequest sub;
      std::optional<FeedStart> start = DecodeFeedStart(r->start_kind(), r->start_position());
      if (!start) return Malformed("unknown feed start kind", id);
      sub.options.start = *start;
      sub.options.category = Str(r->category());
      sub.options.stream_prefix = Str(r->stream_prefix());
      sub.options.event_type = Str(r->event_type());
      sub.options.include_system = r->include_system();
      sub.credits = r->credits();
      return WithBody(out, std::move(sub));
    }
    case fb::Body::Credit: {
      const fb::Credit* r = m->body_as_Credit();
      return WithBody(out, CreditRequest{r->subscription(), r->credits()});
    }
    case fb::Body::Unsubscribe:
      return WithBody(out, UnsubscribeRequest{m->body_as_Unsubscribe()->subscription()});
    case fb::Body::ViewWait: {
      const fb::ViewWait* r = m->body_as_ViewWait();
      ViewWaitRequest wait{Str(r->view()), Position(r->position()), {}};
      if (!Millis(r->timeout_ms(), &wait.timeout)) {
        return Malformed("view wait timeout out of range", id);
      }
      return WithBody(out, std::move(wait));
    }
    case fb::Body::VerifyStore:
      return WithBody(out, VerifyRequest{});
    case fb::Body::Backup:
      return WithBody(out, BackupRequest{Str(m->body_as_Backup()->dest())});
    case fb::Body::GetCheckpoint:
      return WithBody(out, GetCheckpointRequest{Str(m->body_as_GetCheckpoint()->name())});
    case fb::Body::SetCheckpoint: {
      const fb::SetCheckpoint* r = m->body_as_SetCheckpoint();
      return WithBody(out, SetCheckpointRequest{Str(r->name()), Position(r->position())});
    }
    case fb::Body::CompactStore:
      return WithBody(out, CompactRequest{});
    case fb::Body::ReadQuery: {
      const fb::ReadQuery* r = m->body_as_ReadQuery();
      ReadQueryRequest q;
      if (r->query() != nullptr) q.query = FromWire(*r->query());
      if (r->from() != 0) q.options.from = Position(r->from());
      q.options.max_count = CountOrMax(r->max_count());
      q.options.direction = r->backward() ? Direction::kBackward : Direction::kForward;
      return WithBody(out, std::move(q));
    }
    case fb::Body::CreateSubscription: {
      auto create = DecodeCreateSubscription(*m->body_as_CreateSubscription(), id);
      if (auto* e = std::get_if<ProtocolError>(&create)) return std::move(*e);
      return WithBody(out, std::move(std::get<CreateSubscriptionRequest>(create)));
    }
    case fb::Body::DeleteSubscription:
      return WithBody(out, DeleteSubscriptionRequest{Str(m->body_as_DeleteSubscription()->name())});
    case fb::Body::OpenConsumer:
      return WithBody(out, OpenConsumerRequest{Str(m->body_as_OpenConsumer()->name())});
    case fb::Body::ConsumerFetch: {
      const fb::ConsumerFetch* r = m->body_as_ConsumerFetch();
      ConsumerFetchRequest fetch{r->consumer(), r->max_events(), {}};
      if (!Millis(r->wait_ms(), &fetch.wait)) return Malformed("fetch wait out of range", id);
      return WithBody(out, fetch);
    }
    case fb::Body::ConsumerAck: {
      const fb::ConsumerAck* r = m->body_as_ConsumerAck();
      ConsumerAckRequest ack{r->consumer(), {}};
      if (r->positions() != nullptr) {
        ack.positions.reserve(r->positions()->size());
        for (uint64_t p : *r->positions()) ack.positions.push_back(Position(p));
      }
      return WithBody(out, std::move(ack));
    }
    case fb::Body::ConsumerNack: {
      const fb::ConsumerNack* r = m->body_as_ConsumerNack();
      return WithBody(
          out, ConsumerNackRequest{r->consumer(), Position(r->position()), Str(r->reason())});
    }
    case fb::Body::CloseConsumer:
      return WithBody(out, CloseConsumerRequest{m->body_as_CloseConsumer()->consumer()});
    case fb::Body::NONE:
      return ProtocolError{ProtocolCode::kUnknownRequest, "message has no body", id};
    default:
      return ProtocolError{ProtocolCode::kUnknownRequest,
                           "body type " + std::to_string(static_cast<int>(m->body_type())) +
                               " is not a request this server knows",
                           id};
  }
}

std::string EncodeRequest(const Request& request) {
  FlatBufferBuilder b(256);
  struct Visitor {
    FlatBufferBuilder& b;
    std::pair<fb::Body, Offset<void>> operator()(const HelloRequest& h) {
      return {fb::Body::Hello,
              fb::CreateHelloDirect(b, h.protocol_version, h.token.c_str(), h.client_name.c_str())
                  .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const AppendRequest& a) {
      std::vector<Offset<fb::StreamAppend>> streams;
      for (const StreamAppend& s : a.streams) {
        std::vector<Offset<fb::Event>> events;
        for (const EventData& e : s.events) {
          const fb::Uuid id = ToWire(e.id);
          const auto type = b.CreateString(e.type);
          const auto data = ByteVector(b, e.data);
          const auto metadata = ByteVector(b, e.metadata);
          // Absent rather than empty: an append without tags is the bytes
          // an older client sends.
          Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> tags;
          if (!e.tags.empty()) tags = StringVector(b, e.tags);
          events.push_back(fb::CreateEvent(b, e.id.is_nil() ? nullptr : &id, type, data, metadata,
                                           static_cast<uint8_t>(e.content_type), tags));
        }
        const auto kind = static_cast<fb::ExpectedKind>(static_cast<uint8_t>(s.expected.kind()));
        const uint64_t version =
            s.expected.kind() == ExpectedVersion::Kind::kExact ? s.expected.version().value() : 0;
        streams.push_back(fb::CreateStreamAppend(b, b.CreateString(s.stream), kind, version,
                                                 b.CreateVector(events)));
      }
      Offset<fb::AppendCondition> condition;
      if (a.condition) {
        const auto types = StringVector(b, a.condition->event_types);
        const auto categories = StringVector(b, a.condition->categories);
        Offset<fb::Query> query;
        if (a.condition->fail_if_events_match) query = ToWire(b, *a.condition->fail_if_events_match);
        condition =
            fb::CreateAppendCondition(b, types, categories, a.condition->after.value(), query);
      }
      const fb::Durability durability =
          a.durability == Durability::kSync ? fb::Durability::Sync : fb::Durability::Buffered;
      return {fb::Body::Append,
              fb::CreateAppend(b, b.CreateVector(streams), condition, durability,
                               a.duplicates == DuplicatePolicy::kSkip
                                   ? fb::DuplicatePolicy::Skip
                                   : fb::DuplicatePolicy::Error)
                  .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ReadStreamRequest& r) {
      return {fb::Body::ReadStream,
              fb::CreateReadStreamDirect(
                  b, r.stream.c_str(), r.options.from ? r.options.from->value() : 0,
                  CountToWire(r.options.max_count),
                  r.options.direction == Direction::kForward ? fb::Direction::Forward
                                                             : fb::Direction::Backward)
                  .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ReadAllRequest& r) {
      return {fb::Body::ReadAll,
              fb::CreateReadAllDirect(b, r.options.from.value(), CountToWire(r.options.max_count),
                                      r.options.category.c_str(), r.options.event_type.c_str(),
                                      r.options.include_system)
                  .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ListStreamsRequest& l) {
      return {fb::Body::ListStreams, fb::CreateListStreamsDirect(b, l.options.category.c_str(),
                                                                 l.options.start_after.c_str(),
                                                                 CountToWire(l.options.max_count),
                                                                 l.options.include_system)
                                         .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const StreamVersionRequest& s) {
      return {fb::Body::StreamVersion, fb::CreateStreamVersionDirect(b, s.stream.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const StatsRequest&) {
      return {fb::Body::Stats, fb::CreateStats(b).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const GetStreamMetadataRequest& r) {
      return {fb::Body::GetStreamMetadata,
              fb::CreateGetStreamMetadataDirect(b, r.stream.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const SetStreamMetadataRequest& r) {
      const auto stream = b.CreateString(r.stream);
      const auto metadata = ToWire(b, r.metadata);
      return {fb::Body::SetStreamMetadata,
              fb::CreateSetStreamMetadata(b, stream, metadata, r.options.force).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const DeleteStreamRequest& r) {
      return {fb::Body::DeleteStream,
              fb::CreateDeleteStreamDirect(b, r.stream.c_str(), r.hard).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const TrimStreamRequest& r) {
      return {fb::Body::TrimStream, EncodeTrim(b, r, fb::CreateTrimStreamDirect)};
    }
    std::pair<fb::Body, Offset<void>> operator()(const TrimRequest& r) {
      return {fb::Body::Trim, EncodeTrim(b, r, fb::CreateTrimDirect)};
    }
    std::pair<fb::Body, Offset<void>> operator()(const LoadSnapshotRequest& r) {
      return {fb::Body::LoadSnapshot, fb::CreateLoadSnapshotDirect(b, r.stream.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const SaveSnapshotRequest& r) {
      const auto stream = b.CreateString(r.stream);
      const auto state = ByteVector(b, r.state);
      return {fb::Body::SaveSnapshot,
              fb::CreateSaveSnapshot(b, stream, r.version.value(), state).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ViewGetRequest& r) {
      return {fb::Body::ViewGet, fb::CreateViewGetDirect(b, r.view.c_str(), r.key.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ViewScanRequest& r) {
      return {fb::Body::ViewScan,
              fb::CreateViewScanDirect(b, r.view.c_str(), r.prefix.c_str(),
                                       CountToWire(r.max_count), r.start_after.c_str())
                  .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ViewRebuildRequest& r) {
      return {fb::Body::ViewRebuild,
              fb::CreateViewRebuildDirect(b, r.view.c_str(), r.cancel).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const GetViewProgressRequest& r) {
      return {fb::Body::GetViewProgress,
              fb::CreateGetViewProgressDirect(b, r.view.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ListSubscriptionsRequest&) {
      return {fb::Body::ListSubscriptions, fb::CreateListSubscriptions(b).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ListViewsRequest&) {
      return {fb::Body::ListViews, fb::CreateListViews(b).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ListParkedRequest& r) {
      return {fb::Body::ListParked, fb::CreateListParkedDirect(b, r.name.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const SubscribeRequest& r) {
      const fb::FeedStartKind kind = EncodeFeedStartKind(r.options.start);
      return {fb::Body::Subscribe,
              fb::CreateSubscribeDirect(b, kind, r.options.start.position().value(),
                                        r.options.category.c_str(), r.options.stream_prefix.c_str(),
                                        r.options.event_type.c_str(), r.credits,
                                        r.options.include_system)
                  .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const CreditRequest& r) {
      return {fb::Body::Credit, fb::CreateCredit(b, r.subscription, r.credits).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const UnsubscribeRequest& r) {
      return {fb::Body::Unsubscribe, fb::CreateUnsubscribe(b, r.subscription).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ReplayParkedRequest& r) {
      return {fb::Body::ReplayParked, fb::CreateReplayParkedDirect(b, r.name.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ViewWaitRequest& r) {
      return {
          fb::Body::ViewWait,
          fb::CreateViewWaitDirect(b, r.view.c_str(), r.position.value(),
                                   static_cast<uint64_t>(std::max<int64_t>(0, r.timeout.count())))
              .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const VerifyRequest&) {
      return {fb::Body::VerifyStore, fb::CreateVerifyStore(b).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const BackupRequest& r) {
      return {fb::Body::Backup, fb::CreateBackupDirect(b, r.dest.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const GetCheckpointRequest& r) {
      return {fb::Body::GetCheckpoint, fb::CreateGetCheckpointDirect(b, r.name.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const SetCheckpointRequest& r) {
      return {fb::Body::SetCheckpoint,
              fb::CreateSetCheckpointDirect(b, r.name.c_str(), r.position.value()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const CompactRequest&) {
      return {fb::Body::CompactStore, fb::CreateCompactStore(b).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ReadQueryRequest& r) {
      const auto query = ToWire(b, r.query);
      return {fb::Body::ReadQuery,
              fb::CreateReadQuery(b, query, r.options.from ? r.options.from->value() : 0,
                                  CountToWire(r.options.max_count),
                                  r.options.direction == Direction::kBackward)
                  .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const CreateSubscriptionRequest& r) {
      const HostedSubscriptionSpec& s = r.spec;
      const fb::FeedStartKind kind = EncodeFeedStartKind(s.start);
      // With their lengths, so a NUL travels and the daemon refuses it as
      // the embedded store does.
      const auto name = b.CreateString(s.name);
      const auto category = b.CreateString(s.category);
      const auto event_type = b.CreateString(s.event_type);
      const auto prefix = b.CreateString(s.stream_prefix);
      return {fb::Body::CreateSubscription,
              fb::CreateCreateSubscription(
                  b, name, category, event_type, prefix, kind, s.start.position().value(),
                  s.max_attempts, MillisToWire(s.ack_timeout), MillisToWire(s.initial_backoff),
                  MillisToWire(s.max_backoff), s.max_in_flight)
                  .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const DeleteSubscriptionRequest& r) {
      const auto name = b.CreateString(r.name);
      return {fb::Body::DeleteSubscription, fb::CreateDeleteSubscription(b, name).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const OpenConsumerRequest& r) {
      const auto name = b.CreateString(r.name);
      return {fb::Body::OpenConsumer, fb::CreateOpenConsumer(b, name).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ConsumerFetchRequest& r) {
      return {fb::Body::ConsumerFetch,
              fb::CreateConsumerFetch(b, r.consumer, r.max_events, MillisToWire(r.wait)).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ConsumerAckRequest& r) {
      std::vector<uint64_t> positions;
      positions.reserve(r.positions.size());
      for (Position p : r.positions) positions.push_back(p.value());
      return {fb::Body::ConsumerAck,
              fb::CreateConsumerAckDirect(b, r.consumer, &positions).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ConsumerNackRequest& r) {
      const auto reason = b.CreateString(r.reason);
      return {fb::Body::ConsumerNack,
              fb::CreateConsumerNack(b, r.consumer, r.position.value(), reason).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const CloseConsumerRequest& r) {
      return {fb::Body::CloseConsumer, fb::CreateCloseConsumer(b, r.consumer).Union()};
    }
  };
  auto [type, body] = std::visit(Visitor{b}, request.body);
  return FinishFrame(b, request.request_id, type, body);
}

}  // namespace evlog::server
