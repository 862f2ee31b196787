// Protocol: the evlogd messages as plain structs, and their FlatBuffers
// encoding (schema/protocol.fbs, docs/protocol.md).
//
// This is the only file that includes protocol_generated.h. Decoding verifies
// the buffer first and copies what it needs, so a decoded struct never points
// into the frame. Every function here is pure: no sockets, no store.

#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "evlog/metrics.h"
#include "evlog/status.h"
#include "evlog/store.h"
#include "evlog/types.h"

namespace evlog::server {

// The protocol version this build speaks.
inline constexpr uint32_t kProtocolVersion = 1;

// Error codes of the protocol itself (wire values 100 and up; 0..14 are
// Status::Code values).
enum class ProtocolCode : uint8_t {
  kMalformedFrame = 100,
  kFrameTooLarge = 101,
  kUnauthenticated = 102,
  kUnsupportedProtocolVersion = 103,
  kUnknownRequest = 104,
  kTooManySessions = 105,
  kShuttingDown = 106,
};

// A frame that could not be decoded, or a protocol violation to report.
// `request_id` is 0 when the frame was not readable far enough to know it.
struct ProtocolError {
  ProtocolCode code = ProtocolCode::kMalformedFrame;
  std::string message;
  uint64_t request_id = 0;
};

// ---- Requests -------------------------------------------------------------

struct HelloRequest {
  uint32_t protocol_version = kProtocolVersion;
  std::string token;
  std::string client_name;
};
struct ReadStreamRequest {
  std::string stream;
  ReadStreamOptions options;
};
struct ReadAllRequest {
  ReadAllOptions options;
};
struct ListStreamsRequest {
  ListStreamsOptions options;
};
struct StreamVersionRequest {
  std::string stream;
};
struct StatsRequest {};
struct GetStreamMetadataRequest {
  std::string stream;
};
struct SetStreamMetadataRequest {
  std::string stream;
  StreamMetadata metadata;
  MetadataOptions options;
};
struct DeleteStreamRequest {
  std::string stream;
  bool hard = false;
};
struct TrimStreamRequest {
  std::string stream;
  TrimOptions options;
};
// Store::Trim; answered by a TrimResult (TrimOk).
struct TrimRequest {
  std::string stream;
  TrimOptions options;
};
struct LoadSnapshotRequest {
  std::string stream;
};
struct SaveSnapshotRequest {
  std::string stream;
  Version version;
  std::string state;
};
struct ViewGetRequest {
  std::string view;
  std::string key;
};
struct ViewScanRequest {
  std::string view;
  std::string prefix;
  // SIZE_MAX: no limit.
  size_t max_count = SIZE_MAX;
  // Only keys after this one (paging). Empty: from the first.
  std::string start_after;
};
struct ViewRebuildRequest {
  std::string view;
  // Withdraw the request instead.
  bool cancel = false;
};
struct GetViewProgressRequest {
  std::string view;
};
// Answered with the view's progress once it reaches `position`.
struct ViewWaitRequest {
  std::string view;
  Position position;
  std::chrono::milliseconds timeout{0};
};
struct VerifyRequest {};
// Store::Compact; answered with Done.
struct CompactRequest {};
struct ListSubscriptionsRequest {};
// Store::ListViews; answered by Views.
struct ListViewsRequest {};
struct ListParkedRequest {
  std::string name;
};
struct ReplayParkedRequest {
  std::string name;
};
// The subscription's id is the request's id.
struct SubscribeRequest {
  // start, category, stream_prefix and event_type; the batch limits are the
  // server's.
  ChangeFeedOptions options;
  uint64_t credits = 0;
};
// Never answered.
struct CreditRequest {
  uint64_t subscription = 0;
  uint64_t credits = 0;
};
struct UnsubscribeRequest {
  uint64_t subscription = 0;
};
// Answered by a Position (CheckpointOk).
struct GetCheckpointRequest {
  std::string name;
};
// Answered by Done.
struct SetCheckpointRequest {
  std::string name;
  Position position;
};
// Answered by BackupInfo. `dest` is a path on the daemon's machine.
struct BackupRequest {
  std::string dest;
};

// Store::Read(Query); answered by QueryResultResponse.
struct ReadQueryRequest {
  Query query;
  QueryOptions options;
};

// ---- Hosted subscriptions (issue #17) --------------------------------------
// Store::CreateSubscription, answered by SubscriptionCreated (Done from an
// older evlogd), and DeleteSubscription, answered by Done.
struct CreateSubscriptionRequest {
  HostedSubscriptionSpec spec;
};
struct DeleteSubscriptionRequest {
  std::string name;
};
// The consumer requests, served by the session that owns the consumers
// (session_consumers.cc). OpenConsumer is answered by ConsumerOpened, whose
// id is the request's id; ConsumerFetch by ConsumerEvents; the others by
// Done.
struct OpenConsumerRequest {
  std::string name;
};
struct ConsumerFetchRequest {
  uint64_t consumer = 0;
  // 0: take nothing, only answer caught_up.
  uint64_t max_events = 0;
  std::chrono::milliseconds wait{0};
};
struct ConsumerAckRequest {
  uint64_t consumer = 0;
  std::vector<Position> positions;
};
struct ConsumerNackRequest {
  uint64_t consumer = 0;
  Position position;
  std::string reason;
};
struct CloseConsumerRequest {
  uint64_t consumer = 0;
};

using RequestBody = std::variant<
    HelloRequest, AppendRequest, ReadStreamRequest, ReadAllRequest, ListStreamsRequest,
    StreamVersionRequest, StatsRequest, GetStreamMetadataRequest, SetStreamMetadataRequest,
    DeleteStreamRequest, TrimStreamRequest, LoadSnapshotRequest, SaveSnapshotRequest,
    ViewGetRequest, ViewScanRequest, ViewRebuildRequest, GetViewProgressRequest,
    ListSubscriptionsRequest, ListViewsRequest, ListParkedRequest, ReplayParkedRequest, SubscribeRequest,
    CreditRequest, UnsubscribeRequest, ViewWaitRequest, VerifyRequest, BackupRequest,
    GetCheckpointRequest, SetCheckpointRequest, CompactRequest, ReadQueryRequest, TrimRequest,
    CreateSubscriptionRequest, DeleteSubscriptionRequest, OpenConsumerRequest, ConsumerFetchRequest,
    ConsumerAckRequest, ConsumerNackRequest, CloseConsumerRequest>;

// One message of a session: a request, or a response paired with its
// request by request_id.
template <class Body>
struct Message {
  uint64_t request_id = 0;
  Body body;
};

using Request = Message<RequestBody>;

// Verifies and decodes one frame's message (length prefix excluded).
// Errors: kMalformedFrame when the bytes are not a valid Message or a field
// is out of range; kUnknownRequest when the body is absent, a response type,
// or a type this build does not know (request_id is then set).
std::variant<Request, ProtocolError> DecodeRequest(std::span<const uint8_t> message);

// A complete frame (length prefix included) carrying `request`.
std::string EncodeRequest(const Request& request);

// ---- Responses ------------------------------------------------------------

struct HelloOkResponse {
  uint32_t protocol_version = kProtocolVersion;
  uint32_t max_frame_bytes = 0;
  uint32_t max_in_flight = 0;
  // The daemon serves tags, query conditions and ReadQuery (false from an
  // older one).
  bool tags_and_queries = false;
  // The daemon honours AppendRequest::duplicates (false from an older one).
  bool skip_duplicates = false;
  // The daemon serves hosted subscriptions (false from an older one).
  bool hosted_subscriptions = false;
  // The daemon answers ListViews (false from an older one).
  bool list_views = false;
};
struct EventsResponse {
  std::vector<OwnedEvent> events;
  // The server stopped at its response limit; read on after the last event.
  bool truncated = false;
};
// The answer to ReadQuery: one page of Store::Read(Query).
struct QueryResultResponse {
  std::vector<OwnedEvent> events;
  // The store's head when the read began (QueryResult::head).
  Position head;
  // The server stopped at its response limit; read on after the last event.
  bool truncated = false;
};
struct StreamsResponse {
  std::vector<StreamInfo> streams;
  bool truncated = false;
};
// An Error message. `status` carries the engine code (or, for protocol codes,
// the closest Status code: see StatusFromWire); `wire_code` the exact one.
struct ErrorResponse {
  uint8_t wire_code = 0;
  Status status;
};

// Done: success with nothing to return.
struct DoneResponse {};
struct SnapshotResponse {
  std::optional<Snapshot> snapshot;
};
struct ViewValueResponse {
  std::optional<std::string> value;
};
struct ViewRowsResponse {
  std::vector<std::pair<std::string, std::string>> rows;
  bool truncated = false;
};
struct SubscriptionsResponse {
  std::vector<SubscriptionInfo> subscriptions;
};
struct ViewsResponse {
  std::vector<Store::ViewInfo> views;
};
struct ParkedResponse {
  std::vector<ParkedEvent> events;
};
struct CountResponse {
  uint64_t count = 0;
};
struct SubscribedResponse {
  Position position;
};
// Pushed under the Subscribe's request id.
struct SubscriptionEventsResponse {
  std::vector<OwnedEvent> events;
  Position position;
};

// The answer to CreateSubscription: false if it existed already.
struct SubscriptionCreatedResponse {
  bool created = false;
};
// The answer to OpenConsumer.
struct ConsumerOpenedResponse {
  uint64_t consumer = 0;
};
// The answer to ConsumerFetch.
struct ConsumerEventsResponse {
  std::vector<HostedEvent> events;
  bool caught_up = false;
};

// Answers Stats: the store's statistics and the daemon's metrics (nullopt
// from an older daemon, which sends none).
struct StatsResponse {
  StoreStats stats;
  std::optional<MetricsSnapshot> metrics;
};

// Version answers StreamVersion and TrimStream.
using ResponseBody =
    std::variant<HelloOkResponse, ErrorResponse, AppendResult, EventsResponse, StreamsResponse,
                 Version, StatsResponse, StreamMetadata, DoneResponse, SnapshotResponse,
                 ViewValueResponse, ViewRowsResponse, Store::ViewProgress, SubscriptionsResponse,
                 ParkedResponse, CountResponse, SubscribedResponse, SubscriptionEventsResponse,
                 VerifyReport, BackupInfo, Position, QueryResultResponse, TrimResult,
                 ConsumerOpenedResponse, ConsumerEventsResponse, SubscriptionCreatedResponse,
                 ViewsResponse>;

using Response = Message<ResponseBody>;

// Verifies and decodes a response frame's message. Errors as DecodeRequest,
// with kUnknownRequest for a request type or an unknown type.
std::variant<Response, ProtocolError> DecodeResponse(std::span<const uint8_t> message);

// The Status a client reports for an Error with `wire_code`: the engine code
// itself for 1..14; protocol codes map to the nearest meaning
// (kUnsupportedProtocolVersion: NotSupported, kTooManySessions: Busy,
// kShuttingDown: Aborted, the rest: InvalidArgument), the message prefixed
// with the protocol code's name. A ConditionFailed carries
// `conflicting_position` when the Error had one.
Status StatusFromWire(uint8_t wire_code, std::string_view message, std::string_view stream,
                      uint64_t actual_version,
                      std::optional<uint64_t> conflicting_position = std::nullopt);

// Complete frames for each response.
std::string EncodeHelloOk(uint64_t request_id, const HelloOkResponse& hello);
// REQUIRES: !status.ok()
std::string EncodeError(uint64_t request_id, const Status& status);
std::string EncodeProtocolError(const ProtocolError& error);
std::string EncodeAppendOk(uint64_t request_id, const AppendResult& result);
std::string EncodeStreams(uint64_t request_id, const StreamsResponse& streams);
std::string EncodeStreamVersion(uint64_t request_id, Version version);
std::string EncodeStats(uint64_t request_id, const StoreStats& stats,
                        const MetricsSnapshot& metrics);
std::string EncodeStreamMetadata(uint64_t request_id, const StreamMetadata& metadata);
std::string EncodeDone(uint64_t request_id);
std::string EncodeSnapshot(uint64_t request_id, const SnapshotResponse& snapshot);
std::string EncodeViewValue(uint64_t request_id, const ViewValueResponse& value);
std::string EncodeViewRows(uint64_t request_id, const ViewRowsResponse& rows);
std::string EncodeViewProgress(uint64_t request_id, const Store::ViewProgress& progress);
std::string EncodeVerifyReport(uint64_t request_id, const VerifyReport& report);
std::string EncodeSubscriptions(uint64_t request_id, const SubscriptionsResponse& subscriptions);
std::string EncodeViews(uint64_t request_id, const ViewsResponse& views);
std::string EncodeParked(uint64_t request_id, const ParkedResponse& parked);
std::string EncodeCount(uint64_t request_id, uint64_t count);
std::string EncodeBackupOk(uint64_t request_id, const BackupInfo& info);
std::string EncodeCheckpoint(uint64_t request_id, Position position);
std::string EncodeTrimResult(uint64_t request_id, const TrimResult& result);
std::string EncodeSubscribed(uint64_t request_id, Position position);
std::string EncodeSubscriptionCreated(uint64_t request_id, bool created);
std::string EncodeConsumerOpened(uint64_t request_id, uint64_t consumer);
std::string EncodeConsumerEvents(uint64_t request_id, const std::vector<HostedEvent>& events,
                                 bool caught_up);
// REQUIRES: !batch.events.empty()
std::string EncodeSubscriptionEvents(uint64_t subscription, const FeedView& batch);
// For tests and clients that have owned events; the server uses EventsWriter.
std::string EncodeEvents(uint64_t request_id, const EventsResponse& events);
// Likewise for a QueryResult; the server uses EventsWriter::FinishQueryResult.
std::string EncodeQueryResult(uint64_t request_id, const QueryResultResponse& result);

// Builds an Events response event by event, so a read is encoded straight
// from the iterator without copying each event first.
class EventsWriter {
 public:
  EventsWriter();
  ~EventsWriter();
  EventsWriter(const EventsWriter&) = delete;
  EventsWriter& operator=(const EventsWriter&) = delete;

  void Add(const RecordedEvent& event);
  size_t count() const;
  // Bytes encoded so far, a close estimate of the final message size.
  size_t bytes() const;
  // The complete frame. The writer must not be used afterwards.
  std::string Finish(uint64_t request_id, bool truncated);
  // The same events as a QueryResult answering ReadQuery, with the store's
  // `head`. The writer must not be used afterwards.
  std::string FinishQueryResult(uint64_t request_id, Position head, bool truncated);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace evlog::server
