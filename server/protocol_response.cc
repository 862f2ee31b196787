// The response half of the protocol codec (the request half is protocol.cc).
// Invariant: nothing decoded points into the frame; every length and enum
// read from the wire is checked before it is used.

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <utility>

#include "evlog/schema/protocol_generated.h"
#include "frame.h"
#include "protocol.h"
#include "protocol_wire.h"

namespace evlog::server {

using namespace wire;  // NOLINT: the codec's shared vocabulary

// ---- responses ------------------------------------------------------------

namespace {

// The overloads below add to wire's, not hide them.
using wire::FromWire;
using wire::ToWire;

constexpr std::string_view ProtocolCodeName(uint8_t code) {
  constexpr std::pair<ProtocolCode, std::string_view> kNames[] = {
      {ProtocolCode::kMalformedFrame, "malformed_frame"},
      {ProtocolCode::kFrameTooLarge, "frame_too_large"},
      {ProtocolCode::kUnauthenticated, "unauthenticated"},
      {ProtocolCode::kUnsupportedProtocolVersion, "unsupported_protocol_version"},
      {ProtocolCode::kUnknownRequest, "unknown_request"},
      {ProtocolCode::kTooManySessions, "too_many_sessions"},
      {ProtocolCode::kShuttingDown, "shutting_down"},
  };
  for (const auto& [c, name] : kNames) {
    if (static_cast<uint8_t>(c) == code) return name;
  }
  return "unknown_error";
}

OwnedEvent EventFromWire(const fb::RecordedEvent& e) {
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
  out.tags = Strings(e.tags());
  return out;
}

Offset<fb::RecordedEvent> ToWire(FlatBufferBuilder& b, const RecordedEvent& e) {
  const fb::Uuid id = ToWire(e.id);
  const auto stream = b.CreateString(e.stream);
  const auto type = b.CreateString(e.type);
  const auto data = ByteVector(b, e.data);
  const auto metadata = ByteVector(b, e.metadata);
  // Absent rather than empty for an untagged event: the bytes an older
  // daemon sends.
  Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> tags;
  if (!e.tags.empty()) tags = StringVector(b, e.tags);
  return fb::CreateRecordedEvent(b, stream, type, data, metadata,
                                 static_cast<uint8_t>(e.content_type), &id, e.version.value(),
                                 e.position.value(), e.timestamp_us, tags);
}

}  // namespace

Status StatusFromWire(uint8_t wire_code, std::string_view message, std::string_view stream,
                      uint64_t actual_version, std::optional<uint64_t> conflicting_position) {
  using Make = Status (*)(std::string_view);
  if (wire_code >= 100) {
    // The protocol codes a client reports as an engine code; the rest are
    // InvalidArgument.
    static constexpr std::pair<ProtocolCode, Make> kProtocol[] = {
        {ProtocolCode::kUnsupportedProtocolVersion, &Status::NotSupported},
        {ProtocolCode::kTooManySessions, &Status::Busy},
        {ProtocolCode::kShuttingDown, &Status::Aborted},
        {ProtocolCode::kUnknownRequest, &Status::UnknownRequest},
        {ProtocolCode::kUnauthenticated, &Status::Unauthenticated},
    };
    // The protocol code's name leads the message unless the engine code
    // already spells it (unauthenticated, unknown_request).
    const std::string_view name = ProtocolCodeName(wire_code);
    const auto with_name = [&](Make make) {
      Status plain = make(message);
      if (plain.CodeName() == name) return plain;
      return make(std::string(name) + ": " + std::string(message));
    };
    for (const auto& [code, make] : kProtocol) {
      if (static_cast<uint8_t>(code) == wire_code) return with_name(make);
    }
    return with_name(&Status::InvalidArgument);
  }
  using C = Status::Code;
  if (static_cast<C>(wire_code) == C::kWrongExpectedVersion) {
    return Status::WrongExpectedVersion(message, stream, actual_version);
  }
  if (static_cast<C>(wire_code) == C::kConditionFailed && conflicting_position) {
    return Status::ConditionFailed(message, *conflicting_position);
  }
  // Each engine code's factory, indexed by Status::Code (kOk and
  // kWrongExpectedVersion have none here).
  static constexpr Make kEngine[] = {nullptr,
                                     &Status::NotFound,
                                     &Status::InvalidArgument,
                                     nullptr,
                                     &Status::ConditionFailed,
                                     &Status::IdempotencyConflict,
                                     &Status::Corruption,
                                     &Status::IOError,
                                     &Status::Busy,
                                     &Status::NotSupported,
                                     &Status::ReadOnly,
                                     &Status::Aborted,
                                     &Status::TimedOut,
                                     &Status::StreamDeleted,
                                     &Status::Trimmed,
                                     &Status::UnknownRequest,
                                     &Status::Unauthenticated};
  static_assert(std::size(kEngine) == static_cast<size_t>(C::kUnauthenticated) + 1);
  if (wire_code < std::size(kEngine) && kEngine[wire_code] != nullptr) {
    return kEngine[wire_code](message);
  }
  return Status::InvalidArgument("unknown error code " + std::to_string(wire_code) + ": " +
                                 std::string(message));
}

std::variant<Response, ProtocolError> DecodeResponse(std::span<const uint8_t> message) {
  const Aligned aligned(message);
  const auto verified = VerifiedMessage(aligned);
  if (const auto* e = std::get_if<ProtocolError>(&verified)) return *e;
  const fb::Message* m = std::get<const fb::Message*>(verified);
  Response out{m->request_id(), {}};
  switch (m->body_type()) {
    case fb::Body::HelloOk: {
      const fb::HelloOk* h = m->body_as_HelloOk();
      return WithBody(out, HelloOkResponse{h->protocol_version(), h->max_frame_bytes(),
                                           h->max_in_flight(), h->tags_and_queries(),
                                           h->skip_duplicates(), h->hosted_subscriptions(),
                                           h->list_views()});
    }
    case fb::Body::Error: {
      const fb::Error* e = m->body_as_Error();
      const auto code = static_cast<uint8_t>(e->code());
      std::optional<uint64_t> conflicting;
      if (e->conflicting_position().has_value()) conflicting = *e->conflicting_position();
      return WithBody(out, ErrorResponse{code, StatusFromWire(code, Str(e->message()),
                                                              Str(e->stream()),
                                                              e->actual_version(), conflicting)});
    }
    case fb::Body::AppendOk: {
      const fb::AppendOk* a = m->body_as_AppendOk();
      out.body = AppendResult{
          .streams = ConvertAll(a->streams(),
                                [](const fb::StreamAppendResult& s) {
                                  StreamAppendResult r{
                                      Str(s.stream()), Version(s.first_version()),
                                      Version(s.last_version()), Position(s.first_position()),
                                      Position(s.last_position())};
                                  if (s.skipped() != nullptr) {
                                    for (const fb::Uuid* id : *s.skipped()) {
                                      r.skipped.push_back(FromWire(id));
                                    }
                                  }
                                  return r;
                                }),
          .deduplicated = a->deduplicated()};
      return out;
    }
    case fb::Body::Events: {
      const fb::Events* e = m->body_as_Events();
      return WithBody(out, EventsResponse{ConvertAll(e->events(), EventFromWire), e->truncated()});
    }
    case fb::Body::Streams: {
      const fb::Streams* s = m->body_as_Streams();
      out.body =
          StreamsResponse{ConvertAll(s->streams(),
                                     [](const fb::StreamInfo& i) {
                                       return StreamInfo{Str(i.name()), Version(i.version())};
                                     }),
                          s->truncated()};
      return out;
    }
    case fb::Body::StreamVersionOk:
      return WithBody(out, Version(m->body_as_StreamVersionOk()->version()));
    case fb::Body::StatsOk: {
      const fb::StatsOk* s = m->body_as_StatsOk();
      StatsResponse r;
      r.stats =
          StoreStats{s->events(), s->streams(), Position(s->last_position()), s->disk_bytes()};
      if (s->metrics() != nullptr) {
        r.metrics.emplace();
        if (!MetricsFromWire(s->metrics(), &*r.metrics)) {
          return Malformed("StatsOk: a histogram's bounds and counts differ in length");
        }
      }
      return WithBody(out, std::move(r));
    }
    case fb::Body::StreamMetadataOk:
      return WithBody(out, FromWire(m->body_as_StreamMetadataOk()->metadata()));
    case fb::Body::Done:
      return WithBody(out, DoneResponse{});
    case fb::Body::SnapshotOk: {
      const fb::SnapshotOk* s = m->body_as_SnapshotOk();
      SnapshotResponse r;
      if (s->found())
        r.snapshot = Snapshot{Version(s->version()), s->timestamp_us(), Bytes(s->state())};
      return WithBody(out, std::move(r));
    }
    case fb::Body::ViewValue: {
      const fb::ViewValue* v = m->body_as_ViewValue();
      ViewValueResponse r;
      if (v->found()) r.value = Bytes(v->value());
      return WithBody(out, std::move(r));
    }
    case fb::Body::ViewRows: {
      const fb::ViewRows* v = m->body_as_ViewRows();
      out.body = ViewRowsResponse{ConvertAll(v->rows(),
                                             [](const fb::ViewRow& row) {
                                               return std::pair(Str(row.key()), Bytes(row.value()));
                                             }),
                                  v->truncated()};
      return out;
    }
    case fb::Body::ViewProgressOk: {
      const fb::ViewProgressOk* v = m->body_as_ViewProgressOk();
      out.body =
          Store::ViewProgress{v->generation(), Position(v->position()),
                              Position(v->rebuild_position()), Position(v->rebuild_target())};
      return out;
    }
    case fb::Body::VerifyReport: {
      const fb::VerifyReport* v = m->body_as_VerifyReport();
      VerifyReport r;
      r.events = v->events();
      r.streams = v->streams();
      r.last_position = Position(v->last_position());
      r.reclaimed = v->reclaimed();
      r.index_entries = v->index_entries();
      if (v->problems() != nullptr) {
        for (const flatbuffers::String* p : *v->problems()) r.problems.push_back(Str(p));
      }
      r.problem_count = std::max<uint64_t>(v->problem_count(), r.problems.size());
      return WithBody(out, std::move(r));
    }
    case fb::Body::Views: {
      const fb::Views* v = m->body_as_Views();
      out.body = ViewsResponse{ConvertAll(v->views(), [](const fb::ViewInfo& i) {
        return Store::ViewInfo{
            Str(i.name()),
            Store::ViewProgress{i.generation(), Position(i.position()),
                                Position(i.rebuild_position()), Position(i.rebuild_target())},
            i.lag()};
      })};
      return out;
    }
    case fb::Body::Subscriptions: {
      const fb::Subscriptions* v = m->body_as_Subscriptions();
      out.body =
          SubscriptionsResponse{ConvertAll(v->subscriptions(), [](const fb::SubscriptionInfo& i) {
            return SubscriptionInfo{Str(i.name()), Position(i.checkpoint()), i.lag(), i.parked()};
          })};
      return out;
    }
    case fb::Body::Parked: {
      const fb::Parked* v = m->body_as_Parked();
      out.body = ParkedResponse{ConvertAll(v->events(), [](const fb::ParkedEvent& p) {
        ParkedEvent e;
        if (p.event() != nullptr) e.event = EventFromWire(*p.event());
        e.error = Str(p.error());
        e.parked_version = Version(p.parked_version());
        e.replayed = p.replayed();
        return e;
      })};
      return out;
    }
    case fb::Body::Count:
      return WithBody(out, CountResponse{m->body_as_Count()->count()});
    case fb::Body::CheckpointOk:
      return WithBody(out, Position(m->body_as_CheckpointOk()->position()));
    case fb::Body::TrimOk: {
      const fb::TrimOk* t = m->body_as_TrimOk();
      // A limit this build does not know reads as none.
      const auto limit = t->limit() <= static_cast<uint8_t>(TrimLimit::kRetention)
                             ? static_cast<TrimLimit>(t->limit())
                             : TrimLimit::kNone;
      return WithBody(out, TrimResult{.first_kept = Version(t->first_kept()),
                                      .removed = t->removed(),
                                      .limit = limit,
                                      .held_by = Str(t->held_by())});
    }
    case fb::Body::BackupOk: {
      const fb::BackupOk* k = m->body_as_BackupOk();
      return WithBody(out, BackupInfo{Position(k->position()), k->files(), k->bytes()});
    }
    case fb::Body::Subscribed:
      return WithBody(out, SubscribedResponse{Position(m->body_as_Subscribed()->position())});
    case fb::Body::QueryResult: {
      const fb::QueryResult* q = m->body_as_QueryResult();
      return WithBody(out, QueryResultResponse{ConvertAll(q->events(), EventFromWire),
                                               Position(q->head()), q->truncated()});
    }
    case fb::Body::SubscriptionEvents: {
      const fb::SubscriptionEvents* e = m->body_as_SubscriptionEvents();
      return WithBody(out, SubscriptionEventsResponse{ConvertAll(e->events(), EventFromWire),
                                                      Position(e->position())});
    }
    case fb::Body::SubscriptionCreated:
      return WithBody(out, SubscriptionCreatedResponse{m->body_as_SubscriptionCreated()->created()});
    case fb::Body::ConsumerOpened:
      return WithBody(out, ConsumerOpenedResponse{m->body_as_ConsumerOpened()->consumer()});
    case fb::Body::ConsumerEvents: {
      const fb::ConsumerEvents* c = m->body_as_ConsumerEvents();
      ConsumerEventsResponse r{.caught_up = c->caught_up()};
      if (c->events() != nullptr) {
        r.events.reserve(c->events()->size());
        for (const fb::DeliveredEvent* d : *c->events()) {
          if (d->event() == nullptr) return Malformed("ConsumerEvents: an event without its event");
          r.events.push_back(HostedEvent{EventFromWire(*d->event()), d->attempt(), d->replayed()});
        }
      }
      return WithBody(out, std::move(r));
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
      fb::CreateHelloOk(b, hello.protocol_version, hello.max_frame_bytes, hello.max_in_flight,
                        hello.tags_and_queries, hello.skip_duplicates, hello.hosted_subscriptions,
                        hello.list_views)
          .Union());
}

std::string EncodeError(uint64_t request_id, const Status& status) {
  FlatBufferBuilder b(128);
  return FinishFrame(
      b, request_id, fb::Body::Error,
      fb::CreateErrorDirect(b, static_cast<fb::ErrorCode>(status.code()), status.message().c_str(),
                            status.stream().c_str(), status.actual_version().value_or(0),
                            status.conflicting_position()
                                ? flatbuffers::Optional<uint64_t>(*status.conflicting_position())
                                : flatbuffers::nullopt)
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
    Offset<flatbuffers::Vector<const fb::Uuid*>> skipped;
    if (!s.skipped.empty()) {
      std::vector<fb::Uuid> ids;
      ids.reserve(s.skipped.size());
      for (const Uuid& id : s.skipped) ids.push_back(ToWire(id));
      skipped = b.CreateVectorOfStructs(ids);
    }
    streams.push_back(fb::CreateStreamAppendResult(
        b, b.CreateString(s.stream), s.first_version.value(), s.last_version.value(),
        s.first_position.value(), s.last_position.value(), skipped));
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

std::string EncodeStats(uint64_t request_id, const StoreStats& stats,
                        const MetricsSnapshot& metrics) {
  FlatBufferBuilder b(1024);
  const auto wire_metrics = MetricsToWire(b, metrics);
  return FinishFrame(b, request_id, fb::Body::StatsOk,
                     fb::CreateStatsOk(b, stats.appended, stats.streams,
                                       stats.last_position.value(), stats.disk_bytes, wire_metrics)
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

std::string EncodeVerifyReport(uint64_t request_id, const VerifyReport& report) {
  FlatBufferBuilder b(256);
  std::vector<Offset<flatbuffers::String>> problems;
  problems.reserve(report.problems.size());
  for (const std::string& p : report.problems) problems.push_back(b.CreateString(p));
  return FinishFrame(b, request_id, fb::Body::VerifyReport,
                     fb::CreateVerifyReportDirect(
                         b, report.events, report.streams, report.last_position.value(),
                         report.reclaimed, report.index_entries, &problems, report.problem_count)
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

std::string EncodeViews(uint64_t request_id, const ViewsResponse& views) {
  FlatBufferBuilder b(256);
  std::vector<Offset<fb::ViewInfo>> out;
  for (const Store::ViewInfo& i : views.views) {
    const Store::ViewProgress& p = i.progress;
    out.push_back(fb::CreateViewInfoDirect(b, i.name.c_str(), p.generation, p.position.value(),
                                           p.rebuild_position.value(), p.rebuild_target.value(),
                                           i.lag));
  }
  const auto vec = b.CreateVector(out);
  return FinishFrame(b, request_id, fb::Body::Views, fb::CreateViews(b, vec).Union());
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

std::string EncodeBackupOk(uint64_t request_id, const BackupInfo& info) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::BackupOk,
                     fb::CreateBackupOk(b, info.position.value(), info.files, info.bytes).Union());
}

std::string EncodeTrimResult(uint64_t request_id, const TrimResult& result) {
  FlatBufferBuilder b(128);
  return FinishFrame(
      b, request_id, fb::Body::TrimOk,
      fb::CreateTrimOkDirect(b, result.first_kept.value(), result.removed,
                             static_cast<uint8_t>(result.limit), result.held_by.c_str())
          .Union());
}

std::string EncodeCheckpoint(uint64_t request_id, Position position) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::CheckpointOk,
                     fb::CreateCheckpointOk(b, position.value()).Union());
}

std::string EncodeSubscribed(uint64_t request_id, Position position) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::Subscribed,
                     fb::CreateSubscribed(b, position.value()).Union());
}

std::string EncodeSubscriptionCreated(uint64_t request_id, bool created) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::SubscriptionCreated,
                     fb::CreateSubscriptionCreated(b, created).Union());
}

std::string EncodeConsumerOpened(uint64_t request_id, uint64_t consumer) {
  FlatBufferBuilder b(64);
  return FinishFrame(b, request_id, fb::Body::ConsumerOpened,
                     fb::CreateConsumerOpened(b, consumer).Union());
}

std::string EncodeConsumerEvents(uint64_t request_id, const std::vector<HostedEvent>& events,
                                 bool caught_up) {
  FlatBufferBuilder b(1024);
  std::vector<Offset<fb::DeliveredEvent>> out;
  out.reserve(events.size());
  for (const HostedEvent& e : events) {
    const auto event = ToWire(b, e.event.view());
    out.push_back(fb::CreateDeliveredEvent(b, event, e.attempt, e.replayed));
  }
  const auto vec = b.CreateVector(out);
  return FinishFrame(b, request_id, fb::Body::ConsumerEvents,
                     fb::CreateConsumerEvents(b, vec, caught_up).Union());
}

std::string EncodeSubscriptionEvents(uint64_t subscription, const FeedView& batch) {
  FlatBufferBuilder b(1024);
  std::vector<Offset<fb::RecordedEvent>> events;
  events.reserve(batch.events.size());
  for (const RecordedEvent& e : batch.events) events.push_back(ToWire(b, e));
  const auto vec = b.CreateVector(events);
  return FinishFrame(b, subscription, fb::Body::SubscriptionEvents,
                     fb::CreateSubscriptionEvents(b, vec, batch.position.value()).Union());
}

std::string EncodeEvents(uint64_t request_id, const EventsResponse& events) {
  EventsWriter writer;
  for (const OwnedEvent& e : events.events) writer.Add(e.view());
  return writer.Finish(request_id, events.truncated);
}

std::string EncodeQueryResult(uint64_t request_id, const QueryResultResponse& result) {
  EventsWriter writer;
  for (const OwnedEvent& e : result.events) writer.Add(e.view());
  return writer.FinishQueryResult(request_id, result.head, result.truncated);
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

std::string EventsWriter::FinishQueryResult(uint64_t request_id, Position head, bool truncated) {
  FlatBufferBuilder& b = rep_->b;
  const auto result = fb::CreateQueryResult(b, b.CreateVector(rep_->events), head.value(), truncated);
  return FinishFrame(b, request_id, fb::Body::QueryResult, result.Union());
}

}  // namespace evlog::server
