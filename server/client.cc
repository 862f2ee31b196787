// Invariant: `pending`, the write queue and the socket are touched only on
// the I/O thread; callers hand requests over by posting to it. A request is
// in `pending` before its bytes are written, so its response always finds
// it, and it keeps its frame until answered, so a reconnect can send it
// again. Handlers of a replaced socket see a stale `generation` and do
// nothing.

#include "client.h"

#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <thread>

#include "frame.h"
#include "net.h"
#include "protocol.h"

namespace evlog {

namespace {
using server::Request;
using server::RequestBody;
using server::Response;
using ResponseCallback = std::function<void(Result<Response>)>;
using Frame = std::shared_ptr<const std::string>;

// The expected body of `response`, or the Error it carries.
template <class T>
Result<T> Expect(Result<Response> response) {
  if (!response.ok()) return response.status();
  Response& r = response.value();
  if (auto* error = std::get_if<server::ErrorResponse>(&r.body)) return error->status;
  if (auto* value = std::get_if<T>(&r.body)) return std::move(*value);
  return Status::IOError("the daemon answered with an unexpected message type");
}

// Connects `socket` and says Hello, blocking. On success `parser` holds any
// bytes the server sent after HelloOk.
Status ConnectAndHello(const ClientOptions& options, net::tcp::socket& socket,
                       server::FrameParser& parser) {
  boost::system::error_code ec;
  net::tcp::resolver resolver(socket.get_executor());
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (!ec) net::asio::connect(socket, endpoints, ec);
  if (ec) {
    return Status::IOError("cannot connect to " + options.host + ":" +
                           std::to_string(options.port) + ": " + ec.message());
  }
  socket.set_option(net::tcp::no_delay(true), ec);
  const std::string hello = server::EncodeRequest(Request{
      0, server::HelloRequest{server::kProtocolVersion, options.token, options.client_name}});
  net::asio::write(socket, net::asio::buffer(hello), ec);
  std::array<uint8_t, 4096> buffer;
  while (!ec) {
    const size_t n = socket.read_some(net::asio::buffer(buffer), ec);
    if (ec) break;
    parser.Feed(std::span<const uint8_t>(buffer.data(), n));
    const server::FrameParser::Next next = parser.Parse();
    if (next == server::FrameParser::Next::kNeedMore) continue;
    if (next != server::FrameParser::Next::kFrame) {
      return Status::IOError("evlogd sent a frame of a bad length");
    }
    auto decoded = server::DecodeResponse(parser.frame());
    if (auto* error = std::get_if<server::ProtocolError>(&decoded)) {
      return Status::IOError("evlogd sent a bad message: " + error->message);
    }
    return Expect<server::HelloOkResponse>(std::move(std::get<Response>(decoded))).status();
  }
  return Status::IOError("handshake with evlogd failed: " + ec.message());
}

// Every event gets an id before it is sent, so sending it again after a
// reconnect cannot append it twice. Only when reconnecting is on: ids cost
// the store a dedup lookup per event (W1 through evlogd: about half the
// throughput).
void GiveIds(AppendRequest& request) {
  for (StreamAppend& s : request.streams) {
    for (EventData& e : s.events) {
      if (e.id.is_nil()) e.id = Uuid::Random();
    }
  }
}
}  // namespace

struct Client::Rep {
  explicit Rep(const ClientOptions& o)
      : options(o), socket(io), retry_timer(io), work(net::asio::make_work_guard(io)) {
    parser.emplace(o.max_frame_bytes);
  }

  struct Pending {
    Frame frame;
    ResponseCallback done;
  };

  ClientOptions options;
  net::asio::io_context io;
  net::tcp::socket socket;
  net::asio::steady_timer retry_timer;
  std::optional<server::FrameParser> parser;
  std::array<uint8_t, 64 << 10> read_buffer{};
  net::asio::executor_work_guard<net::asio::io_context::executor_type> work;
  std::thread thread;
  std::atomic<uint64_t> next_id{1};
  std::atomic<bool> connected{true};

  // I/O thread only. Ordered by id: a reconnect resends in the original order.
  std::map<uint64_t, Pending> pending;
  std::deque<Frame> write_queue;
  bool writing = false;
  uint64_t generation = 0;
  bool reconnecting = false;
  std::chrono::steady_clock::time_point reconnect_deadline;
  Status broken;  // why the session ended for good, once it has

  void Call(RequestBody body, ResponseCallback done);
  // Call with a chosen id; `registered` runs on the I/O thread just before
  // the request is queued.
  void CallAs(uint64_t id, RequestBody body, ResponseCallback done,
              std::function<void()> registered = nullptr);
  // Sends a request that is never answered (Credit).
  void SendNoReply(RequestBody body);

  struct Pushed {
    Client::SubscriptionCallback callback;
    uint64_t window = 0;
    bool auto_credit = true;
    uint64_t consumed = 0;  // handed to the callback, not yet granted again
    std::shared_ptr<std::atomic<uint64_t>> position;
    // Start and filters; a resume after a reconnect starts After(position).
    ChangeFeedOptions feed;
    bool subscribed = false;  // the daemon answered Subscribed
  };
  // I/O thread only: subscriptions by id.
  std::map<uint64_t, Pushed> subscriptions;
  void Deliver(std::map<uint64_t, Pushed>::iterator it, Response& response);
  void EndSubscriptions(const Status& why);
  // After a reconnect: subscribes each subscription again on the new
  // session, after the last position handed to its callback.
  void ResumeSubscriptions();
  void Read();
  void Write();
  // The connection failed: reconnect and resend if allowed, else Fail.
  void Lost(const Status& why);
  void TryReconnect(Status why);
  void Fail(const Status& why);
  Result<Response> CallSync(RequestBody body);
};

void Client::Rep::Call(RequestBody body, ResponseCallback done) {
  CallAs(next_id.fetch_add(1), std::move(body), std::move(done));
}

void Client::Rep::SendNoReply(RequestBody body) {
  auto frame = std::make_shared<const std::string>(
      server::EncodeRequest(Request{next_id.fetch_add(1), std::move(body)}));
  net::asio::post(io, [this, frame = std::move(frame)]() mutable {
    if (!broken.ok() || reconnecting) return;
    write_queue.push_back(std::move(frame));
    if (!writing) Write();
  });
}

void Client::Rep::Deliver(std::map<uint64_t, Pushed>::iterator it, Response& response) {
  const uint64_t id = it->first;
  Pushed& sub = it->second;
  if (auto* events = std::get_if<server::SubscriptionEventsResponse>(&response.body)) {
    sub.position->store(events->position.value());
    const size_t n = events->events.size();
    sub.callback(std::move(events->events));
    if (sub.auto_credit) {
      sub.consumed += n;
      if (sub.consumed >= std::max<uint64_t>(sub.window / 2, 1)) {
        SendNoReply(server::CreditRequest{id, sub.consumed});
        sub.consumed = 0;
      }
    }
    return;
  }
  if (std::holds_alternative<server::SubscribedResponse>(response.body)) return;  // resumed
  auto* error = std::get_if<server::ErrorResponse>(&response.body);
  Client::SubscriptionCallback callback = std::move(sub.callback);
  subscriptions.erase(it);
  callback(error != nullptr ? error->status
                            : Status::IOError("evlogd pushed an unexpected message type"));
}

void Client::Rep::EndSubscriptions(const Status& why) {
  auto all = std::move(subscriptions);
  subscriptions.clear();
  for (auto& [id, sub] : all) sub.callback(why);
}

void Client::Rep::ResumeSubscriptions() {
  for (auto& [id, sub] : subscriptions) {
    // A Subscribe still unanswered is resent with the pending requests.
    if (!sub.subscribed) continue;
    ChangeFeedOptions feed = sub.feed;
    feed.start = FeedStart::After(Position(sub.position->load()));
    sub.consumed = 0;
    write_queue.push_back(std::make_shared<const std::string>(
        server::EncodeRequest(Request{id, server::SubscribeRequest{feed, sub.window}})));
  }
}

void Client::Rep::CallAs(uint64_t id, RequestBody body, ResponseCallback done,
                         std::function<void()> registered) {
  auto frame =
      std::make_shared<const std::string>(server::EncodeRequest(Request{id, std::move(body)}));
  net::asio::post(io, [this, id, frame = std::move(frame), done = std::move(done),
                       registered = std::move(registered)]() mutable {
    if (!broken.ok()) {
      done(broken);
      return;
    }
    if (registered) registered();
    pending.emplace(id, Pending{frame, std::move(done)});
    if (reconnecting) return;  // Sent with the rest once reconnected.
    write_queue.push_back(std::move(frame));
    if (!writing) Write();
  });
}

Result<Response> Client::Rep::CallSync(RequestBody body) {
  std::promise<Result<Response>> promise;
  std::future<Result<Response>> future = promise.get_future();
  Call(std::move(body), [&promise](Result<Response> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void Client::Rep::Write() {
  writing = true;
  const size_t frames = std::min<size_t>(write_queue.size(), 64);
  std::vector<net::asio::const_buffer> buffers;
  for (size_t i = 0; i < frames; ++i) buffers.push_back(net::asio::buffer(*write_queue[i]));
  net::asio::async_write(
      socket, buffers,
      [this, frames, gen = generation](const boost::system::error_code& ec, size_t) {
        if (gen != generation) return;
        writing = false;
        if (ec) {
          Lost(Status::IOError("write to evlogd failed: " + ec.message()));
          return;
        }
        for (size_t i = 0; i < frames; ++i) write_queue.pop_front();
        if (!write_queue.empty()) Write();
      });
}

void Client::Rep::Read() {
  socket.async_read_some(
      net::asio::buffer(read_buffer),
      [this, gen = generation](const boost::system::error_code& ec, size_t n) {
        if (gen != generation) return;
        if (ec) {
          Lost(Status::IOError(ec == net::asio::error::eof
                                   ? std::string("evlogd closed the session")
                                   : "read from evlogd failed: " + ec.message()));
          return;
        }
        parser->Feed(std::span<const uint8_t>(read_buffer.data(), n));
        for (;;) {
          const server::FrameParser::Next next = parser->Parse();
          if (next == server::FrameParser::Next::kNeedMore) break;
          if (next != server::FrameParser::Next::kFrame) {
            Fail(Status::IOError("evlogd sent a frame of a bad length"));
            return;
          }
          std::variant<Response, server::ProtocolError> decoded =
              server::DecodeResponse(parser->frame());
          if (auto* error = std::get_if<server::ProtocolError>(&decoded)) {
            Fail(Status::IOError("evlogd sent a bad message: " + error->message));
            return;
          }
          Response& response = std::get<Response>(decoded);
          auto it = pending.find(response.request_id);
          if (it == pending.end()) {
            if (auto sub = subscriptions.find(response.request_id); sub != subscriptions.end()) {
              Deliver(sub, response);
              continue;
            }
            // An Error not tied to a request: the daemon is closing the session.
            auto* error = std::get_if<server::ErrorResponse>(&response.body);
            Fail(error != nullptr ? error->status
                                  : Status::IOError("evlogd answered an unknown request id"));
            return;
          }
          ResponseCallback done = std::move(it->second.done);
          pending.erase(it);
          done(std::move(response));
        }
        Read();
      });
}

void Client::Rep::Lost(const Status& why) {
  if (options.reconnect_for.count() <= 0 || !broken.ok()) {
    Fail(why);
    return;
  }
  if (!reconnecting) {
    reconnecting = true;
    connected = false;
    reconnect_deadline = std::chrono::steady_clock::now() + options.reconnect_for;
  }
  TryReconnect(why);
}

void Client::Rep::TryReconnect(Status why) {
  ++generation;  // Handlers of the old socket do nothing from here on.
  boost::system::error_code ignored;
  socket.close(ignored);
  writing = false;
  write_queue.clear();
  parser.emplace(options.max_frame_bytes);
  socket = net::tcp::socket(io);
  const Status s = ConnectAndHello(options, socket, *parser);
  if (s.ok()) {
    reconnecting = false;
    connected = true;
    // Subscriptions first: a pending Unsubscribe must find its subscription.
    ResumeSubscriptions();
    for (auto& [id, p] : pending) write_queue.push_back(p.frame);
    Read();
    if (!write_queue.empty()) Write();
    return;
  }
  // A refusal by the daemon (token, version) will not change by retrying.
  if (!s.IsIOError() || std::chrono::steady_clock::now() >= reconnect_deadline) {
    Fail(s.IsIOError() ? why : s);
    return;
  }
  retry_timer.expires_after(std::chrono::milliseconds(50));
  retry_timer.async_wait([this, why](const boost::system::error_code& ec) {
    if (!ec && broken.ok()) TryReconnect(why);
  });
}

void Client::Rep::Fail(const Status& why) {
  if (broken.ok()) broken = why;
  connected = false;
  reconnecting = false;
  ++generation;
  boost::system::error_code ignored;
  socket.close(ignored);
  retry_timer.cancel();
  EndSubscriptions(broken);
  // Callbacks may not call back into the map while we walk it.
  auto all = std::move(pending);
  pending.clear();
  for (auto& [id, p] : all) p.done(broken);
}

Client::Client(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Client::~Client() {
  net::asio::post(rep_->io, [rep = rep_.get()] {
    rep->Fail(Status::Aborted("the client was closed"));
    rep->work.reset();
  });
  rep_->thread.join();
}

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  auto rep = std::make_unique<Rep>(options);
  if (Status s = ConnectAndHello(options, rep->socket, *rep->parser); !s.ok()) return s;
  Rep* r = rep.get();
  r->Read();
  r->thread = std::thread([r] { r->io.run(); });
  return std::unique_ptr<Client>(new Client(std::move(rep)));
}

bool Client::connected() const { return rep_->connected; }

Result<AppendResult> Client::Append(AppendRequest request) {
  if (rep_->options.reconnect_for.count() > 0) GiveIds(request);
  return Expect<AppendResult>(rep_->CallSync(std::move(request)));
}

void Client::AppendAsync(AppendRequest request, AppendCallback done) {
  if (rep_->options.reconnect_for.count() > 0) GiveIds(request);
  rep_->Call(std::move(request), [done = std::move(done)](Result<Response> r) {
    done(Expect<AppendResult>(std::move(r)));
  });
}

Result<std::vector<OwnedEvent>> Client::ReadStream(std::string_view stream,
                                                   const ReadStreamOptions& options) {
  std::vector<OwnedEvent> out;
  server::ReadStreamRequest request{std::string(stream), options};
  for (;;) {
    Result<server::EventsResponse> page = Expect<server::EventsResponse>(rep_->CallSync(request));
    if (!page.ok()) return page.status();
    std::vector<OwnedEvent>& events = page->events;
    const size_t got = events.size();
    if (got == 0) break;
    const uint64_t last = events.back().version.value();
    for (OwnedEvent& e : events) out.push_back(std::move(e));
    if (!page->truncated || got >= request.options.max_count) break;
    request.options.max_count -= got;
    if (request.options.direction == Direction::kForward) {
      request.options.from = Version(last + 1);
    } else {
      if (last <= 1) break;
      request.options.from = Version(last - 1);
    }
  }
  return out;
}

Result<std::vector<OwnedEvent>> Client::ReadAll(const ReadAllOptions& options) {
  std::vector<OwnedEvent> out;
  server::ReadAllRequest request{options};
  for (;;) {
    Result<server::EventsResponse> page = Expect<server::EventsResponse>(rep_->CallSync(request));
    if (!page.ok()) return page.status();
    const size_t got = page->events.size();
    if (got == 0) break;
    const uint64_t last = page->events.back().position.value();
    for (OwnedEvent& e : page->events) out.push_back(std::move(e));
    if (!page->truncated || got >= request.options.max_count) break;
    request.options.max_count -= got;
    request.options.from = Position(last + 1);
  }
  return out;
}

Result<Version> Client::StreamVersion(std::string_view stream) {
  return Expect<Version>(rep_->CallSync(server::StreamVersionRequest{std::string(stream)}));
}

Result<std::vector<StreamInfo>> Client::ListStreams(const ListStreamsOptions& options) {
  std::vector<StreamInfo> out;
  server::ListStreamsRequest request{options};
  for (;;) {
    Result<server::StreamsResponse> page = Expect<server::StreamsResponse>(rep_->CallSync(request));
    if (!page.ok()) return page.status();
    const size_t got = page->streams.size();
    if (got == 0) break;
    request.options.start_after = page->streams.back().name;
    for (StreamInfo& s : page->streams) out.push_back(std::move(s));
    if (!page->truncated || got >= request.options.max_count) break;
    request.options.max_count -= got;
  }
  return out;
}

Result<StoreStats> Client::Stats() {
  Result<server::StatsResponse> r =
      Expect<server::StatsResponse>(rep_->CallSync(server::StatsRequest{}));
  if (!r.ok()) return r.status();
  return r->stats;
}

Result<MetricsSnapshot> Client::Metrics() {
  Result<server::StatsResponse> r =
      Expect<server::StatsResponse>(rep_->CallSync(server::StatsRequest{}));
  if (!r.ok()) return r.status();
  if (!r->metrics) return Status::NotSupported("the daemon sends no metrics (evlogd is older)");
  return std::move(*r->metrics);
}

Result<BackupInfo> Client::Backup(std::string_view dest) {
  return Expect<BackupInfo>(rep_->CallSync(server::BackupRequest{std::string(dest)}));
}

}  // namespace evlog

namespace evlog {

namespace {
Status DoneStatus(Result<server::Response> response) {
  return Expect<server::DoneResponse>(std::move(response)).status();
}
}  // namespace

Result<StreamMetadata> Client::GetStreamMetadata(std::string_view stream) {
  return Expect<StreamMetadata>(
      rep_->CallSync(server::GetStreamMetadataRequest{std::string(stream)}));
}

Status Client::SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata) {
  return DoneStatus(
      rep_->CallSync(server::SetStreamMetadataRequest{std::string(stream), metadata}));
}

Status Client::DeleteStream(std::string_view stream, bool hard) {
  return DoneStatus(rep_->CallSync(server::DeleteStreamRequest{std::string(stream), hard}));
}

Result<Version> Client::TrimStream(std::string_view stream, const TrimOptions& options) {
  return Expect<Version>(rep_->CallSync(server::TrimStreamRequest{std::string(stream), options}));
}

Status Client::SaveSnapshot(std::string_view stream, Version version, std::string_view state) {
  return DoneStatus(rep_->CallSync(
      server::SaveSnapshotRequest{std::string(stream), version, std::string(state)}));
}

Result<std::optional<Snapshot>> Client::LoadSnapshot(std::string_view stream) {
  auto r = Expect<server::SnapshotResponse>(
      rep_->CallSync(server::LoadSnapshotRequest{std::string(stream)}));
  if (!r.ok()) return r.status();
  return std::move(r->snapshot);
}

Result<std::optional<std::string>> Client::ViewGet(std::string_view view, std::string_view key) {
  auto r = Expect<server::ViewValueResponse>(
      rep_->CallSync(server::ViewGetRequest{std::string(view), std::string(key)}));
  if (!r.ok()) return r.status();
  return std::move(r->value);
}

Result<std::vector<std::pair<std::string, std::string>>> Client::ViewScan(
    std::string_view view, std::string_view prefix, size_t max_count, std::string_view start_after) {
  server::ViewScanRequest request{std::string(view), std::string(prefix), max_count,
                                  std::string(start_after)};
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    auto page = Expect<server::ViewRowsResponse>(rep_->CallSync(request));
    if (!page.ok()) return page.status();
    const size_t got = page->rows.size();
    if (got == 0) break;
    request.start_after = page->rows.back().first;
    for (auto& row : page->rows) out.push_back(std::move(row));
    if (!page->truncated || got >= request.max_count) break;
    if (request.max_count != SIZE_MAX) request.max_count -= got;
  }
  return out;
}

Result<Store::ViewProgress> Client::ViewWait(std::string_view view, Position position,
                                             std::chrono::milliseconds timeout) {
  return Expect<Store::ViewProgress>(
      rep_->CallSync(server::ViewWaitRequest{std::string(view), position, timeout}));
}

Result<VerifyReport> Client::Verify() {
  return Expect<VerifyReport>(rep_->CallSync(server::VerifyRequest{}));
}

Status Client::RequestViewRebuild(std::string_view view) {
  return DoneStatus(rep_->CallSync(server::ViewRebuildRequest{std::string(view), false}));
}

Status Client::CancelViewRebuild(std::string_view view) {
  return DoneStatus(rep_->CallSync(server::ViewRebuildRequest{std::string(view), true}));
}

Result<Store::ViewProgress> Client::GetViewProgress(std::string_view view) {
  return Expect<Store::ViewProgress>(
      rep_->CallSync(server::GetViewProgressRequest{std::string(view)}));
}

Result<Position> Client::GetCheckpoint(std::string_view name) {
  return Expect<Position>(rep_->CallSync(server::GetCheckpointRequest{std::string(name)}));
}

Status Client::SetCheckpoint(std::string_view name, Position position) {
  return DoneStatus(rep_->CallSync(server::SetCheckpointRequest{std::string(name), position}));
}

Result<std::vector<SubscriptionInfo>> Client::ListSubscriptions() {
  auto r =
      Expect<server::SubscriptionsResponse>(rep_->CallSync(server::ListSubscriptionsRequest{}));
  if (!r.ok()) return r.status();
  return std::move(r->subscriptions);
}

Result<std::vector<ParkedEvent>> Client::ListParked(std::string_view name) {
  auto r =
      Expect<server::ParkedResponse>(rep_->CallSync(server::ListParkedRequest{std::string(name)}));
  if (!r.ok()) return r.status();
  return std::move(r->events);
}

Result<uint64_t> Client::ReplayParked(std::string_view name) {
  auto r =
      Expect<server::CountResponse>(rep_->CallSync(server::ReplayParkedRequest{std::string(name)}));
  if (!r.ok()) return r.status();
  return r->count;
}

}  // namespace evlog

namespace evlog {

Result<std::unique_ptr<RemoteSubscription>> Client::Subscribe(RemoteSubscribeOptions options,
                                                              SubscriptionCallback on_events) {
  Rep* rep = rep_.get();
  const uint64_t id = rep->next_id.fetch_add(1);
  auto position = std::make_shared<std::atomic<uint64_t>>(0);
  Rep::Pushed pushed{std::move(on_events), std::max<uint64_t>(options.window, 1),
                     options.auto_credit, 0, position, options.feed};
  std::promise<Result<server::Response>> promise;
  auto future = promise.get_future();
  rep->CallAs(
      id, server::SubscribeRequest{options.feed, pushed.window},
      [rep, id, position, &promise](Result<server::Response> r) {
        auto it = rep->subscriptions.find(id);
        if (!r.ok() || !std::holds_alternative<server::SubscribedResponse>(r->body)) {
          if (it != rep->subscriptions.end()) rep->subscriptions.erase(it);
        } else if (it != rep->subscriptions.end()) {
          // Pushes may have moved it on already.
          uint64_t none = 0;
          position->compare_exchange_strong(
              none, std::get<server::SubscribedResponse>(r->body).position.value());
          it->second.subscribed = true;
        }
        promise.set_value(std::move(r));
      },
      [rep, id, pushed = std::move(pushed)]() mutable {
        rep->subscriptions.emplace(id, std::move(pushed));
      });
  auto subscribed = Expect<server::SubscribedResponse>(future.get());
  if (!subscribed.ok()) return subscribed.status();
  return std::unique_ptr<RemoteSubscription>(new RemoteSubscription(rep, id, position));
}

RemoteSubscription::~RemoteSubscription() {
  if (!cancelled_) (void)Cancel();
}

void RemoteSubscription::Grant(uint64_t events) {
  rep_->SendNoReply(server::CreditRequest{id_, events});
}

Status RemoteSubscription::Cancel() {
  cancelled_ = true;
  Client::Rep* rep = rep_;
  const uint64_t id = id_;
  std::promise<Result<server::Response>> promise;
  auto future = promise.get_future();
  rep->Call(server::UnsubscribeRequest{id}, [rep, id, &promise](Result<server::Response> r) {
    // After Done no push follows; on error the session is gone anyway.
    rep->subscriptions.erase(id);
    promise.set_value(std::move(r));
  });
  return Expect<server::DoneResponse>(future.get()).status();
}

Position RemoteSubscription::position() const { return Position(position_->load()); }

}  // namespace evlog
