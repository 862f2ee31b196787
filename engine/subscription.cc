// Invariant: the checkpoint only moves past an event after the handler
// returned OK for it or it was parked durably; so a crash can repeat a batch
// but never skip one.

#include "subscription.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "change_feed.h"
#include "checkpoint.h"
#include "codec.h"
#include "evlog/store.h"
#include "feed_thread.h"
#include "hash.h"
#include "keys.h"
#include "parked.h"
#include "reader.h"
#include "sequence.h"
#include "writer.h"

namespace evlog {

using checkpoint::kParkedPrefix;

struct Subscription::Rep {
  Db* db = nullptr;
  Writer* writer = nullptr;
  const Options* store_options = nullptr;
  SubscriptionOptions options;
  BatchHandler handler;
  std::string progress_key;
  std::unique_ptr<ChangeFeed> feed;

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> checkpoint{0};

  mutable std::mutex mu;
  std::condition_variable cv;  // checkpoint moved, stopped, or backoff interrupted
  Status status;
  bool finished = false;
  std::thread thread;

  void Run();
  // Delivers `events` with retries, parking or stopping per the policy.
  // False when the subscription must stop (status set unless asked to).
  bool Deliver(const std::vector<OwnedEvent>& events);
  // Runs the handler up to max_attempts times; the last error in `error`.
  bool Attempt(const std::vector<OwnedEvent>& events, Status* error);
  Status Park(const OwnedEvent& event, const Status& error);
  Status Commit(Position position);
  bool ReplayParked();
  // Sleeps before attempt `attempt` + 1; false if stopping.
  bool Backoff(uint32_t attempt);
  void Finish(Status s);
  // The Subscription that owns `rep` (and starts its thread).
  static std::unique_ptr<Subscription> Start(std::unique_ptr<Rep> rep) {
    return std::unique_ptr<Subscription>(new Subscription(std::move(rep)));
  }
};

bool Subscription::Rep::Backoff(uint32_t attempt) {
  auto wait = options.initial_backoff;
  for (uint32_t i = 1; i < attempt && wait < options.max_backoff; ++i) wait *= 2;
  wait = std::min(wait, options.max_backoff);
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, wait, [this] { return stop.load(); });
  return !stop.load();
}

bool Subscription::Rep::Attempt(const std::vector<OwnedEvent>& events, Status* error) {
  for (uint32_t attempt = 1;; ++attempt) {
    Status s = handler(events);
    if (s.ok()) return true;
    *error = std::move(s);
    if (attempt >= options.max_attempts || !Backoff(attempt)) return false;
  }
}

bool Subscription::Rep::Deliver(const std::vector<OwnedEvent>& events) {
  Status error;
  if (Attempt(events, &error)) return true;
  if (stop.load()) return false;
  // The batch keeps failing: find the events that fail on their own.
  std::vector<OwnedEvent> one(1);
  for (const OwnedEvent& e : events) {
    if (events.size() > 1) {
      one[0] = e;
      if (Attempt(one, &error)) continue;
      if (stop.load()) return false;
    }
    if (options.on_failure == FailurePolicy::kStop) {
      Finish(Status(error));
      return false;
    }
    if (Status s = Park(e, error); !s.ok()) {
      Finish(std::move(s));
      return false;
    }
  }
  return true;
}

Status Subscription::Rep::Park(const OwnedEvent& e, const Status& error) {
  return parked::Park(*writer, *store_options, options.name, e, error);
}

Status Subscription::Rep::Commit(Position position) {
  if (position.value() <= checkpoint.load()) return Status::OK();
  if (Status s = checkpoint::Put(*db, progress_key, position.value()); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu);
    checkpoint.store(position.value());
  }
  cv.notify_all();
  return Status::OK();
}

bool Subscription::Rep::ReplayParked() {
  uint64_t replay_to = 0, replayed = 0;
  Status s = checkpoint::Get(*db, keys::ReplayToKey(options.name), 0, &replay_to);
  if (s.ok()) s = checkpoint::Get(*db, keys::ReplayedKey(options.name), 0, &replayed);
  if (!s.ok()) {
    Finish(std::move(s));
    return false;
  }
  if (replay_to <= replayed) return true;
  std::vector<OwnedEvent> parked;
  {
    StreamHead head;
    if (s = LoadStreamHead(*db, rocksdb::ReadOptions(), checkpoint::ParkedStream(options.name),
                           &head);
        !s.ok()) {
      Finish(std::move(s));
      return false;
    }
    if (head.id != 0) {
      ReadStreamOptions read{.from = Version(replayed + 1), .max_count = replay_to - replayed};
      auto it = NewStreamIterator(*db, head.id, read);
      codec::AlignedBuffer scratch;
      for (; it->Valid(); it->Next()) {
        RecordedEvent original;
        if (s = codec::DecodeEvent(it->event().data, &scratch, &original); !s.ok()) break;
        parked.push_back(OwnedEvent::From(original));
      }
      if (s.ok()) s = it->status();
    }
  }
  if (!s.ok()) {
    Finish(std::move(s));
    return false;
  }
  for (const OwnedEvent& e : parked) {
    if (!Deliver({e})) return false;
  }
  if (s = checkpoint::Put(*db, keys::ReplayedKey(options.name), replay_to); !s.ok()) {
    Finish(std::move(s));
    return false;
  }
  return true;
}

void Subscription::Rep::Finish(Status s) { FinishFeedThread(*this, std::move(s)); }

void Subscription::Rep::Run() {
  FeedBatch batch;
  std::vector<OwnedEvent> mine;
  while (!stop.load()) {
    if (!ReplayParked()) return;
    Status s = feed->Next(std::chrono::hours(1), &batch);
    if (!s.ok()) {
      Finish(s.IsAborted() ? Status::OK() : s);
      return;
    }
    // Parked events are not fed back to subscriptions (a failing event
    // would loop); they come back only through ReplayParked.
    mine.clear();
    for (OwnedEvent& e : batch.events) {
      if (e.stream.starts_with(kParkedPrefix)) continue;
      if (options.group_size > 1 && Fnv1a64(e.stream) % options.group_size != options.member) {
        continue;
      }
      mine.push_back(std::move(e));
    }
    if (!mine.empty() && !Deliver(mine)) {
      if (stop.load()) break;
      return;
    }
    if (Status c = Commit(batch.position); !c.ok()) {
      Finish(std::move(c));
      return;
    }
  }
  Finish(Status::OK());
}

Subscription::Subscription(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) { StartFeedThread(*rep_); }

Subscription::~Subscription() { Stop(); }

void Subscription::Stop() { StopFeedThread(*rep_); }

Position Subscription::checkpoint() const { return Position(rep_->checkpoint.load()); }

Status Subscription::WaitFor(Position position, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(rep_->mu);
  bool reached = rep_->cv.wait_for(
      lock, timeout, [&] { return rep_->checkpoint.load() >= position.value() || rep_->finished; });
  if (rep_->checkpoint.load() >= position.value()) return Status::OK();
  if (rep_->finished) {
    return rep_->status.ok() ? Status::Aborted("the subscription stopped") : rep_->status;
  }
  (void)reached;
  return Status::TimedOut("subscription '" + rep_->options.name + "' is at position " +
                          std::to_string(rep_->checkpoint.load()) + ", waited for " +
                          std::to_string(position.value()));
}

Status Subscription::status() const {
  std::lock_guard<std::mutex> lock(rep_->mu);
  return rep_->status;
}

Result<std::unique_ptr<Subscription>> OpenSubscription(Db* db, Writer* writer,
                                                       const Options& store_options,
                                                       SubscriptionOptions options,
                                                       BatchHandler handler) {
  if (writer == nullptr) return Status::ReadOnly("subscriptions need a writable store");
  const std::string& name = options.name;
  if (Status s = checkpoint::ValidateName("subscription", name); !s.ok()) return s;
  if (!handler) return Status::InvalidArgument("subscription '" + name + "' has no handler");
  if (options.max_attempts == 0) return Status::InvalidArgument("max_attempts must be >= 1");
  if (options.group_size == 0 || options.member >= options.group_size) {
    return Status::InvalidArgument("consumer group member must be below group_size");
  }
  auto rep = std::make_unique<Subscription::Rep>();
  rep->db = db;
  rep->writer = writer;
  rep->store_options = &store_options;
  rep->handler = std::move(handler);
  rep->progress_key = keys::ProgressKey(name, options.group_size, options.member);

  uint64_t saved = 0;
  const uint64_t kNone = ~uint64_t{0};
  if (Status s = checkpoint::Get(*db, rep->progress_key, kNone, &saved); !s.ok()) return s;
  ChangeFeedOptions feed_options = options.feed;
  if (saved != kNone) {
    feed_options.start = FeedStart::After(Position(saved));
    rep->checkpoint.store(saved);
  }
  auto feed = OpenFeed(db, store_options, feed_options, /*wake_on_poke=*/true,
                       /*resume=*/saved != kNone);
  if (!feed.ok()) return feed.status();
  rep->feed = std::move(feed).value();
  if (saved == kNone) rep->checkpoint.store(rep->feed->position().value());
  rep->options = std::move(options);
  return Subscription::Rep::Start(std::move(rep));
}

}  // namespace evlog
