// The calls: each a request to evlogd and the expected answer. Reads and
// listings page through the daemon's responses.

#include <algorithm>

#include "client_rep.h"

namespace evlog {

using server::Response;

namespace {

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

// An evlogd older than tags (#19) ignores the fields it does not know:
// sent to it, events would be stored untagged and a query condition not
// checked. Such an append is refused instead, and nothing is sent.
Status CheckServedRemotely(const AppendRequest& request, const DaemonFeatures& served) {
  if (request.duplicates == DuplicatePolicy::kSkip && !served.skip_duplicates) {
    return Status::NotSupported(
        "this evlogd is older than the duplicate policy skip; nothing was sent");
  }
  if (served.tags_and_queries) return Status::OK();
  if (request.condition && request.condition->fail_if_events_match) {
    return Status::NotSupported(
        "this evlogd is older than fail_if_events_match conditions; nothing was sent");
  }
  for (const StreamAppend& s : request.streams) {
    for (const EventData& e : s.events) {
      if (!e.tags.empty()) {
        return Status::NotSupported("this evlogd is older than event tags; nothing was sent");
      }
    }
  }
  return Status::OK();
}

Status DoneStatus(Result<server::Response> response) {
  return Expect<server::DoneResponse>(std::move(response)).status();
}

}  // namespace


Result<AppendResult> Client::Append(AppendRequest request) {
  if (Status s = CheckServedRemotely(request, rep_->features); !s.ok()) return s;
  if (rep_->options.reconnect_for.count() > 0) GiveIds(request);
  return Expect<AppendResult>(rep_->CallSync(std::move(request)));
}

void Client::AppendAsync(AppendRequest request, AppendCallback done) {
  if (Status s = CheckServedRemotely(request, rep_->features); !s.ok()) {
    done(s);
    return;
  }
  if (rep_->options.reconnect_for.count() > 0) GiveIds(request);
  rep_->Call(std::move(request), [done = std::move(done)](Result<Response> r) {
    done(Expect<AppendResult>(std::move(r)));
  });
}

namespace {

// Events asked for per page: the iterator holds one page at a time.
constexpr size_t kPageEvents = 4096;

}  // namespace

Result<QueryResult> Client::Read(const Query& query, const QueryOptions& options) {
  if (!rep_->features.tags_and_queries) {
    // An older evlogd would answer UnknownRequest and end the session.
    return Status::NotSupported("this evlogd is older than queries; nothing was sent");
  }
  server::ReadQueryRequest request{query, options};
  QueryResult out;
  size_t left = options.max_count;
  bool first = true;
  while (left > 0) {
    const size_t ask = std::min(left, kPageEvents);
    request.options.max_count = ask;
    Result<server::QueryResultResponse> page =
        Expect<server::QueryResultResponse>(rep_->CallSync(request));
    if (!page.ok()) return page.status();
    if (first) {
      out.head = page->head;
      first = false;
    }
    const size_t got = page->events.size();
    bool past_head = false;
    for (OwnedEvent& e : page->events) {
      // A later page sees a newer head: what was committed after the first
      // page is not part of this read.
      if (e.position > out.head) {
        past_head = true;
        break;
      }
      out.events.push_back(std::move(e));
      --left;
    }
    if (past_head || got == 0 || left == 0 || (!page->truncated && got < ask)) break;
    const uint64_t last = out.events.back().position.value();
    if (options.direction == Direction::kForward) {
      request.options.from = Position(last + 1);
    } else if (last <= 1) {
      break;
    } else {
      request.options.from = Position(last - 1);
    }
  }
  if (first) {
    // max_count 0: nothing to return, but the query is still checked and
    // the head still read.
    request.options.max_count = 1;
    Result<server::QueryResultResponse> page =
        Expect<server::QueryResultResponse>(rep_->CallSync(request));
    if (!page.ok()) return page.status();
    out.head = page->head;
  }
  return out;
}

namespace {

// A read through evlogd, a page at a time: ReadStream when `stream` is set,
// else ReadAll. The next page starts after the last event of this one.
class PagedIterator final : public EventIterator {
 public:
  using Call = std::function<Result<Response>(server::RequestBody)>;
  PagedIterator(Call call, std::optional<server::ReadStreamRequest> stream,
                server::ReadAllRequest all)
      : call_(std::move(call)), stream_(std::move(stream)), all_(std::move(all)) {
    left_ = stream_ ? stream_->options.max_count : all_.options.max_count;
  }

  // Reads the first page; its error is the read's.
  Status Start() {
    if (left_ == 0) {
      // Nothing to hand out, but a missing stream is still NotFound.
      left_ = 1;
      Status s = Fetch();
      page_.clear();
      left_ = 0;
      more_ = false;
      return s;
    }
    Status s = Fetch();
    Settle();
    return s;
  }

  bool Valid() const override { return index_ < page_.size(); }
  void Next() override {
    ++index_;
    if (index_ >= page_.size() && more_ && status_.ok()) {
      status_ = Fetch();
    }
    Settle();
  }
  const RecordedEvent& event() const override { return current_; }
  Status status() const override { return status_; }

 private:
  Status Fetch() {
    page_.clear();
    index_ = 0;
    const size_t ask = std::min(left_, kPageEvents);
    if (stream_) {
      stream_->options.max_count = ask;
    } else {
      all_.options.max_count = ask;
    }
    Result<server::EventsResponse> r = Expect<server::EventsResponse>(
        stream_ ? call_(*stream_) : call_(all_));
    more_ = false;
    if (!r.ok()) return r.status();
    page_ = std::move(r->events);
    const size_t got = page_.size();
    left_ -= std::min(left_, got);
    if (got == 0 || left_ == 0 || (!r->truncated && got < ask)) return Status::OK();
    more_ = true;
    if (stream_) {
      const uint64_t last = page_.back().version.value();
      if (stream_->options.direction == Direction::kForward) {
        stream_->options.from = Version(last + 1);
      } else if (last <= 1) {
        more_ = false;
      } else {
        stream_->options.from = Version(last - 1);
      }
    } else {
      all_.options.from = Position(page_.back().position.value() + 1);
    }
    return Status::OK();
  }

  void Settle() {
    if (index_ < page_.size()) current_ = page_[index_].view();
  }

  Call call_;
  std::optional<server::ReadStreamRequest> stream_;
  server::ReadAllRequest all_;
  size_t left_ = 0;
  bool more_ = false;
  std::vector<OwnedEvent> page_;
  size_t index_ = 0;
  RecordedEvent current_;
  Status status_;
};

Result<std::unique_ptr<EventIterator>> StartRead(std::unique_ptr<PagedIterator> it) {
  if (Status s = it->Start(); !s.ok()) return s;
  return std::unique_ptr<EventIterator>(std::move(it));
}

}  // namespace

Result<std::unique_ptr<EventIterator>> Client::ReadStream(std::string_view stream,
                                                          const ReadStreamOptions& options) {
  return StartRead(std::make_unique<PagedIterator>(
      [rep = rep_.get()](server::RequestBody body) { return rep->CallSync(std::move(body)); },
      server::ReadStreamRequest{std::string(stream), options},
      server::ReadAllRequest{}));
}

Result<std::unique_ptr<EventIterator>> Client::ReadAll(const ReadAllOptions& options) {
  return StartRead(std::make_unique<PagedIterator>(
      [rep = rep_.get()](server::RequestBody body) { return rep->CallSync(std::move(body)); },
      std::nullopt, server::ReadAllRequest{options}));
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

Result<StreamMetadata> Client::GetStreamMetadata(std::string_view stream) {
  return Expect<StreamMetadata>(
      rep_->CallSync(server::GetStreamMetadataRequest{std::string(stream)}));
}

Status Client::SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata,
                                 const MetadataOptions& options) {
  return DoneStatus(
      rep_->CallSync(server::SetStreamMetadataRequest{std::string(stream), metadata, options}));
}

Status Client::DeleteStream(std::string_view stream, bool hard) {
  return DoneStatus(rep_->CallSync(server::DeleteStreamRequest{std::string(stream), hard}));
}

Result<Version> Client::TrimStream(std::string_view stream, const TrimOptions& options) {
  return Expect<Version>(rep_->CallSync(server::TrimStreamRequest{std::string(stream), options}));
}

Result<TrimResult> Client::Trim(std::string_view stream, const TrimOptions& options) {
  return Expect<TrimResult>(rep_->CallSync(server::TrimRequest{std::string(stream), options}));
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

Result<std::vector<Store::ViewInfo>> Client::ListViews() {
  if (!rep_->features.list_views) {
    return Status::NotSupported("this evlogd is older than ListViews; nothing was sent");
  }
  auto r = Expect<server::ViewsResponse>(rep_->CallSync(server::ListViewsRequest{}));
  if (!r.ok()) return r.status();
  return std::move(r->views);
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

Status Client::CatchUp() { return Status::OK(); }

Status Client::Compact() { return DoneStatus(rep_->CallSync(server::CompactRequest{})); }

}  // namespace evlog
