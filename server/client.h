// Client: a session with evlogd, speaking the engine's vocabulary: the
// remote EventStore (evlog/event_store.h documents the calls and their
// errors; code written against EventStore runs embedded or remote).
//
//   evlog::Result<std::unique_ptr<evlog::Client>> c =
//       evlog::Client::Connect({.host = "127.0.0.1", .port = 7411});
//   if (!c.ok()) return c.status();
//   evlog::Result<evlog::AppendResult> r =
//       (*c)->Append({.streams = {{"order-1", evlog::ExpectedVersion::NoStream(), {ev}}}});
//
// Calls return the same Status codes as the embedded Store (a
// WrongExpectedVersion carries stream() and actual_version()). Errors of the
// connection itself: IOError when it is lost and not regained (every pending
// call completes with it, and so does every later call: connect again; a
// draining daemon closes sessions, which reads as a lost connection),
// Aborted when the client is destroyed with calls pending, Busy when the
// daemon is at its session limit, NotSupported for a protocol version the
// daemon does not speak, and Unauthenticated for a wrong or missing token.
//
// Many requests may be in flight on one session (AppendAsync, or sync calls
// from several threads): the server may complete them out of order; the
// client pairs each response with its request by id.
//
// Reconnect and retry (ClientOptions::reconnect_for): when the connection is
// lost, the client reconnects and sends every unanswered request again, in
// the original order. Every request is safe to repeat: reads are, and with
// reconnect_for set the client gives each event without an id a random one
// before sending, so the store deduplicates an append it had already
// committed (the result then has `deduplicated` set, with the original
// positions) — within the store's dedup window. Ids cost the store a dedup
// lookup per event, which is why they are only added when retrying is on.
// A call made while reconnecting waits for it.
//
// Thread-safety: all methods are thread-safe. Async callbacks run on the
// client's own I/O thread: keep them short and never make a sync call from
// one (it would wait for the thread it blocks).

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evlog/status.h"
#include "evlog/store.h"
#include "evlog/types.h"

namespace evlog {

struct ClientOptions {
  // Numeric address or host name of the daemon.
  // Default: 127.0.0.1
  std::string host = "127.0.0.1";
  // Default: 7411
  uint16_t port = 7411;
  // Sent in the Hello; required when the daemon has a --token-file.
  // Default: empty
  std::string token;
  // For the daemon's logs.
  // Default: "evlog-client"
  std::string client_name = "evlog-client";
  // When the connection is lost, keep trying to reconnect (every 50 ms) for
  // this long, then fail every pending call with IOError. 0: fail at once.
  // Reconnect attempts block the client's I/O thread while they connect.
  // Default: 0
  std::chrono::milliseconds reconnect_for{0};
  // Largest response frame accepted from the daemon.
  // Default: 256 MiB
  size_t max_frame_bytes = 256 << 20;
};

// A server-pushed subscription to the daemon's change feed (Subscribe):
// FollowOptions, whose batch limits are the daemon's; auto_credit grants
// half a window at a time.
using RemoteSubscribeOptions = FollowOptions;

class RemoteSubscription;
class RemoteConsumer;  // client_consumer.cc: Consume's SubscriptionConsumer

class Client final : public EventStore {
 public:
  // Connects and says Hello. IOError if the daemon cannot be reached; the
  // daemon's refusal otherwise (see above).
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  // Closes the session. Pending async calls complete with Aborted first.
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // EventStore's single-stream Append shorthand.
  using EventStore::Append;

  // The EventStore calls (evlog/event_store.h states them and their
  // errors); what the client adds to them first.

  // Store::Append over the wire (with reconnect_for set, events get ids:
  // see above). Tags and fail_if_events_match travel as they are; to an
  // evlogd older than them (HelloOk without tags_and_queries), which would
  // drop them unread, such an append is NotSupported and nothing is sent;
  // likewise DuplicatePolicy::kSkip to an evlogd older than it.
  Result<AppendResult> Append(AppendRequest request) override;
  // Sends the append and returns at once; `done` runs exactly once, on the
  // client's I/O thread, with the daemon's answer.
  void AppendAsync(AppendRequest request, AppendCallback done) override;
  // Reads as Store::ReadStream / ReadAll do. The iterator asks the daemon
  // for a page at a time (at most 4,096 events), so it holds one page; the
  // first page is read before these return, so a missing stream is
  // NotFound here. An error on a later page (a lost session) ends the
  // iteration with it in status(). Events committed between pages are seen
  // as of the page that reads them. The iterator must not outlive the
  // client.
  Result<std::unique_ptr<EventIterator>> ReadStream(std::string_view stream,
                                                    const ReadStreamOptions& options = {}) override;
  Result<std::unique_ptr<EventIterator>> ReadAll(const ReadAllOptions& options = {}) override;
  // Store::Read(Query) over the wire, with its errors (InvalidArgument for
  // a query beyond the daemon's limits). The daemon answers a page at a
  // time (at most 4,096 events); this collects the pages until
  // options.max_count or the end, and returns the first page's head: an
  // event committed after it is never returned, so the result reads as one
  // consistent view (pass head as AppendCondition::after). NotSupported,
  // with nothing sent, from an evlogd older than queries.
  Result<QueryResult> Read(const Query& query, const QueryOptions& options = {}) override;
  // The daemon's Store::Metrics (see evlog/metrics.h). NotSupported from an
  // evlogd too old to send them.
  Result<MetricsSnapshot> Metrics() override;
  // OK: the daemon's reads always see its latest commit.
  Status CatchUp() override;
  // EventStore::Follow through Subscribe below.
  Result<std::unique_ptr<FeedFollower>> Follow(FollowOptions options,
                                               FollowCallback on_events) override;
  // Pages through the daemon's responses (10,000 rows each by default)
  // until `max_count` rows or the end; rows committed between pages are
  // seen as of the page that reads them.
  Result<std::vector<std::pair<std::string, std::string>>> ViewScan(
      std::string_view view, std::string_view prefix, size_t max_count = SIZE_MAX,
      std::string_view start_after = {}) override;
  // The daemon waits (View::WaitFor for a view run by another process), at
  // most `timeout` and at most its own limit (30 s by default).
  Result<ViewProgress> ViewWait(std::string_view view, Position position,
                                std::chrono::milliseconds timeout) override;
  // Where a consumer reading the feed through this client keeps its
  // progress in the daemon's store.
  Result<Position> GetCheckpoint(std::string_view name) override;
  // Store::Verify, run by the daemon on its store.
  Result<VerifyReport> Verify() override;
  // Store::Compact, run by the daemon on its store.
  Status Compact() override;
  // Has the daemon write a backup of its store (Store::Backup) into `dest`,
  // a path on the daemon's machine. Errors as Store::Backup's, and Busy if
  // the daemon is writing another backup.
  Result<BackupInfo> Backup(std::string_view dest) override;

  // The other EventStore calls, run by the daemon on its store as stated
  // there.
  Result<Version> StreamVersion(std::string_view stream) override;
  Result<std::vector<StreamInfo>> ListStreams(const ListStreamsOptions& options = {}) override;
  Result<StoreStats> Stats() override;
  Result<StreamMetadata> GetStreamMetadata(std::string_view stream) override;
  Status SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata,
                           const MetadataOptions& options = {}) override;
  Status DeleteStream(std::string_view stream, bool hard = false) override;
  Result<Version> TrimStream(std::string_view stream, const TrimOptions& options = {}) override;
  Result<TrimResult> Trim(std::string_view stream, const TrimOptions& options = {}) override;
  Status SaveSnapshot(std::string_view stream, Version version, std::string_view state) override;
  Result<std::optional<Snapshot>> LoadSnapshot(std::string_view stream) override;
  Result<std::optional<std::string>> ViewGet(std::string_view view,
                                             std::string_view key) override;
  Status RequestViewRebuild(std::string_view view) override;
  Status CancelViewRebuild(std::string_view view) override;
  Result<ViewProgress> GetViewProgress(std::string_view view) override;
  Result<std::vector<ViewInfo>> ListViews() override;
  Result<std::vector<SubscriptionInfo>> ListSubscriptions() override;
  Status SetCheckpoint(std::string_view name, Position position) override;
  Result<std::vector<ParkedEvent>> ListParked(std::string_view name) override;
  Result<uint64_t> ReplayParked(std::string_view name) override;
  // Hosted subscriptions (evlog/hosted_subscription.h), hosted by the
  // daemon. NotSupported, with nothing sent, from an evlogd older than
  // them (HelloOk without hosted_subscriptions); Busy from Consume at the
  // daemon's per-session consumer limit (--max-consumers-per-session).
  Result<bool> CreateSubscription(const HostedSubscriptionSpec& spec) override;
  Status DeleteSubscription(std::string_view name) override;
  // The consumer lives on this client's session: the daemon closes it
  // when the session ends (its unacknowledged events go to the other
  // consumers). Its Next asks the daemon for at most 256 events and waits
  // at most 30 s (the daemon's limits: an empty batch then, as on a
  // timeout); CaughtUp asks the daemon. With reconnect_for set, a consumer
  // whose session was lost attaches again on the new one at its next call
  // (a Next under way then returns an empty batch), and Ack and Nack of
  // events delivered before are ignored: those events are delivered again.
  // The consumer must not outlive the client.
  Result<std::unique_ptr<SubscriptionConsumer>> Consume(std::string_view name) override;

  // Subscribes to the change feed; the daemon pushes events while it has
  // credits. `on_events` runs on the client's I/O thread with each batch (in
  // position order), and once with an error when the subscription ends
  // (a daemon error such as Trimmed; a lost connection: IOError, unless
  // ClientOptions::reconnect_for is set — then the reconnect resumes it on
  // the new session after the last position handed to the callback, with
  // a fresh window of credits, so the callback sees every event once and
  // in order; IOError only when reconnecting gives up). It may run before
  // Subscribe returns. Errors: Busy at the
  // daemon's per-session subscription limit, Trimmed, InvalidArgument.
  // The subscription must not outlive the client, nor be destroyed from
  // its own callback.
  using SubscriptionCallback = FollowCallback;
  Result<std::unique_ptr<RemoteSubscription>> Subscribe(RemoteSubscribeOptions options,
                                                        SubscriptionCallback on_events);

  // False once the session is lost.
  bool connected() const;

 private:
  struct Rep;
  explicit Client(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
  friend class RemoteSubscription;
  friend class RemoteConsumer;
};

class RemoteSubscription final : public FeedFollower {
 public:
  // Unsubscribes if Cancel() was not called.
  ~RemoteSubscription() override;
  RemoteSubscription(const RemoteSubscription&) = delete;
  RemoteSubscription& operator=(const RemoteSubscription&) = delete;

  // Allows the daemon `events` more (RemoteSubscribeOptions::auto_credit
  // off, or on top of it).
  void Grant(uint64_t events) override;
  // Ends the subscription; no callback runs after it returns OK.
  Status Cancel() override;
  // The feed position after the last batch handed to the callback:
  // subscribe again with FeedStart::After(position()) to resume.
  Position position() const override;

 private:
  friend class Client;
  RemoteSubscription(Client::Rep* rep, uint64_t id, std::shared_ptr<std::atomic<uint64_t>> position)
      : rep_(rep), id_(id), position_(std::move(position)) {}
  Client::Rep* rep_;
  uint64_t id_;
  std::shared_ptr<std::atomic<uint64_t>> position_;
  bool cancelled_ = false;
};

}  // namespace evlog
