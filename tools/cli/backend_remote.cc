// The remote Backend: every call is a request to evlogd through
// evlog::Client. Reads are fetched in pages, so a long read never holds the
// whole result in memory.

#include <algorithm>
#include <future>

#include "cli/backend.h"
#include "client.h"

namespace evlog::cli {

namespace {

// Events asked for per request of a paged read.
constexpr size_t kPageEvents = 4096;

class RemoteBackend final : public Backend {
 public:
  explicit RemoteBackend(std::unique_ptr<Client> client) : client_(std::move(client)) {}

  Result<AppendResult> Append(AppendRequest request) override {
    return client_->Append(std::move(request));
  }

  Status ReadStream(std::string_view stream, const ReadStreamOptions& options,
                    const EventSink& each) override {
    ReadStreamOptions page = options;
    size_t left = options.max_count;
    if (left == 0) {
      // Nothing to print, but a missing stream is still NotFound.
      page.max_count = 1;
      return client_->ReadStream(stream, page).status();
    }
    while (left > 0) {
      page.max_count = std::min(left, kPageEvents);
      auto events = client_->ReadStream(stream, page);
      if (!events.ok()) return events.status();
      for (const OwnedEvent& e : *events) each(e.view());
      if (events->size() < page.max_count) break;
      left -= events->size();
      const uint64_t last = events->back().version.value();
      if (page.direction == Direction::kForward) {
        page.from = Version(last + 1);
      } else {
        if (last <= 1) break;
        page.from = Version(last - 1);
      }
    }
    return Status::OK();
  }

  Status ReadAll(const ReadAllOptions& options, const EventSink& each) override {
    ReadAllOptions page = options;
    size_t left = options.max_count;
    while (left > 0) {
      page.max_count = std::min(left, kPageEvents);
      auto events = client_->ReadAll(page);
      if (!events.ok()) return events.status();
      for (const OwnedEvent& e : *events) each(e.view());
      if (events->size() < page.max_count) break;
      left -= events->size();
      page.from = Position(events->back().position.value() + 1);
    }
    return Status::OK();
  }

  Result<std::vector<StreamInfo>> ListStreams(const ListStreamsOptions& options) override {
    return client_->ListStreams(options);
  }

  Result<StoreStats> Stats() override { return client_->Stats(); }
  Result<MetricsSnapshot> Metrics() override { return client_->Metrics(); }
  Result<VerifyReport> Verify() override { return client_->Verify(); }
  Result<BackupInfo> Backup(std::string_view dest) override { return client_->Backup(dest); }

  Status Tail(const ChangeFeedOptions& options, bool follow, const EventSink& each) override {
    if (follow) return Follow(options, each);
    // What is committed now is a read of the global log from the start
    // point. The log's indexes serve one filter at a time: the type is
    // checked here when both are given.
    ReadAllOptions read;
    switch (options.start.kind()) {
      case FeedStart::Kind::kLatest:
        return Status::OK();
      case FeedStart::Kind::kOldest:
        break;
      case FeedStart::Kind::kAt:
        read.from = options.start.position();
        break;
      case FeedStart::Kind::kAfter:
        read.from = Position(options.start.position().value() + 1);
        break;
    }
    read.category = options.category;
    if (options.category.empty()) read.event_type = options.event_type;
    const std::string& type = options.event_type;
    const bool filter_type = !options.category.empty() && !type.empty();
    return ReadAll(read, [&](const RecordedEvent& e) {
      if (!filter_type || e.type == type) each(e);
    });
  }

  Result<StreamMetadata> GetStreamMetadata(std::string_view stream) override {
    return client_->GetStreamMetadata(stream);
  }
  Status SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata) override {
    return client_->SetStreamMetadata(stream, metadata);
  }
  Status DeleteStream(std::string_view stream, bool hard) override {
    return client_->DeleteStream(stream, hard);
  }
  Result<Version> TrimStream(std::string_view stream, const TrimOptions& options) override {
    return client_->TrimStream(stream, options);
  }
  Result<std::optional<Snapshot>> LoadSnapshot(std::string_view stream) override {
    return client_->LoadSnapshot(stream);
  }
  Result<std::optional<std::string>> ViewGet(std::string_view view, std::string_view key) override {
    return client_->ViewGet(view, key);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ViewScan(
      std::string_view view, std::string_view prefix) override {
    return client_->ViewScan(view, prefix);
  }
  Result<Store::ViewProgress> ViewWait(std::string_view view, Position position,
                                       std::chrono::milliseconds timeout) override {
    return client_->ViewWait(view, position, timeout);
  }
  Status RequestViewRebuild(std::string_view view) override {
    return client_->RequestViewRebuild(view);
  }
  Status CancelViewRebuild(std::string_view view) override {
    return client_->CancelViewRebuild(view);
  }
  Result<Store::ViewProgress> GetViewProgress(std::string_view view) override {
    return client_->GetViewProgress(view);
  }
  // The daemon's reads always see its latest commit.
  Status CatchUp() override { return Status::OK(); }
  Result<std::vector<SubscriptionInfo>> ListSubscriptions() override {
    return client_->ListSubscriptions();
  }
  Result<std::vector<ParkedEvent>> ListParked(std::string_view name) override {
    return client_->ListParked(name);
  }
  Result<uint64_t> ReplayParked(std::string_view name) override {
    return client_->ReplayParked(name);
  }

 private:
  // tail --follow: a pushed subscription; runs until it ends with an error
  // (the process is normally stopped by a signal).
  Status Follow(const ChangeFeedOptions& options, const EventSink& each) {
    std::promise<Status> ended;
    auto sub = client_->Subscribe({.feed = options}, [&](Result<std::vector<OwnedEvent>> events) {
      if (!events.ok()) {
        ended.set_value(events.status());
        return;
      }
      for (const OwnedEvent& e : *events) each(e.view());
    });
    if (!sub.ok()) return sub.status();
    return ended.get_future().get();
  }

  std::unique_ptr<Client> client_;
};

}  // namespace

Result<std::unique_ptr<Backend>> ConnectRemote(const Target& target) {
  const size_t colon = target.connect.rfind(':');
  ClientOptions options;
  options.host = target.connect.substr(0, colon);
  options.port = static_cast<uint16_t>(std::stoul(target.connect.substr(colon + 1)));
  options.token = target.token;
  options.client_name = "evlog-cli";
  auto client = Client::Connect(options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<Backend>(new RemoteBackend(std::move(client).value()));
}

}  // namespace evlog::cli
