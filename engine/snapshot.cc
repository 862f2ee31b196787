#include "snapshot.h"

#include <chrono>
#include <map>

#include "clock.h"
#include "codec.h"
#include "keys.h"
#include "reader.h"
#include "sequence.h"
#include "subscription.h"

namespace evlog {

Status SaveSnapshot(const Db& db, std::string_view stream, Version version,
                    std::string_view state) {
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  if (head.version.value() == 0) {
    return Status::NotFound("stream '" + std::string(stream) + "' not found");
  }
  if (version.value() == 0 || version > head.version) {
    return Status::InvalidArgument("snapshot version " + std::to_string(version.value()) +
                                   " is not in 1.." + std::to_string(head.version.value()));
  }
  Snapshot snapshot{.version = version, .timestamp_us = WallMicros(), .state = std::string(state)};
  return FromRocks(db.db->Put(rocksdb::WriteOptions(), db.cf(Db::kSnapshots),
                              keys::StreamKey(head.id, version), codec::EncodeSnapshot(snapshot)));
}

Result<std::optional<Snapshot>> LoadSnapshot(const Db& db, std::string_view stream) {
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  if (head.id == 0) return std::optional<Snapshot>();
  std::string lower = keys::StreamKey(head.id, Version(0));
  std::string upper = keys::StreamKey(head.id + 1, Version(0));
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(ro, db.cf(Db::kSnapshots)));
  it->SeekToLast();
  if (!it->Valid()) {
    if (!it->status().ok()) return FromRocks(it->status());
    return std::optional<Snapshot>();
  }
  Snapshot snapshot;
  if (Status s = codec::DecodeSnapshot(it->value().ToStringView(), &snapshot); !s.ok()) return s;
  return std::optional<Snapshot>(std::move(snapshot));
}

struct Snapshotter::Rep {
  std::unique_ptr<Subscription> subscription;

  static std::unique_ptr<Snapshotter> Start(std::unique_ptr<Subscription> subscription) {
    auto rep = std::make_unique<Rep>();
    rep->subscription = std::move(subscription);
    return std::unique_ptr<Snapshotter>(new Snapshotter(std::move(rep)));
  }
};

Snapshotter::Snapshotter(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Snapshotter::~Snapshotter() { Stop(); }

void Snapshotter::Stop() { rep_->subscription->Stop(); }

Status Snapshotter::WaitFor(Position position, std::chrono::milliseconds timeout) {
  return rep_->subscription->WaitFor(position, timeout);
}

Status Snapshotter::status() const { return rep_->subscription->status(); }

Result<std::unique_ptr<Snapshotter>> StartSnapshots(Db* db, Writer* writer,
                                                    const Options& store_options,
                                                    SnapshotPolicy policy) {
  if (!policy.fold) return Status::InvalidArgument("snapshot policy has no fold");
  if (policy.every_events == 0) return Status::InvalidArgument("every_events must be >= 1");
  SubscriptionOptions options{.name = policy.name,
                              .feed = {.category = policy.category, .max_batch_events = 256},
                              .on_failure = FailurePolicy::kStop};
  // The handler: for each stream the batch touched, snapshot when it is far
  // enough past its newest snapshot.
  auto handler = [db, policy = std::move(policy)](const std::vector<OwnedEvent>& events) {
    std::map<std::string, Version> touched;
    for (const OwnedEvent& e : events) {
      if (!e.stream.starts_with("$")) touched[e.stream] = std::max(touched[e.stream], e.version);
    }
    for (const auto& [stream, version] : touched) {
      auto previous = LoadSnapshot(*db, stream);
      if (!previous.ok()) return previous.status();
      Version from = previous->has_value() ? (*previous)->version : Version(0);
      if (version.value() - std::min(version.value(), from.value()) < policy.every_events) {
        continue;
      }
      StreamHead head;
      if (Status s = LoadStreamHead(*db, rocksdb::ReadOptions(), stream, &head); !s.ok()) {
        return s;
      }
      std::vector<OwnedEvent> tail;
      auto it = NewStreamIterator(*db, head.id, {.from = Version(from.value() + 1)});
      for (; it->Valid() && it->event().version <= version; it->Next()) {
        tail.push_back(OwnedEvent::From(it->event()));
      }
      if (!it->status().ok()) return it->status();
      std::optional<std::string> state;
      if (previous->has_value()) state = (*previous)->state;
      auto folded = policy.fold(stream, state, tail);
      if (!folded.ok()) return folded.status();
      if (Status s = SaveSnapshot(*db, stream, version, *folded); !s.ok()) return s;
    }
    return Status::OK();
  };
  auto sub = OpenSubscription(db, writer, store_options, std::move(options), std::move(handler));
  if (!sub.ok()) return sub.status();
  return Snapshotter::Rep::Start(std::move(sub).value());
}

}  // namespace evlog
