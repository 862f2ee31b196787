// Reads run where RunRead puts them (the server: a small thread pool, so a
// long read never stalls the network thread); appends go through
// Store::AppendAsync and reply from the writer's callback.

#include "dispatcher.h"

#include <algorithm>
#include <thread>

#include "backup_dest.h"
#include "response_bytes.h"

namespace evlog::server {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    const unsigned char other = b.empty() ? 0 : static_cast<unsigned char>(b[i % b.size()]);
    diff |= static_cast<unsigned char>(a[i]) ^ other;
  }
  return diff == 0;
}

Dispatcher::Dispatcher(Store& store, DispatcherOptions options, RunRead run_read,
                       RunLater run_later)
    : store_(store),
      options_(std::move(options)),
      run_read_(std::move(run_read)),
      run_later_(std::move(run_later)) {
  if (!run_read_) run_read_ = [](std::function<void()> read) { read(); };
  if (!run_later_) {
    run_later_ = [](std::chrono::milliseconds delay, std::function<void()> work) {
      std::this_thread::sleep_for(delay);
      work();
    };
  }
}

Dispatcher::~Dispatcher() {
  if (backup_thread_.joinable()) backup_thread_.join();
}

void Dispatcher::StartBackup(uint64_t id, std::string dest, Reply reply) {
  Result<std::string> path = ResolveBackupDest(options_.backup_dir, dest);
  if (!path.ok()) {
    reply(EncodeError(id, path.status()));
    return;
  }
  dest = std::move(*path);
  std::unique_lock<std::mutex> lock(backup_mu_);
  if (backup_running_) {
    lock.unlock();
    reply(EncodeError(id, Status::Busy("a backup is already running in this evlogd")));
    return;
  }
  if (backup_thread_.joinable()) backup_thread_.join();  // finished: it cleared backup_running_
  backup_running_ = true;
  backup_thread_ = std::thread([this, id, dest = std::move(dest), reply = std::move(reply)] {
    Result<BackupInfo> info = store_.Backup(dest);
    {
      std::lock_guard<std::mutex> done(backup_mu_);
      backup_running_ = false;
    }
    reply(info.ok() ? EncodeBackupOk(id, info.value()) : EncodeError(id, info.status()));
  });
}

std::variant<std::string, ProtocolError> Dispatcher::Hello(uint64_t request_id,
                                                           const HelloRequest& hello) const {
  if (hello.protocol_version != kProtocolVersion) {
    return ProtocolError{ProtocolCode::kUnsupportedProtocolVersion,
                         "this server speaks protocol version " + std::to_string(kProtocolVersion) +
                             ", the client asked for " + std::to_string(hello.protocol_version),
                         request_id};
  }
  if (!options_.token.empty() && !ConstantTimeEquals(options_.token, hello.token)) {
    return ProtocolError{ProtocolCode::kUnauthenticated, "wrong or missing token", request_id};
  }
  return EncodeHelloOk(request_id, HelloOkResponse{kProtocolVersion, options_.max_frame_bytes,
                                                   options_.max_in_flight, true, true, true, true});
}

void Dispatcher::Handle(Request request, Reply reply, size_t max_response_bytes) {
  const uint64_t id = request.request_id;
  const size_t max_bytes = max_response_bytes == 0
                               ? options_.max_response_bytes
                               : std::min(max_response_bytes, options_.max_response_bytes);
  if (auto* append = std::get_if<AppendRequest>(&request.body)) {
    store_.AppendAsync(std::move(*append), [id,
                                            reply = std::move(reply)](Result<AppendResult> result) {
      reply(result.ok() ? EncodeAppendOk(id, result.value()) : EncodeError(id, result.status()));
    });
    return;
  }
  if (auto* wait = std::get_if<ViewWaitRequest>(&request.body)) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::min(wait->timeout, options_.max_view_wait);
    run_read_([this, id, wait = std::move(*wait), deadline, reply = std::move(reply)]() mutable {
      ViewWait(id, std::move(wait), deadline, std::move(reply));
    });
    return;
  }
  if (auto* backup = std::get_if<BackupRequest>(&request.body)) {
    StartBackup(id, std::move(backup->dest), std::move(reply));
    return;
  }
  if (std::holds_alternative<HelloRequest>(request.body)) {
    reply(EncodeProtocolError(
        ProtocolError{ProtocolCode::kUnknownRequest, "the session already said Hello", id}));
    return;
  }
  run_read_([this, request = std::move(request), reply = std::move(reply), max_bytes]() mutable {
    reply(Read(std::move(request), max_bytes));
  });
}

std::string Dispatcher::Read(Request request, size_t max_bytes) {
  const uint64_t id = request.request_id;
  struct Visitor {
    Dispatcher& d;
    uint64_t id;
    size_t max_bytes;
    std::string operator()(ReadStreamRequest& r) { return d.ReadStream(id, r, max_bytes); }
    std::string operator()(ReadAllRequest& r) { return d.ReadAll(id, r, max_bytes); }
    std::string operator()(ReadQueryRequest& r) { return d.ReadQuery(id, r, max_bytes); }
    std::string operator()(ListStreamsRequest& r) { return d.ListStreams(id, r); }
    std::string operator()(StreamVersionRequest& r) {
      Result<Version> v = d.store_.StreamVersion(r.stream);
      return v.ok() ? EncodeStreamVersion(id, v.value()) : EncodeError(id, v.status());
    }
    std::string operator()(StatsRequest&) {
      Result<StoreStats> s = d.store_.Stats();
      if (!s.ok()) return EncodeError(id, s.status());
      Result<MetricsSnapshot> m = d.store_.Metrics();
      return m.ok() ? EncodeStats(id, s.value(), m.value()) : EncodeError(id, m.status());
    }
    std::string operator()(GetStreamMetadataRequest& r) {
      Result<StreamMetadata> m = d.store_.GetStreamMetadata(r.stream);
      return m.ok() ? EncodeStreamMetadata(id, m.value()) : EncodeError(id, m.status());
    }
    std::string operator()(SetStreamMetadataRequest& r) {
      return Done(d.store_.SetStreamMetadata(r.stream, r.metadata, r.options));
    }
    std::string operator()(DeleteStreamRequest& r) {
      return Done(d.store_.DeleteStream(r.stream, r.hard));
    }
    std::string operator()(TrimStreamRequest& r) {
      Result<Version> v = d.store_.TrimStream(r.stream, r.options);
      return v.ok() ? EncodeStreamVersion(id, v.value()) : EncodeError(id, v.status());
    }
    std::string operator()(TrimRequest& r) {
      Result<TrimResult> t = d.store_.Trim(r.stream, r.options);
      return t.ok() ? EncodeTrimResult(id, t.value()) : EncodeError(id, t.status());
    }
    std::string operator()(LoadSnapshotRequest& r) {
      Result<std::optional<Snapshot>> s = d.store_.LoadSnapshot(r.stream);
      return s.ok() ? EncodeSnapshot(id, SnapshotResponse{std::move(s).value()})
                    : EncodeError(id, s.status());
    }
    std::string operator()(SaveSnapshotRequest& r) {
      return Done(d.store_.SaveSnapshot(r.stream, r.version, r.state));
    }
    std::string operator()(ViewGetRequest& r) {
      Result<std::optional<std::string>> v = d.store_.ViewGet(r.view, r.key);
      return v.ok() ? EncodeViewValue(id, ViewValueResponse{std::move(v).value()})
                    : EncodeError(id, v.status());
    }
    std::string operator()(ViewScanRequest& r) { return d.ViewScan(id, r, max_bytes); }
    std::string operator()(ViewRebuildRequest& r) {
      if (r.cancel) {
        return Done(d.store_.CancelViewRebuild(r.view));
      }
      return Done(d.store_.RequestViewRebuild(r.view));
    }
    std::string operator()(GetViewProgressRequest& r) {
      Result<Store::ViewProgress> p = d.store_.GetViewProgress(r.view);
      return p.ok() ? EncodeViewProgress(id, p.value()) : EncodeError(id, p.status());
    }
    std::string operator()(VerifyRequest&) {
      Result<VerifyReport> r = d.store_.Verify();
      return r.ok() ? EncodeVerifyReport(id, r.value()) : EncodeError(id, r.status());
    }
    std::string operator()(GetCheckpointRequest& r) {
      Result<Position> p = d.store_.GetCheckpoint(r.name);
      return p.ok() ? EncodeCheckpoint(id, p.value()) : EncodeError(id, p.status());
    }
    std::string operator()(SetCheckpointRequest& r) {
      return Done(d.store_.SetCheckpoint(r.name, r.position));
    }
    std::string operator()(ListViewsRequest&) {
      Result<std::vector<Store::ViewInfo>> v = d.store_.ListViews();
      return v.ok() ? EncodeViews(id, ViewsResponse{std::move(v).value()})
                    : EncodeError(id, v.status());
    }
    std::string operator()(ListSubscriptionsRequest&) {
      Result<std::vector<SubscriptionInfo>> s = d.store_.ListSubscriptions();
      return s.ok() ? EncodeSubscriptions(id, SubscriptionsResponse{std::move(s).value()})
                    : EncodeError(id, s.status());
    }
    std::string operator()(ListParkedRequest& r) {
      Result<std::vector<ParkedEvent>> p = d.store_.ListParked(r.name);
      return p.ok() ? EncodeParked(id, ParkedResponse{std::move(p).value()})
                    : EncodeError(id, p.status());
    }
    std::string operator()(ReplayParkedRequest& r) {
      Result<uint64_t> n = d.store_.ReplayParked(r.name);
      return n.ok() ? EncodeCount(id, n.value()) : EncodeError(id, n.status());
    }
    std::string operator()(CreateSubscriptionRequest& r) {
      Result<bool> created = d.store_.CreateSubscription(r.spec);
      return created.ok() ? EncodeSubscriptionCreated(id, *created)
                          : EncodeError(id, created.status());
    }
    std::string operator()(DeleteSubscriptionRequest& r) {
      return Done(d.store_.DeleteSubscription(r.name));
    }
    // Handled by the session.
    std::string operator()(SubscribeRequest&) { return NotHere(); }
    std::string operator()(CreditRequest&) { return NotHere(); }
    std::string operator()(UnsubscribeRequest&) { return NotHere(); }
    std::string operator()(OpenConsumerRequest&) { return NotHere(); }
    std::string operator()(ConsumerFetchRequest&) { return NotHere(); }
    std::string operator()(ConsumerAckRequest&) { return NotHere(); }
    std::string operator()(ConsumerNackRequest&) { return NotHere(); }
    std::string operator()(CloseConsumerRequest&) { return NotHere(); }
    std::string NotHere() {
      return EncodeError(
          id, Status::InvalidArgument("subscriptions and consumers are served by a session"));
    }
    // On the read pool, as Verify: it blocks until every file is rewritten.
    std::string operator()(CompactRequest&) { return Done(d.store_.Compact()); }
    std::string Done(const Status& s) { return s.ok() ? EncodeDone(id) : EncodeError(id, s); }
    // Handled in Handle.
    std::string operator()(HelloRequest&) { return {}; }
    std::string operator()(AppendRequest&) { return {}; }
    std::string operator()(ViewWaitRequest&) { return {}; }
    std::string operator()(BackupRequest&) { return {}; }
  };
  return std::visit(Visitor{*this, id, max_bytes}, request.body);
}

namespace {

// What an event's fixed fields cost in a FlatBuffers response beyond its
// strings: position, version, id, time and content type, the table's
// vtable and offsets, each string's length prefix and padding.
constexpr size_t kWireEventBytes = 128;

// Copies events into `writer`, one Take at a time, until `max_count`
// events or until the response would pass `max_bytes`.
class ResponseFill {
 public:
  ResponseFill(size_t max_count, size_t max_bytes, const DispatcherOptions& options,
               EventsWriter& writer)
      : max_count_(max_count),
        limit_(std::min(max_count, options.max_read_events)),
        max_bytes_(max_bytes),
        writer_(writer) {}

  // Copies `e`; false, copying nothing, once the response is full.
  bool Take(const RecordedEvent& e) {
    if (writer_.count() == max_count_) return false;
    const size_t next_bytes = EventResponseBytes(e, kWireEventBytes);
    if (writer_.count() == limit_ ||
        (writer_.count() > 0 && writer_.bytes() + next_bytes > max_bytes_)) {
      truncated_ = true;
      return false;
    }
    writer_.Add(e);
    return true;
  }

  // Whether it stopped at the response limit with events left.
  bool truncated() const { return truncated_; }

 private:
  const size_t max_count_;
  const size_t limit_;
  const size_t max_bytes_;
  EventsWriter& writer_;
  bool truncated_ = false;
};

// Copies events into `writer` until the iterator ends or the response is
// full (ResponseFill). Returns whether it stopped at the response limit
// with events left (truncated).
bool Fill(EventIterator& it, size_t max_count, size_t max_bytes, const DispatcherOptions& options,
          EventsWriter& writer) {
  ResponseFill fill(max_count, max_bytes, options, writer);
  for (; it.Valid() && fill.Take(it.event()); it.Next()) {
  }
  return fill.truncated();
}

}  // namespace

std::string Dispatcher::ReadQuery(uint64_t id, const ReadQueryRequest& request, size_t max_bytes) {
  // Each event goes from the store's read straight into the response; the
  // fill's Take stops the read once the response is full.
  EventsWriter writer;
  ResponseFill fill(request.options.max_count, max_bytes, options_, writer);
  Result<Position> head = store_.ReadEach(request.query, request.options,
                                          [&](const RecordedEvent& e) { return fill.Take(e); });
  if (!head.ok()) return EncodeError(id, head.status());
  return writer.FinishQueryResult(id, *head, fill.truncated());
}

std::string Dispatcher::ReadStream(uint64_t id, const ReadStreamRequest& request,
                                   size_t max_bytes) {
  Result<std::unique_ptr<EventIterator>> it = store_.ReadStream(request.stream, request.options);
  if (!it.ok()) return EncodeError(id, it.status());
  EventsWriter writer;
  const bool truncated = Fill(**it, request.options.max_count, max_bytes, options_, writer);
  if (Status s = (*it)->status(); !s.ok()) return EncodeError(id, s);
  return writer.Finish(id, truncated);
}

std::string Dispatcher::ReadAll(uint64_t id, const ReadAllRequest& request, size_t max_bytes) {
  Result<std::unique_ptr<EventIterator>> it = store_.ReadAll(request.options);
  if (!it.ok()) return EncodeError(id, it.status());
  EventsWriter writer;
  const bool truncated = Fill(**it, request.options.max_count, max_bytes, options_, writer);
  if (Status s = (*it)->status(); !s.ok()) return EncodeError(id, s);
  return writer.Finish(id, truncated);
}

void Dispatcher::ViewWait(uint64_t id, ViewWaitRequest request,
                          std::chrono::steady_clock::time_point deadline, Reply reply) {
  Result<Store::ViewProgress> p = store_.GetViewProgress(request.view);
  if (!p.ok()) return reply(EncodeError(id, p.status()));
  if (p->position >= request.position) return reply(EncodeViewProgress(id, p.value()));
  const auto now = std::chrono::steady_clock::now();
  if (now >= deadline) {
    return reply(EncodeError(
        id, Status::TimedOut("view '" + request.view + "' is at position " +
                             std::to_string(p->position.value()) + ", waited for " +
                             std::to_string(request.position.value()))));
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
  run_later_(std::min(options_.view_wait_poll, left + std::chrono::milliseconds(1)),
             [this, id, request = std::move(request), deadline, reply = std::move(reply)]() mutable {
               ViewWait(id, std::move(request), deadline, std::move(reply));
             });
}

std::string Dispatcher::ViewScan(uint64_t id, const ViewScanRequest& request,
                                 size_t max_bytes) {
  // One more than fits, to know whether the answer is truncated.
  const size_t cap = std::min(request.max_count, options_.max_read_events);
  Result<std::vector<std::pair<std::string, std::string>>> rows =
      store_.ViewScan(request.view, request.prefix, cap == SIZE_MAX ? cap : cap + 1,
                      request.start_after);
  if (!rows.ok()) return EncodeError(id, rows.status());
  ViewRowsResponse response;
  size_t bytes = 0;
  for (auto& row : *rows) {
    if (response.rows.size() == request.max_count) break;
    bytes += row.first.size() + row.second.size() + 16;
    if (response.rows.size() == cap ||
        (!response.rows.empty() && bytes > max_bytes)) {
      response.truncated = true;
      break;
    }
    response.rows.push_back(std::move(row));
  }
  return EncodeViewRows(id, response);
}

std::string Dispatcher::ListStreams(uint64_t id, const ListStreamsRequest& request) {
  ListStreamsOptions options = request.options;
  // One more than fits, to know whether the answer is truncated.
  const size_t cap = options_.max_list_streams;
  const bool capped = options.max_count > cap;
  if (capped) options.max_count = cap + 1;
  Result<std::vector<StreamInfo>> streams = store_.ListStreams(options);
  if (!streams.ok()) return EncodeError(id, streams.status());
  StreamsResponse response;
  response.streams = std::move(streams).value();
  if (capped && response.streams.size() > cap) {
    response.streams.resize(cap);
    response.truncated = true;
  }
  return EncodeStreams(id, response);
}

}  // namespace evlog::server
