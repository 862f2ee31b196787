// The embedded Backend: every call goes straight to an open Store.

#include "cli/backend.h"

#include <thread>

namespace evlog::cli {

namespace {

Status Drain(EventIterator& it, const Backend::EventSink& each) {
  for (; it.Valid(); it.Next()) each(it.event());
  return it.status();
}

class EmbeddedBackend final : public Backend {
 public:
  explicit EmbeddedBackend(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  Result<AppendResult> Append(AppendRequest request) override {
    return store_->Append(std::move(request));
  }

  Status ReadStream(std::string_view stream, const ReadStreamOptions& options,
                    const EventSink& each) override {
    auto it = store_->ReadStream(stream, options);
    if (!it.ok()) return it.status();
    return Drain(**it, each);
  }

  Status ReadAll(const ReadAllOptions& options, const EventSink& each) override {
    auto it = store_->ReadAll(options);
    return Drain(*it, each);
  }

  Result<std::vector<StreamInfo>> ListStreams(const ListStreamsOptions& options) override {
    return store_->ListStreams(options);
  }

  Result<StoreStats> Stats() override { return store_->Stats(); }
  Result<MetricsSnapshot> Metrics() override { return store_->Metrics(); }
  Result<VerifyReport> Verify() override { return store_->Verify(); }
  Result<BackupInfo> Backup(std::string_view dest) override { return store_->Backup(dest); }

  Status Tail(const ChangeFeedOptions& options, bool follow, const EventSink& each) override {
    auto feed = store_->OpenFeed(options);
    if (!feed.ok()) return feed.status();
    FeedBatch batch;
    for (;;) {
      // Without follow, deliver what is committed now and stop.
      auto timeout = follow ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0);
      const Position before = (*feed)->position();
      if (Status s = (*feed)->Next(timeout, &batch); !s.ok()) return s;
      for (const OwnedEvent& e : batch.events) each(e.view());
      // An empty batch that moved the position only skipped filtered events.
      if (batch.events.empty() && !follow && batch.position == before) return Status::OK();
    }
  }

  Result<StreamMetadata> GetStreamMetadata(std::string_view stream) override {
    return store_->GetStreamMetadata(stream);
  }
  Status SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata) override {
    return store_->SetStreamMetadata(stream, metadata);
  }
  Status DeleteStream(std::string_view stream, bool hard) override {
    return store_->DeleteStream(stream, hard);
  }
  Result<Version> TrimStream(std::string_view stream, const TrimOptions& options) override {
    return store_->TrimStream(stream, options);
  }
  Result<std::optional<Snapshot>> LoadSnapshot(std::string_view stream) override {
    return store_->LoadSnapshot(stream);
  }

  Result<std::optional<std::string>> ViewGet(std::string_view view, std::string_view key) override {
    return store_->ViewGet(view, key);
  }
  Result<std::vector<std::pair<std::string, std::string>>> ViewScan(
      std::string_view view, std::string_view prefix) override {
    return store_->ViewScan(view, prefix);
  }
  Status RequestViewRebuild(std::string_view view) override {
    return store_->RequestViewRebuild(view);
  }
  Status CancelViewRebuild(std::string_view view) override {
    store_->CancelViewRebuild(view);
    return Status::OK();
  }
  Result<Store::ViewProgress> GetViewProgress(std::string_view view) override {
    return store_->GetViewProgress(view);
  }
  // The view runs in another process: follow the progress it stores.
  Result<Store::ViewProgress> ViewWait(std::string_view view, Position position,
                                       std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (Status s = store_->CatchUp(); !s.ok()) return s;
      Result<Store::ViewProgress> p = store_->GetViewProgress(view);
      if (!p.ok() || p->position >= position) return p;
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::TimedOut("view '" + std::string(view) + "' is at position " +
                                std::to_string(p->position.value()) + ", waited for " +
                                std::to_string(position.value()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  Status CatchUp() override { return store_->CatchUp(); }

  Result<std::vector<SubscriptionInfo>> ListSubscriptions() override {
    return store_->ListSubscriptions();
  }
  Result<std::vector<ParkedEvent>> ListParked(std::string_view name) override {
    return store_->ListParked(name);
  }
  Result<uint64_t> ReplayParked(std::string_view name) override {
    return store_->ReplayParked(name);
  }

 private:
  std::unique_ptr<Store> store_;
};

}  // namespace

Result<std::unique_ptr<Backend>> OpenEmbedded(const std::string& db, OpenMode mode) {
  Options options;
  options.read_only = mode == OpenMode::kRead;
  options.create_if_missing = mode == OpenMode::kCreate;
  auto store = Store::Open(options, db);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Backend>(new EmbeddedBackend(std::move(store).value()));
}

#ifdef EVLOG_CLI_NO_REMOTE
Result<std::unique_ptr<Backend>> ConnectRemote(const Target&) {
  return Status::NotSupported(
      "this evlog was built without the daemon client (EVLOG_BUILD_SERVER)");
}
#endif

}  // namespace evlog::cli
