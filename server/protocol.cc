// Invariant: nothing decoded points into the frame; every length and enum
// read from the wire is checked before it is used.

#include "protocol.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "evlog/schema/protocol_generated.h"
#include "frame.h"

namespace evlog::server {
namespace {

namespace fb = ::evlog::protocol;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// ---- helpers --------------------------------------------------------------

std::string Str(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }
std::string Bytes(const flatbuffers::Vector<uint8_t>* v) {
  return v == nullptr ? "" : std::string(reinterpret_cast<const char*>(v->data()), v->size());
}
Uuid FromWire(const fb::Uuid* id) {
  if (id == nullptr) return Uuid();
  std::array<uint8_t, 16> bytes{};
  std::copy(id->bytes()->begin(), id->bytes()->end(), bytes.begin());
  return Uuid(bytes);
}
fb::Uuid ToWire(const Uuid& id) {
  return fb::Uuid(flatbuffers::span<const uint8_t, 16>(id.bytes().data(), 16));
}
Offset<flatbuffers::Vector<uint8_t>> ByteVector(FlatBufferBuilder& b, std::string_view s) {
  return b.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
size_t CountOrMax(uint64_t n) {
  return n == 0 || n > std::numeric_limits<size_t>::max() ? std::numeric_limits<size_t>::max()
                                                          : static_cast<size_t>(n);
}
uint64_t CountToWire(size_t n) { return n == std::numeric_limits<size_t>::max() ? 0 : n; }

std::string FinishFrame(FlatBufferBuilder& b, uint64_t request_id, fb::Body type,
                        Offset<void> body) {
  b.Finish(fb::CreateMessage(b, request_id, type, body));
  return MakeFrame(
      std::string_view(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()));
}

// FlatBuffers reads scalars in place: verify and read an 8-byte-aligned copy
// when the frame sits at an odd offset of the receive buffer.
class Aligned {
 public:
  explicit Aligned(std::span<const uint8_t> bytes) {
    if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 == 0) {
      view_ = bytes;
    } else {
      copy_.resize((bytes.size() + 7) / 8);
      std::memcpy(copy_.data(), bytes.data(), bytes.size());
      view_ =
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(copy_.data()), bytes.size());
    }
  }
  std::span<const uint8_t> view() const { return view_; }

 private:
  std::vector<uint64_t> copy_;
  std::span<const uint8_t> view_;
};

const fb::Message* Verify(std::span<const uint8_t> bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::VerifyMessageBuffer(verifier)) return nullptr;
  return fb::GetMessage(bytes.data());
}

StreamMetadata FromWire(const fb::StreamMetadata* m) {
  StreamMetadata out;
  if (m == nullptr) return out;
  if (m->has_max_count()) out.max_count = m->max_count();
  if (m->has_max_age()) out.max_age_seconds = m->max_age_seconds();
  if (m->has_truncate_before()) out.truncate_before = Version(m->truncate_before());
  out.deleted = m->deleted();
  out.hard_deleted = m->hard_deleted();
  return out;
}
Offset<fb::StreamMetadata> ToWire(FlatBufferBuilder& b, const StreamMetadata& m) {
  return fb::CreateStreamMetadata(
      b, m.max_count.has_value(), m.max_count.value_or(0), m.max_age_seconds.has_value(),
      m.max_age_seconds.value_or(0), m.truncate_before.has_value(),
      m.truncate_before.value_or(Version()).value(), m.deleted, m.hard_deleted);
}

ProtocolError Malformed(std::string message, uint64_t request_id = 0) {
  return ProtocolError{ProtocolCode::kMalformedFrame, std::move(message), request_id};
}

// ---- request decoding -----------------------------------------------------

std::variant<AppendRequest, ProtocolError> DecodeAppend(const fb::Append& in, uint64_t id) {
  AppendRequest out;
  if (in.durability() != fb::Durability::Sync && in.durability() != fb::Durability::Buffered) {
    return Malformed("unknown durability", id);
  }
  out.durability =
      in.durability() == fb::Durability::Sync ? Durability::kSync : Durability::kBuffered;
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
                                       .id = FromWire(e->id())});
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
    out.condition = std::move(cond);
  }
  return out;
}

}  // namespace

std::variant<Request, ProtocolError> DecodeRequest(std::span<const uint8_t> message) {
  const Aligned aligned(message);
  const fb::Message* m = Verify(aligned.view());
  if (m == nullptr) return Malformed("message failed FlatBuffers verification");
  Request out;
  out.request_id = m->request_id();
  const uint64_t id = out.request_id;
  // The verifier accepts a union type whose value is absent.
  if (m->body_type() != fb::Body::NONE && m->body() == nullptr) {
    return Malformed("the message names a body type but has no body", id);
  }
  switch (m->body_type()) {
    case fb::Body::Hello: {
      const fb::Hello* h = m->body_as_Hello();
      out.body = HelloRequest{h->protocol_version(), Str(h->token()), Str(h->client_name())};
      return out;
    }
    case fb::Body::Append: {
      auto append = DecodeAppend(*m->body_as_Append(), id);
      if (auto* e = std::get_if<ProtocolError>(&append)) return std::move(*e);
      out.body = std::move(std::get<AppendRequest>(append));
      return out;
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
      out.body = std::move(rs);
      return out;
    }
    case fb::Body::ReadAll: {
      const fb::ReadAll* r = m->body_as_ReadAll();
      ReadAllRequest ra;
      ra.options.from = Position(r->from_position());
      ra.options.max_count = CountOrMax(r->max_count());
      ra.options.category = Str(r->category());
      ra.options.event_type = Str(r->event_type());
      out.body = std::move(ra);
      return out;
    }
    case fb::Body::ListStreams: {
      const fb::ListStreams* l = m->body_as_ListStreams();
      ListStreamsRequest ls;
      ls.options.category = Str(l->category());
      ls.options.start_after = Str(l->start_after());
      ls.options.max_count = CountOrMax(l->max_count());
      out.body = std::move(ls);
      return out;
    }
    case fb::Body::StreamVersion:
      out.body = StreamVersionRequest{Str(m->body_as_StreamVersion()->stream())};
      return out;
    case fb::Body::Stats:
      out.body = StatsRequest{};
      return out;
    case fb::Body::GetStreamMetadata:
      out.body = GetStreamMetadataRequest{Str(m->body_as_GetStreamMetadata()->stream())};
      return out;
    case fb::Body::SetStreamMetadata: {
      const fb::SetStreamMetadata* r = m->body_as_SetStreamMetadata();
      out.body = SetStreamMetadataRequest{Str(r->stream()), FromWire(r->metadata())};
      return out;
    }
    case fb::Body::DeleteStream: {
      const fb::DeleteStream* r = m->body_as_DeleteStream();
      out.body = DeleteStreamRequest{Str(r->stream()), r->hard()};
      return out;
    }
    case fb::Body::TrimStream: {
      const fb::TrimStream* r = m->body_as_TrimStream();
      TrimStreamRequest t{Str(r->stream()), {}};
      if (r->before() != 0) t.options.before = Version(r->before());
      t.options.retention_seconds = r->retention_seconds();
      t.options.require_snapshot = r->require_snapshot();
      out.body = std::move(t);
      return out;
    }
    case fb::Body::LoadSnapshot:
      out.body = LoadSnapshotRequest{Str(m->body_as_LoadSnapshot()->stream())};
      return out;
    case fb::Body::SaveSnapshot: {
      const fb::SaveSnapshot* r = m->body_as_SaveSnapshot();
      out.body = SaveSnapshotRequest{Str(r->stream()), Version(r->version()), Bytes(r->state())};
      return out;
    }
    case fb::Body::ViewGet: {
      const fb::ViewGet* r = m->body_as_ViewGet();
      out.body = ViewGetRequest{Str(r->view()), Str(r->key())};
      return out;
    }
    case fb::Body::ViewScan: {
      const fb::ViewScan* r = m->body_as_ViewScan();
      out.body = ViewScanRequest{Str(r->view()), Str(r->prefix()), CountOrMax(r->max_count())};
      return out;
    }
    case fb::Body::ViewRebuild: {
      const fb::ViewRebuild* r = m->body_as_ViewRebuild();
      out.body = ViewRebuildRequest{Str(r->view()), r->cancel()};
      return out;
    }
    case fb::Body::GetViewProgress:
      out.body = GetViewProgressRequest{Str(m->body_as_GetViewProgress()->view())};
      return out;
    case fb::Body::ListSubscriptions:
      out.body = ListSubscriptionsRequest{};
      return out;
    case fb::Body::ListParked:
      out.body = ListParkedRequest{Str(m->body_as_ListParked()->name())};
      return out;
    case fb::Body::ReplayParked:
      out.body = ReplayParkedRequest{Str(m->body_as_ReplayParked()->name())};
      return out;
    case fb::Body::Subscribe: {
      const fb::Subscribe* r = m->body_as_Subscribe();
      SubscribeRequest sub;
      const Position p(r->start_position());
      switch (r->start_kind()) {
        case fb::FeedStartKind::Oldest:
          sub.options.start = FeedStart::Oldest();
          break;
        case fb::FeedStartKind::Latest:
          sub.options.start = FeedStart::Latest();
          break;
        case fb::FeedStartKind::At:
          sub.options.start = FeedStart::At(p);
          break;
        case fb::FeedStartKind::After:
          sub.options.start = FeedStart::After(p);
          break;
        default:
          return Malformed("unknown feed start kind", id);
      }
      sub.options.category = Str(r->category());
      sub.options.stream_prefix = Str(r->stream_prefix());
      sub.options.event_type = Str(r->event_type());
      sub.credits = r->credits();
      out.body = std::move(sub);
      return out;
    }
    case fb::Body::Credit: {
      const fb::Credit* r = m->body_as_Credit();
      out.body = CreditRequest{r->subscription(), r->credits()};
      return out;
    }
    case fb::Body::Unsubscribe:
      out.body = UnsubscribeRequest{m->body_as_Unsubscribe()->subscription()};
      return out;
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
          events.push_back(fb::CreateEvent(b, e.id.is_nil() ? nullptr : &id, b.CreateString(e.type),
                                           ByteVector(b, e.data), ByteVector(b, e.metadata),
                                           static_cast<uint8_t>(e.content_type)));
        }
        const auto kind = static_cast<fb::ExpectedKind>(static_cast<uint8_t>(s.expected.kind()));
        const uint64_t version =
            s.expected.kind() == ExpectedVersion::Kind::kExact ? s.expected.version().value() : 0;
        streams.push_back(fb::CreateStreamAppend(b, b.CreateString(s.stream), kind, version,
                                                 b.CreateVector(events)));
      }
      Offset<fb::AppendCondition> condition;
      if (a.condition) {
        condition = fb::CreateAppendCondition(b, b.CreateVectorOfStrings(a.condition->event_types),
                                              b.CreateVectorOfStrings(a.condition->categories),
                                              a.condition->after.value());
      }
      const fb::Durability durability =
          a.durability == Durability::kSync ? fb::Durability::Sync : fb::Durability::Buffered;
      return {fb::Body::Append,
              fb::CreateAppend(b, b.CreateVector(streams), condition, durability).Union()};
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
                                      r.options.category.c_str(), r.options.event_type.c_str())
                  .Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const ListStreamsRequest& l) {
      return {fb::Body::ListStreams, fb::CreateListStreamsDirect(b, l.options.category.c_str(),
                                                                 l.options.start_after.c_str(),
                                                                 CountToWire(l.options.max_count))
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
              fb::CreateSetStreamMetadata(b, stream, metadata).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const DeleteStreamRequest& r) {
      return {fb::Body::DeleteStream,
              fb::CreateDeleteStreamDirect(b, r.stream.c_str(), r.hard).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const TrimStreamRequest& r) {
      return {fb::Body::TrimStream,
              fb::CreateTrimStreamDirect(b, r.stream.c_str(),
                                         r.options.before ? r.options.before->value() : 0,
                                         r.options.retention_seconds, r.options.require_snapshot)
                  .Union()};
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
      return {fb::Body::ViewScan, fb::CreateViewScanDirect(b, r.view.c_str(), r.prefix.c_str(),
                                                           CountToWire(r.max_count))
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
    std::pair<fb::Body, Offset<void>> operator()(const ListParkedRequest& r) {
      return {fb::Body::ListParked, fb::CreateListParkedDirect(b, r.name.c_str()).Union()};
    }
    std::pair<fb::Body, Offset<void>> operator()(const SubscribeRequest& r) {
      const auto kind =
          static_cast<fb::FeedStartKind>(static_cast<uint8_t>(r.options.start.kind()));
      return {fb::Body::Subscribe,
              fb::CreateSubscribeDirect(b, kind, r.options.start.position().value(),
                                        r.options.category.c_str(), r.options.stream_prefix.c_str(),
                                        r.options.event_type.c_str(), r.credits)
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
  };
  auto [type, body] = std::visit(Visitor{b}, request.body);
  return FinishFrame(b, request.request_id, type, body);
}

// ---- responses ------------------------------------------------------------

namespace {

constexpr std::string_view ProtocolCodeName(uint8_t code) {
  switch (static_cast<ProtocolCode>(code)) {
    case ProtocolCode::kMalformedFrame:
      return "malformed_frame";
    case ProtocolCode::kFrameTooLarge:
      return "frame_too_large";
    case ProtocolCode::kUnauthenticated:
      return "unauthenticated";
    case ProtocolCode::kUnsupportedProtocolVersion:
      return "unsupported_protocol_version";
    case ProtocolCode::kUnknownRequest:
      return "unknown_request";
    case ProtocolCode::kTooManySessions:
      return "too_many_sessions";
    case ProtocolCode::kShuttingDown:
      return "shutting_down";
  }
  return "unknown_error";
}

OwnedEvent FromWire(const fb::RecordedEvent& e) {
  OwnedEvent out;
  out.stream = Str(e.stream());
  out.type = Str(e.type());
  out.data = Bytes(e.data());
  out.metadata = Bytes(e.metadata());
  out.content_type = e.content_type() <= static_cast<uint8_t>(ContentType::kFlatBuffers)
                         ? static_cast<ContentType>(e.content_type())
                         : ContentType::kBinary;
  out.id = FromWire(e.id());
  out.version = Version(e.version());
  out.position = Position(e.position());
  out.timestamp_us = e.timestamp_us();
  return out;
}

Offset<fb::RecordedEvent> ToWire(FlatBufferBuilder& b, const RecordedEvent& e) {
  const fb::Uuid id = ToWire(e.id);
  return fb::CreateRecordedEvent(b, b.CreateString(e.stream), b.CreateString(e.type),
                                 ByteVector(b, e.data), ByteVector(b, e.metadata),
                                 static_cast<uint8_t>(e.content_type), &id, e.version.value(),
                                 e.position.value(), e.timestamp_us);
}

}  // namespace

Status StatusFromWire(uint8_t wire_code, std::string_view message, std::string_view stream,
                      uint64_t actual_version) {
  using C = Status::Code;
  if (wire_code >= 100) {
    const std::string text = std::string(ProtocolCodeName(wire_code)) + ": " + std::string(message);
    switch (static_cast<ProtocolCode>(wire_code)) {
      case ProtocolCode::kUnsupportedProtocolVersion:
        return Status::NotSupported(text);
      case ProtocolCode::kTooManySessions:
        return Status::Busy(text);
      case ProtocolCode::kShuttingDown:
        return Status::Aborted(text);
      default:
        return Status::InvalidArgument(text);
    }
  }
  switch (static_cast<C>(wire_code)) {
    case C::kNotFound:
      return Status::NotFound(message);
    case C::kInvalidArgument:
      return Status::InvalidArgument(message);
    case C::kWrongExpectedVersion:
      return Status::WrongExpectedVersion(message, stream, actual_version);
    case C::kConditionFailed:
      return Status::ConditionFailed(message);
    case C::kIdempotencyConflict:
      return Status::IdempotencyConflict(message);
    case C::kCorruption:
      return Status::Corruption(message);
    case C::kIOError:
      return Status::IOError(message);
    case C::kBusy:
      return Status::Busy(message);
    case C::kNotSupported:
      return Status::NotSupported(message);
    case C::kReadOnly:
      return Status::ReadOnly(message);
    case C::kAborted:
      return Status::Aborted(message);
    case C::kTimedOut:
      return Status::TimedOut(message);
    case C::kStreamDeleted:
      return Status::StreamDeleted(message);
    case C::kTrimmed:
      return Status::Trimmed(message);
    case C::kOk:
      break;
  }
  return Status::InvalidArgument("unknown error code " + std::to_string(wire_code) + ": " +
                                 std::string(message));
}

std::variant<Response, ProtocolError> DecodeResponse(std::span<const uint8_t> message) {
  const Aligned aligned(message);
  const fb::Message* m = Verify(aligned.view());
  if (m == nullptr) return Malformed("message failed FlatBuffers verification");
  Response out;
  out.request_id = m->request_id();
  if (m->body_type() != fb::Body::NONE && m->body() == nullptr) {
    return Malformed("the message names a body type but has no body", out.request_id);
  }
  switch (m->body_type()) {
    case fb::Body::HelloOk: {
      const fb::HelloOk* h = m->body_as_HelloOk();
      out.body = HelloOkResponse{h->protocol_version(), h->max_frame_bytes(), h->max_in_flight()};
      return out;
    }
    case fb::Body::Error: {
      const fb::Error* e = m->body_as_Error();
      const auto code = static_cast<uint8_t>(e->code());
      out.body = ErrorResponse{
          code, StatusFromWire(code, Str(e->message()), Str(e->stream()), e->actual_version())};
      return out;
    }
    case fb::Body::AppendOk: {
      const fb::AppendOk* a = m->body_as_AppendOk();
      AppendResult r;
      r.deduplicated = a->deduplicated();
      if (a->streams() != nullptr) {
        for (const fb::StreamAppendResult* s : *a->streams()) {
          r.streams.push_back(StreamAppendResult{
              Str(s->stream()), Version(s->first_version()), Version(s->last_version()),
              Position(s->first_position()), Position(s->last_position())});
        }
      }
      out.body = std::move(r);
      return out;
    }
    case fb::Body::Events: {
      const fb::Events* e = m->body_as_Events();
      EventsResponse r;
      r.truncated = e->truncated();
      if (e->events() != nullptr) {
        r.events.reserve(e->events()->size());
        for (const fb::RecordedEvent* ev : *e->events()) r.events.push_back(FromWire(*ev));
      }
      out.body = std::move(r);
      return out;
    }
    case fb::Body::Streams: {
      const fb::Streams* s = m->body_as_Streams();
      StreamsResponse r;
      r.truncated = s->truncated();
      if (s->streams() != nullptr) {
        for (const fb::StreamInfo* i : *s->streams()) {
          r.streams.push_back(StreamInfo{Str(i->name()), Version(i->version())});
        }
      }
      out.body = std::move(r);
      return out;
    }
    case fb::Body::StreamVersionOk:
      out.body = Version(m->body_as_StreamVersionOk()->version());
      return out;
    case fb::Body::StatsOk: {
      const fb::StatsOk* s = m->body_as_StatsOk();
      out.body =
          StoreStats{s->events(), s->streams(), Position(s->last_position()), s->disk_bytes()};
      return out;
    }
    case fb::Body::StreamMetadataOk:
      out.body = FromWire(m->body_as_StreamMetadataOk()->metadata());
      return out;
    case fb::Body::Done:
      out.body = DoneResponse{};
      return out;
    case fb::Body::SnapshotOk: {
      const fb::SnapshotOk* s = m->body_as_SnapshotOk();
      SnapshotResponse r;
      if (s->found())
        r.snapshot = Snapshot{Version(s->version()), s->timestamp_us(), Bytes(s->state())};
      out.body = std::move(r);
      return out;
    }
    case fb::Body::ViewValue: {
      const fb::ViewValue* v = m->body_as_ViewValue();
      ViewValueResponse r;
      if (v->found()) r.value = Bytes(v->value());
      out.body = std::move(r);
      return out;
    }
    case fb::Body::ViewRows: {
      const fb::ViewRows* v = m->body_as_ViewRows();
      ViewRowsResponse r;
      r.truncated = v->truncated();
      if (v->rows() != nullptr) {
        for (const fb::ViewRow* row : *v->rows()) {
          r.rows.emplace_back(Str(row->key()), Bytes(row->value()));
        }
      }
      out.body = std::move(r);
      return out;
    }
    case fb::Body::ViewProgressOk: {
      const fb::ViewProgressOk* v = m->body_as_ViewProgressOk();
      out.body =
          Store::ViewProgress{v->generation(), Position(v->position()),
                              Position(v->rebuild_position()), Position(v->rebuild_target())};
      return out;
    }
    case fb::Body::Subscriptions: {
      const fb::Subscriptions* v = m->body_as_Subscriptions();
      SubscriptionsResponse r;
      if (v->subscriptions() != nullptr) {
        for (const fb::SubscriptionInfo* i : *v->subscriptions()) {
          r.subscriptions.push_back(
              SubscriptionInfo{Str(i->name()), Position(i->checkpoint()), i->lag(), i->parked()});
        }
      }
      out.body = std::move(r);
      return out;
    }
    case fb::Body::Parked: {
      const fb::Parked* v = m->body_as_Parked();
      ParkedResponse r;
      if (v->events() != nullptr) {
        for (const fb::ParkedEvent* p : *v->events()) {
          ParkedEvent e;
          if (p->event() != nullptr) e.event = FromWire(*p->event());
          e.error = Str(p->error());
          e.parked_version = Version(p->parked_version());
          e.replayed = p->replayed();
          r.events.push_back(std::move(e));
        }
      }
      out.body = std::move(r);
      return out;
    }
    case fb::Body::Count:
      out.body = CountResponse{m->body_as_Count()->count()};
      return out;
    case fb::Body::Subscribed:
      out.body = SubscribedResponse{Position(m->body_as_Subscribed()->position())};
      return out;
    case fb::Body::SubscriptionEvents: {
      const fb::SubscriptionEvents* e = m->body_as_SubscriptionEvents();
      SubscriptionEventsResponse r;
      r.position = Position(e->position());
      if (e->events() != nullptr) {
        r.events.reserve(e->events()->size());
        for (const fb::RecordedEvent* ev : *e->events()) r.events.push_back(FromWire(*ev));
      }
      out.body = std::move(r);
      return out;
    }
    default:
      return ProtocolError{ProtocolCode::kUnknownRequest,
                           "body type " + std::to_string(static_cast<int>(m->body_type())) +
                               " is not a response this client knows",
                           out.request_id};
  }
}

std::string EncodeHelloOk(uint64_t request_id, const HelloOkResponse& hello) {
  FlatBufferBuilder b(64);
  return FinishFrame(
      b, request_id, fb::Body::HelloOk,
      fb::CreateHelloOk(b, hello.protocol_version, hello.max_frame_bytes, hello.max_in_flight)
          .Union());
}

std::string EncodeError(uint64_t request_id, const Status& status) {
  FlatBufferBuilder b(128);
  return FinishFrame(
      b, request_id, fb::Body::Error,
      fb::CreateErrorDirect(b, static_cast<fb::ErrorCode>(status.code()), status.message().c_str(),
                            status.stream().c_str(), status.actual_version().value_or(0))
          .Union());
}

std::string EncodeProtocolError(const ProtocolError& error) {
  FlatBufferBuilder b(128);
  return FinishFrame(
      b, error.request_id, fb::Body::Error,
      fb::CreateErrorDirect(b, static_cast<fb::ErrorCode>(error.code), error.message.c_str())
          .Union());
}

std::string EncodeAppendOk(uint64_t request_id, const AppendResult& result) {
  FlatBufferBuilder b(128);
  std::vector<Offset<fb::StreamAppendResult>> streams;
  for (const StreamAppendResult& s : result.streams) {
    streams.push_back(fb::CreateStreamAppendResult(
        b, b.CreateString(s.stream), s.first_version.value(), s.last_version.value(),
        s.first_position.value(), s.last_position.value()));
  }
  return FinishFrame(b, request_id, fb::Body::AppendOk,
                     fb::CreateAppendOk(b, b.CreateVector(streams), result.deduplicated).Union());
}

std::string EncodeStreams(uint64_t request_id, const StreamsResponse& streams) {
  FlatBufferBuilder b(256);
  std::vector<Offset<fb::StreamInfo>> infos;
  for (const StreamInfo& s : streams.streams) {
    infos.push_back(fb::CreateStreamInfoDirect(b, s.name.c_str(), s.version.value()));
  }
  return FinishFrame(b, request_id, fb::Body::Streams,
                     fb::CreateStreams(b, b.CreateVector(infos), streams.truncated).Union());
}

std::string EncodeStreamVersion(uint64_t request_id, Version version) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::StreamVersionOk,
                     fb::CreateStreamVersionOk(b, version.value()).Union());
}

std::string EncodeStats(uint64_t request_id, const StoreStats& stats) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::StatsOk,
                     fb::CreateStatsOk(b, stats.events, stats.streams, stats.last_position.value(),
                                       stats.disk_bytes)
                         .Union());
}

std::string EncodeStreamMetadata(uint64_t request_id, const StreamMetadata& metadata) {
  FlatBufferBuilder b(128);
  const auto m = ToWire(b, metadata);
  return FinishFrame(b, request_id, fb::Body::StreamMetadataOk,
                     fb::CreateStreamMetadataOk(b, m).Union());
}

std::string EncodeDone(uint64_t request_id) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::Done, fb::CreateDone(b).Union());
}

std::string EncodeSnapshot(uint64_t request_id, const SnapshotResponse& snapshot) {
  FlatBufferBuilder b(256);
  Offset<fb::SnapshotOk> body;
  if (snapshot.snapshot) {
    const auto state = ByteVector(b, snapshot.snapshot->state);
    body = fb::CreateSnapshotOk(b, true, snapshot.snapshot->version.value(),
                                snapshot.snapshot->timestamp_us, state);
  } else {
    body = fb::CreateSnapshotOk(b, false);
  }
  return FinishFrame(b, request_id, fb::Body::SnapshotOk, body.Union());
}

std::string EncodeViewValue(uint64_t request_id, const ViewValueResponse& value) {
  FlatBufferBuilder b(256);
  Offset<fb::ViewValue> body;
  if (value.value) {
    const auto bytes = ByteVector(b, *value.value);
    body = fb::CreateViewValue(b, true, bytes);
  } else {
    body = fb::CreateViewValue(b, false);
  }
  return FinishFrame(b, request_id, fb::Body::ViewValue, body.Union());
}

std::string EncodeViewRows(uint64_t request_id, const ViewRowsResponse& rows) {
  FlatBufferBuilder b(1024);
  std::vector<Offset<fb::ViewRow>> out;
  out.reserve(rows.rows.size());
  for (const auto& [key, value] : rows.rows) {
    const auto k = b.CreateString(key);
    const auto v = ByteVector(b, value);
    out.push_back(fb::CreateViewRow(b, k, v));
  }
  const auto vec = b.CreateVector(out);
  return FinishFrame(b, request_id, fb::Body::ViewRows,
                     fb::CreateViewRows(b, vec, rows.truncated).Union());
}

std::string EncodeViewProgress(uint64_t request_id, const Store::ViewProgress& progress) {
  FlatBufferBuilder b(64);
  return FinishFrame(
      b, request_id, fb::Body::ViewProgressOk,
      fb::CreateViewProgressOk(b, progress.generation, progress.position.value(),
                               progress.rebuild_position.value(), progress.rebuild_target.value())
          .Union());
}

std::string EncodeSubscriptions(uint64_t request_id, const SubscriptionsResponse& subscriptions) {
  FlatBufferBuilder b(256);
  std::vector<Offset<fb::SubscriptionInfo>> out;
  for (const SubscriptionInfo& i : subscriptions.subscriptions) {
    out.push_back(
        fb::CreateSubscriptionInfoDirect(b, i.name.c_str(), i.checkpoint.value(), i.lag, i.parked));
  }
  const auto vec = b.CreateVector(out);
  return FinishFrame(b, request_id, fb::Body::Subscriptions,
                     fb::CreateSubscriptions(b, vec).Union());
}

std::string EncodeParked(uint64_t request_id, const ParkedResponse& parked) {
  FlatBufferBuilder b(1024);
  std::vector<Offset<fb::ParkedEvent>> out;
  for (const ParkedEvent& p : parked.events) {
    const auto event = ToWire(b, p.event.view());
    const auto error = b.CreateString(p.error);
    out.push_back(fb::CreateParkedEvent(b, event, error, p.parked_version.value(), p.replayed));
  }
  const auto vec = b.CreateVector(out);
  return FinishFrame(b, request_id, fb::Body::Parked, fb::CreateParked(b, vec).Union());
}

std::string EncodeCount(uint64_t request_id, uint64_t count) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::Count, fb::CreateCount(b, count).Union());
}

std::string EncodeSubscribed(uint64_t request_id, Position position) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::Subscribed,
                     fb::CreateSubscribed(b, position.value()).Union());
}

std::string EncodeSubscriptionEvents(uint64_t subscription, const FeedBatch& batch) {
  FlatBufferBuilder b(1024);
  std::vector<Offset<fb::RecordedEvent>> events;
  events.reserve(batch.events.size());
  for (const OwnedEvent& e : batch.events) events.push_back(ToWire(b, e.view()));
  const auto vec = b.CreateVector(events);
  return FinishFrame(b, subscription, fb::Body::SubscriptionEvents,
                     fb::CreateSubscriptionEvents(b, vec, batch.position.value()).Union());
}

std::string EncodeEvents(uint64_t request_id, const EventsResponse& events) {
  EventsWriter writer;
  for (const OwnedEvent& e : events.events) writer.Add(e.view());
  return writer.Finish(request_id, events.truncated);
}

struct EventsWriter::Rep {
  FlatBufferBuilder b{1024};
  std::vector<Offset<fb::RecordedEvent>> events;
};

EventsWriter::EventsWriter() : rep_(std::make_unique<Rep>()) {}
EventsWriter::~EventsWriter() = default;

void EventsWriter::Add(const RecordedEvent& event) {
  rep_->events.push_back(ToWire(rep_->b, event));
}
size_t EventsWriter::count() const { return rep_->events.size(); }
size_t EventsWriter::bytes() const { return rep_->b.GetSize() + 4 * rep_->events.size(); }

std::string EventsWriter::Finish(uint64_t request_id, bool truncated) {
  FlatBufferBuilder& b = rep_->b;
  const auto events = fb::CreateEvents(b, b.CreateVector(rep_->events), truncated);
  return FinishFrame(b, request_id, fb::Body::Events, events.Union());
}

}  // namespace evlog::server
