// Store::Follow: the embedded FeedFollower. A thread of its own reads a
// ChangeFeed and hands each non-empty batch to the callback.
//
// Invariant: the callback never holds more events beyond those granted
// than the window: a batch is read only while credits remain, and never
// larger than the credits left (ChangeFeed::set_max_batch_events).

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "evlog/store.h"

namespace evlog {

namespace {

// How long one look at the feed waits for a commit before it checks for
// Cancel again.
constexpr std::chrono::milliseconds kLook{100};

class EmbeddedFollower final : public FeedFollower {
 public:
  EmbeddedFollower(std::unique_ptr<ChangeFeed> feed, const FollowOptions& options,
                   EventStore::FollowCallback on_events)
      : feed_(std::move(feed)),
        max_batch_(std::max<size_t>(options.feed.max_batch_events, 1)),
        auto_credit_(options.auto_credit),
        credits_(std::max<uint64_t>(options.window, 1)),
        on_events_(std::move(on_events)),
        position_(feed_->position().value()) {
    thread_ = std::thread([this] { Run(); });
  }

  ~EmbeddedFollower() override { (void)Cancel(); }

  void Grant(uint64_t events) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      credits_ += events;
    }
    cv_.notify_all();
  }

  Status Cancel() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return Status::OK();
  }

  Position position() const override { return Position(position_.load()); }

 private:
  void Run() {
    FeedBatch batch;
    for (;;) {
      uint64_t credits = 0;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || credits_ > 0; });
        if (stop_) return;
        credits = credits_;
      }
      feed_->set_max_batch_events(static_cast<size_t>(std::min<uint64_t>(credits, max_batch_)));
      if (Status s = feed_->Next(kLook, &batch); !s.ok()) {
        on_events_(s);
        return;
      }
      if (!batch.events.empty()) {
        const uint64_t n = batch.events.size();
        if (!auto_credit_) {
          std::lock_guard<std::mutex> lock(mu_);
          credits_ -= std::min(credits_, n);
        }
        on_events_(std::move(batch.events));
        batch.events.clear();
      }
      // After the callback: a consumer that has handled everything handed
      // over may take position() as its checkpoint.
      position_.store(batch.position.value());
    }
  }

  std::unique_ptr<ChangeFeed> feed_;
  const size_t max_batch_;
  const bool auto_credit_;
  std::mutex mu_;
  std::condition_variable cv_;  // credits granted, or stopping
  uint64_t credits_;
  bool stop_ = false;
  EventStore::FollowCallback on_events_;
  std::atomic<uint64_t> position_;
  std::thread thread_;  // last: starts once the rest is set
};

}  // namespace

Result<std::unique_ptr<FeedFollower>> Store::Follow(FollowOptions options,
                                                    FollowCallback on_events) {
  if (!on_events) return Status::InvalidArgument("Follow needs a callback");
  Result<std::unique_ptr<ChangeFeed>> feed = OpenFeed(options.feed);
  if (!feed.ok()) return feed.status();
  return std::unique_ptr<FeedFollower>(
      new EmbeddedFollower(std::move(feed).value(), options, std::move(on_events)));
}

}  // namespace evlog
