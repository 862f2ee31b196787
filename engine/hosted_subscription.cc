// Invariants (all under Broker::mu):
//  - an event is in `live` (or `replay`) from when the feed read it until it
//    is acknowledged or parked; `owner` is the consumer holding it, 0 when
//    it waits to be delivered;
//  - `streams` counts, per stream, the events one consumer holds: while the
//    count is not zero no other consumer is given that stream's events;
//  - the stored checkpoint is `fetched` when `live` is empty, else just
//    below its first position, and never moves back;
//  - `handled` holds the positions above the stored checkpoint whose events
//    were acknowledged or parked; it is stored with the checkpoint, so that
//    neither a reopen nor a new broker delivers them again, and it counts
//    against max_in_flight, so it stays bounded behind a stuck event;
//  - `attempts` holds the delivery count of every event in flight that was
//    delivered (and of those a previous broker delivered that the feed has
//    not reached again, `unclaimed`); it is stored after each delivery and
//    with the checkpoint, so a consumer process that dies on an event
//    brings it nearer to being parked rather than starting it afresh;
//  - an event waiting with `attempt` >= max_attempts (its last delivery
//    ended with its consumer detaching) is never delivered: the thread
//    parks it.

#include "hosted_subscription.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <set>
#include <thread>
#include <unordered_set>
#include <vector>

#include "change_feed.h"
#include "checkpoint.h"
#include "feed_thread.h"
#include "hosted_spec.h"
#include "hosted_state.h"
#include "keys.h"
#include "parked.h"

namespace evlog::hosted {

namespace {

using Clock = std::chrono::steady_clock;

struct Entry {
  OwnedEvent event;
  // Deliveries so far.
  uint32_t attempt = 0;
  // The consumer holding it; 0 when it waits.
  uint64_t owner = 0;
  // Held: when its ack is due. Waiting: not before then (a nack's backoff).
  Clock::time_point due;
  // Being appended to "$parked-<name>" (by a Nack or the broker thread).
  bool parking = false;
  std::string reason;
};

struct Holder {
  uint64_t owner = 0;
  uint32_t held = 0;
};

// Why an event whose last delivery ended with its consumer detaching (or
// its process dying) is parked.
std::string DetachedReason(uint32_t attempt) {
  return "delivered " + std::to_string(attempt) + " times to consumers that detached";
}

}  // namespace

struct Broker {
  Db* db = nullptr;
  Writer* writer = nullptr;
  const Options* store_options = nullptr;
  HostedSubscriptionSpec spec;
  std::string progress_key;
  std::unique_ptr<ChangeFeed> feed;

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;  // events to take, room to read, stopped
  Status status;
  bool finished = false;
  std::thread thread;

  // Under mu.
  std::map<uint64_t, Entry> live;
  std::map<uint64_t, Entry> replay;
  // The "$parked-" version the replay in `replay` ends at; 0 when none.
  uint64_t replay_target = 0;
  // The feed's position after the last batch read.
  uint64_t fetched = 0;
  uint64_t stored = 0;
  std::set<uint64_t> handled;
  // Whether `handled` changed since it was stored, and whether what is
  // stored is not empty.
  bool handled_dirty = false;
  bool handled_stored = false;
  // Deliveries of events in flight, as stored (or to be); see above.
  std::map<uint64_t, uint32_t> attempts;
  std::set<uint64_t> unclaimed;
  bool attempts_dirty = false;
  bool attempts_stored = false;
  // Detach left an event with attempt >= max_attempts to park.
  bool park_due = false;
  std::map<std::string, Holder, std::less<>> streams;
  uint64_t next_consumer = 1;
  // When the thread will look at ack deadlines and backoffs next.
  Clock::time_point wake_at = Clock::time_point::max();

  ~Broker() { StopFeedThread(*this); }

  void Run();
  void Finish(Status s) { FinishFeedThread(*this, std::move(s)); }
  // Takes up to `max` events for consumer `id`. REQUIRES: mu held.
  void Take(uint64_t id, size_t max, Clock::time_point now, std::vector<HostedEvent>* out);
  // `e` is no longer held by its consumer; it waits until `due`.
  void Release(Entry& e, Clock::time_point due);
  // The entry at `position` that consumer `id` holds; null if none.
  std::map<uint64_t, Entry>* Find(uint64_t id, uint64_t position);
  // Records that the event at `position` is handled (acknowledged, parked).
  void Handled(uint64_t position);
  // Adds an event read from the feed or the parked stream to `entries`,
  // with the delivery count a previous broker stored for it.
  void Add(std::map<uint64_t, Entry>& entries, OwnedEvent event);
  // Stores the checkpoint, `handled` and `attempts` if they changed, and
  // the end of a finished replay.
  Status Advance();
  // Events held in memory or handled above the checkpoint.
  size_t InFlight() const { return live.size() + replay.size() + handled.size(); }
  // Parks the entry at `position` of `entries`, marked parking; without mu.
  Status Park(std::map<uint64_t, Entry>& entries, uint64_t position);
  // Gives the consumer's events back (it detaches).
  void Detach(uint64_t id);
  // Loads a requested replay of parked events; false if the thread must end.
  bool LoadReplay();
  // Redelivers or parks the held events whose ack is overdue.
  bool Expire();
  Clock::time_point NextDue() const;
};

namespace {

class Consumer final : public SubscriptionConsumer {
 public:
  Consumer(std::shared_ptr<Broker> broker, uint64_t id) : broker_(std::move(broker)), id_(id) {}
  ~Consumer() override { broker_->Detach(id_); }

  Result<std::vector<HostedEvent>> Next(size_t max_events,
                                        std::chrono::milliseconds timeout) override {
    Broker& b = *broker_;
    const auto until = Clock::now() + timeout;
    std::vector<HostedEvent> out;
    std::unique_lock<std::mutex> lock(b.mu);
    for (;;) {
      if (b.finished) {
        return b.status.ok() ? Status::Aborted("subscription '" + b.spec.name + "' stopped")
                             : b.status;
      }
      const auto now = Clock::now();
      b.Take(id_, std::max<size_t>(max_events, 1), now, &out);
      if (!out.empty()) {
        // The thread must look at these events' deadline in time.
        if (now + b.spec.ack_timeout < b.wake_at) b.db->commits->Poke();
        // Their attempt counts, stored before they are handed out.
        if (Status s = b.Advance(); !s.ok()) return s;
        return out;
      }
      if (now >= until) return out;
      b.cv.wait_until(lock, until);
    }
  }

  bool CaughtUp() override {
    Broker& b = *broker_;
    std::lock_guard<std::mutex> lock(b.mu);
    if (b.fetched < b.db->commits->committed()) return false;
    for (const auto* entries : {&b.replay, &b.live}) {
      for (const auto& [position, e] : *entries) {
        if (e.owner != 0 && e.owner != id_) continue;
        auto holder = b.streams.find(e.event.stream);
        if (e.owner == 0 && holder != b.streams.end() && holder->second.owner != id_) continue;
        return false;
      }
    }
    return true;
  }

  Status Ack(std::span<const Position> positions) override {
    Broker& b = *broker_;
    std::lock_guard<std::mutex> lock(b.mu);
    for (Position p : positions) {
      auto* entries = b.Find(id_, p.value());
      if (entries == nullptr) continue;
      b.Release(entries->at(p.value()), Clock::now());
      entries->erase(p.value());
      b.Handled(p.value());
    }
    Status s = b.Advance();
    b.cv.notify_all();
    return s;
  }

  Status Nack(Position position, std::string_view reason) override {
    Broker& b = *broker_;
    std::map<uint64_t, Entry>* entries = nullptr;
    {
      std::lock_guard<std::mutex> lock(b.mu);
      entries = b.Find(id_, position.value());
      if (entries == nullptr) return Status::OK();
      Entry& e = entries->at(position.value());
      const auto now = Clock::now();
      if (e.attempt < b.spec.max_attempts) {
        auto wait = b.spec.initial_backoff;
        for (uint32_t i = 1; i < e.attempt && wait < b.spec.max_backoff; ++i) wait *= 2;
        wait = std::min(wait, b.spec.max_backoff);
        b.Release(e, now + wait);
        if (now + wait < b.wake_at) b.db->commits->Poke();
        b.cv.notify_all();
        return Status::OK();
      }
      b.Release(e, now);
      e.parking = true;
      e.reason = std::string(reason);
    }
    return b.Park(*entries, position.value());
  }

 private:
  std::shared_ptr<Broker> broker_;
  const uint64_t id_;
};

}  // namespace

void Broker::Take(uint64_t id, size_t max, Clock::time_point now, std::vector<HostedEvent>* out) {
  // Streams an earlier event of which cannot go to `id` now: their later
  // events must wait too, so each stream stays in order.
  std::unordered_set<std::string_view> blocked;
  auto scan = [&](std::map<uint64_t, Entry>& entries, bool replayed) {
    for (auto& [position, e] : entries) {
      if (out->size() >= max) return;
      const std::string_view stream = e.event.stream;
      if (e.owner == id) continue;
      auto holder = streams.find(stream);
      const bool held_elsewhere = holder != streams.end() && holder->second.owner != id;
      if (e.parking || e.owner != 0 || held_elsewhere || e.due > now ||
          e.attempt >= spec.max_attempts || blocked.contains(stream)) {
        blocked.insert(stream);
        continue;
      }
      e.owner = id;
      ++e.attempt;
      attempts[position] = e.attempt;
      attempts_dirty = true;
      e.due = now + spec.ack_timeout;
      Holder& h = streams[e.event.stream];
      h.owner = id;
      ++h.held;
      out->push_back(HostedEvent{.event = e.event, .attempt = e.attempt, .replayed = replayed});
    }
  };
  scan(replay, true);
  scan(live, false);
}

void Broker::Release(Entry& e, Clock::time_point due) {
  if (e.owner != 0) {
    auto holder = streams.find(e.event.stream);
    if (holder != streams.end() && --holder->second.held == 0) streams.erase(holder);
  }
  e.owner = 0;
  e.due = due;
}

std::map<uint64_t, Entry>* Broker::Find(uint64_t id, uint64_t position) {
  for (auto* entries : {&replay, &live}) {
    auto it = entries->find(position);
    if (it != entries->end() && it->second.owner == id && !it->second.parking) return entries;
  }
  return nullptr;
}

void Broker::Handled(uint64_t position) {
  if (attempts.erase(position) != 0) attempts_dirty = true;
  if (position <= stored) return;
  handled.insert(position);
  handled_dirty = true;
}

void Broker::Add(std::map<uint64_t, Entry>& entries, OwnedEvent event) {
  const uint64_t position = event.position.value();
  Entry& e = entries.emplace(position, Entry{.event = std::move(event)}).first->second;
  if (unclaimed.erase(position) == 0) return;
  e.attempt = attempts.at(position);
  if (e.attempt < spec.max_attempts) return;
  e.reason = DetachedReason(e.attempt);
  park_due = true;
}

Status Broker::Advance() {
  if (replay_target != 0 && replay.empty()) {
    if (Status s = checkpoint::Put(*db, keys::ReplayedKey(spec.name), replay_target); !s.ok()) {
      return s;
    }
    replay_target = 0;
    db->commits->Poke();  // the thread looks for a further replay
  }
  const uint64_t done = live.empty() ? fetched : live.begin()->first - 1;
  const bool moved = done > stored;
  if (moved) {
    const auto first_above = handled.upper_bound(done);
    handled_dirty = handled_dirty || first_above != handled.begin();
    handled.erase(handled.begin(), first_above);
  }
  // Nothing handled above the checkpoint, before or after: no key to write.
  if (handled.empty() && !handled_stored) handled_dirty = false;
  if (attempts.empty() && !attempts_stored) attempts_dirty = false;
  if (!moved && !handled_dirty && !attempts_dirty) return Status::OK();
  // The checkpoint and what is handled above it, together: a crash between
  // two writes would deliver handled events again.
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* cf = db->cf(Db::kCheckpoints);
  rocksdb::Status s;
  if (moved) s = batch.Put(cf, progress_key, keys::CheckpointValue(done));
  if (s.ok() && handled_dirty) {
    const std::string key = keys::HandledKey(spec.name);
    s = handled.empty() ? batch.Delete(cf, key) : batch.Put(cf, key, EncodeHandled(handled));
  }
  if (s.ok() && attempts_dirty) {
    const std::string key = keys::AttemptsKey(spec.name);
    s = attempts.empty() ? batch.Delete(cf, key) : batch.Put(cf, key, EncodeAttempts(attempts));
  }
  if (s.ok()) s = db->db->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return FromRocks(s);
  stored = std::max(stored, done);
  if (handled_dirty) handled_stored = !handled.empty();
  if (attempts_dirty) attempts_stored = !attempts.empty();
  handled_dirty = false;
  attempts_dirty = false;
  return Status::OK();
}

Status Broker::Park(std::map<uint64_t, Entry>& entries, uint64_t position) {
  OwnedEvent event;
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(mu);
    const Entry& e = entries.at(position);
    event = e.event;
    reason = e.reason;
  }
  Status s = parked::Park(*writer, *store_options, spec.name, event,
                          Status::Aborted(reason.empty() ? "not acknowledged" : reason));
  std::lock_guard<std::mutex> lock(mu);
  if (!s.ok()) {
    Entry& e = entries.at(position);
    e.parking = false;  // delivered again, or parked by the thread (attempts spent)
    park_due = park_due || e.attempt >= spec.max_attempts;
  } else {
    entries.erase(position);
    Handled(position);
    s = Advance();
  }
  cv.notify_all();
  return s;
}

void Broker::Detach(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu);
  const auto now = Clock::now();
  bool park = false;
  for (auto* entries : {&replay, &live}) {
    for (auto& [position, e] : *entries) {
      if (e.owner != id) continue;
      Release(e, now);
      if (e.attempt < spec.max_attempts) continue;
      e.reason = DetachedReason(e.attempt);
      park = true;
    }
  }
  if (park) {
    park_due = true;
    db->commits->Poke();  // the thread parks them
  }
  cv.notify_all();
}

bool Broker::LoadReplay() {
  uint64_t replay_to = 0, replayed = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (replay_target != 0) return true;
  }
  Status s = checkpoint::Get(*db, keys::ReplayToKey(spec.name), 0, &replay_to);
  if (s.ok()) s = checkpoint::Get(*db, keys::ReplayedKey(spec.name), 0, &replayed);
  if (s.ok() && replay_to > replayed) {
    auto originals = parked::Originals(*db, spec.name, replayed, replay_to);
    if (!originals.ok()) {
      s = originals.status();
    } else {
      std::lock_guard<std::mutex> lock(mu);
      for (OwnedEvent& e : *originals) Add(replay, std::move(e));
      replay_target = replay_to;
      s = Advance();  // nothing to replay (all gone) ends the replay at once
      cv.notify_all();
    }
  }
  if (!s.ok()) Finish(std::move(s));
  return s.ok();
}

bool Broker::Expire() {
  std::vector<std::pair<std::map<uint64_t, Entry>*, uint64_t>> to_park;
  {
    std::lock_guard<std::mutex> lock(mu);
    const auto now = Clock::now();
    bool released = false;
    park_due = false;
    for (auto* entries : {&replay, &live}) {
      for (auto& [position, e] : *entries) {
        if (e.owner == 0 && !e.parking && e.attempt >= spec.max_attempts) {
          // Its last delivery ended with its consumer detaching.
          e.parking = true;
          to_park.emplace_back(entries, position);
          continue;
        }
        if (e.owner == 0 || e.due > now) continue;
        Release(e, now);
        released = true;
        if (e.attempt >= spec.max_attempts) {
          e.parking = true;
          e.reason = "not acknowledged within " + std::to_string(spec.ack_timeout.count()) + " ms";
          to_park.emplace_back(entries, position);
        }
      }
    }
    if (released) cv.notify_all();
  }
  for (auto& [entries, position] : to_park) {
    if (Status s = Park(*entries, position); !s.ok()) {
      Finish(std::move(s));
      return false;
    }
  }
  return true;
}

Clock::time_point Broker::NextDue() const {
  Clock::time_point next = Clock::now() + std::chrono::hours(1);
  const auto now = Clock::now();
  for (const auto* entries : {&replay, &live}) {
    for (const auto& [position, e] : *entries) {
      // Held: its ack deadline. Waiting out a backoff: consumers are woken
      // when it ends.
      if (e.owner != 0 || e.due > now) next = std::min(next, e.due);
    }
  }
  return next;
}

void Broker::Run() {
  FeedBatch batch;
  while (!stop.load()) {
    if (!LoadReplay() || !Expire()) return;
    size_t room = 0;
    std::chrono::milliseconds wait{0};
    {
      std::unique_lock<std::mutex> lock(mu);
      wake_at = NextDue();
      const size_t held = InFlight();
      room = held < spec.max_in_flight ? spec.max_in_flight - held : 0;
      if (room == 0) {
        cv.wait_until(lock, wake_at,
                      [&] { return stop.load() || park_due || InFlight() < spec.max_in_flight; });
        continue;
      }
      const auto now = Clock::now();
      wait = park_due ? std::chrono::milliseconds(0)
                      : std::chrono::ceil<std::chrono::milliseconds>(std::max(wake_at, now) - now);
      // A backoff that ended: consumers waiting in Next may take it now.
      cv.notify_all();
    }
    feed->set_max_batch_events(std::min<size_t>(room, 256));
    Status s = feed->Next(wait, &batch);
    if (!s.ok()) {
      Finish(s.IsAborted() ? Status::OK() : s);
      return;
    }
    Status advanced;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (OwnedEvent& e : batch.events) {
        if (e.stream.starts_with(checkpoint::kParkedPrefix)) continue;
        const uint64_t position = e.position.value();
        if (handled.contains(position)) continue;
        Add(live, std::move(e));
      }
      fetched = std::max(fetched, batch.position.value());
      // Counts of events the feed passed without them: gone (or not
      // matched), they will not come again.
      while (!unclaimed.empty() && *unclaimed.begin() <= fetched) {
        attempts.erase(*unclaimed.begin());
        unclaimed.erase(unclaimed.begin());
        attempts_dirty = true;
      }
      advanced = Advance();
      if (!batch.events.empty()) cv.notify_all();
    }
    if (!advanced.ok()) {
      Finish(std::move(advanced));
      return;
    }
  }
  Finish(Status::OK());
}

Brokers::Brokers(Db* db, Writer* writer, const Options* store_options)
    : db_(db), writer_(writer), store_options_(store_options) {}

Brokers::~Brokers() = default;

Result<bool> Brokers::Create(const HostedSubscriptionSpec& spec) {
  if (writer_ == nullptr) return Status::ReadOnly("the store was opened read-only");
  std::lock_guard<std::mutex> lock(mu_);
  return hosted::Create(db_, *store_options_, spec);
}

Status Brokers::Delete(std::string_view name) {
  if (writer_ == nullptr) return Status::ReadOnly("the store was opened read-only");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(name);
  if (it != live_.end() && !it->second.expired()) {
    return Status::Busy("subscription '" + std::string(name) + "' has consumers");
  }
  return hosted::Delete(*db_, name);
}

Result<std::unique_ptr<SubscriptionConsumer>> Brokers::Consume(std::string_view name) {
  if (writer_ == nullptr) return Status::ReadOnly("the store was opened read-only");
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Broker> broker;
  if (auto it = live_.find(name); it != live_.end()) broker = it->second.lock();
  if (broker == nullptr) {
    auto spec = Load(*db_, name);
    if (!spec.ok()) return spec.status();
    if (!spec->has_value()) {
      return Status::NotFound("no hosted subscription '" + std::string(name) + "'");
    }
    broker = std::make_shared<Broker>();
    broker->db = db_;
    broker->writer = writer_;
    broker->store_options = store_options_;
    broker->spec = std::move(**spec);
    broker->progress_key = keys::ProgressKey(name, 1, 0);
    if (Status s = checkpoint::Get(*db_, broker->progress_key, 0, &broker->stored); !s.ok()) {
      return s;
    }
    broker->fetched = broker->stored;
    if (Status s = LoadHandled(*db_, name, broker->stored, &broker->handled); !s.ok()) return s;
    broker->handled_stored = !broker->handled.empty();
    if (Status s = LoadAttempts(*db_, name, &broker->attempts); !s.ok()) return s;
    for (const auto& [position, attempt] : broker->attempts) broker->unclaimed.insert(position);
    broker->attempts_stored = !broker->attempts.empty();
    const HostedSubscriptionSpec& spec_ref = broker->spec;
    ChangeFeedOptions options{.start = FeedStart::After(Position(broker->stored)),
                              .category = spec_ref.category,
                              .stream_prefix = spec_ref.stream_prefix,
                              .event_type = spec_ref.event_type,
                              .include_system = false};
    auto feed = OpenFeed(db_, *store_options_, options, /*wake_on_poke=*/true, /*resume=*/true);
    if (!feed.ok()) return feed.status();
    broker->feed = std::move(feed).value();
    StartFeedThread(*broker);
    live_.insert_or_assign(std::string(name), broker);
  }
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> broker_lock(broker->mu);
    id = broker->next_consumer++;
  }
  return std::unique_ptr<SubscriptionConsumer>(new Consumer(std::move(broker), id));
}

}  // namespace evlog::hosted
