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
