// Aggregate: the seeds' aggregate — state folded from a stream's events,
// commands decided against that state and committed with optimistic
// concurrency.
//
//   struct Stock { int64_t available = 0; };
//   evlog::Aggregate<Stock> product(store, "product-42",
//       [](Stock& s, const evlog::RecordedEvent& e) { ... fold e into s ... });
//   auto r = product.Handle([&](const Stock& s) -> evlog::Result<std::vector<evlog::EventData>> {
//     if (s.available < 2) return evlog::Status::InvalidArgument("sold out");
//     return std::vector<evlog::EventData>{reserved_event};
//   });
//
// Handle loads the aggregate (its newest snapshot, if a codec is given, plus
// the events after it), runs the decision, and appends the new events with
// the loaded version as the expected version. If another writer got there
// first, it reloads and decides again, up to max_attempts times. Decisions
// must therefore be pure functions of the state.
//
// Thread-safety: an Aggregate object is used by one thread at a time; use
// one object per thread (they coordinate through the store).

#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evlog/event_store.h"
#include "evlog/store.h"

namespace evlog {

struct CommandOptions {
  // Attempts on WrongExpectedVersion before giving up with it; at least 1
  // (Handle returns InvalidArgument otherwise). Default: 5
  int max_attempts = 5;
  // Written into the metadata of each new event that has none, as
  // {"correlation_id":..,"causation_id":..}. Default: empty, not written.
  std::string correlation_id;
  std::string causation_id;
  // Default: sync.
  Durability durability = Durability::kSync;
};

// The metadata Handle writes into each new event that has none:
// {"correlation_id":..,"causation_id":..} with the ids that are set, in
// that order; empty when neither is. InvalidArgument if an id is not UTF-8.
Result<std::string> CommandMetadata(const CommandOptions& options);

template <class State>
class Aggregate {
 public:
  using Apply = std::function<void(State&, const RecordedEvent&)>;
  // Serializes the state for snapshots, and back (nullopt: unreadable).
  struct Codec {
    std::function<std::string(const State&)> encode;
    std::function<std::optional<State>(std::string_view)> decode;
  };

  // `store` must outlive the aggregate.
  Aggregate(EventStore& store, std::string stream, Apply apply, std::optional<Codec> codec = {})
      : store_(store), stream_(std::move(stream)), apply_(std::move(apply)), codec_(codec) {}

  // Loads the state: from the newest snapshot (with a codec) and the events
  // after it, or from the first event.
  Status Load() {
    state_ = State();
    version_ = Version(0);
    events_read_ = 0;
    if (codec_) {
      auto snapshot = store_.LoadSnapshot(stream_);
      if (!snapshot.ok()) return snapshot.status();
      if (snapshot->has_value()) {
        std::optional<State> decoded = codec_->decode((*snapshot)->state);
        if (!decoded) return Status::Corruption("unreadable snapshot of '" + stream_ + "'");
        state_ = std::move(*decoded);
        version_ = (*snapshot)->version;
      }
    }
    auto it = store_.ReadStream(stream_, {.from = Version(version_.value() + 1)});
    if (!it.ok()) return it.status().IsNotFound() ? Status::OK() : it.status();
    for (auto& events = *it; events->Valid(); events->Next()) {
      apply_(state_, events->event());
      version_ = events->event().version;
      ++events_read_;
    }
    return (*it)->status();
  }

  // Snapshots the loaded state at its version. REQUIRES: a codec.
  Status SaveSnapshot() {
    if (!codec_) return Status::InvalidArgument("aggregate has no snapshot codec");
    return store_.SaveSnapshot(stream_, version_, codec_->encode(state_));
  }

  // Loads, decides and appends, retrying on conflict. `decide` maps the state
  // to the new events: Result<std::vector<EventData>>; an error is returned
  // as is, no events means nothing to do (an empty AppendResult).
  //
  // Errors: InvalidArgument if options.max_attempts < 1 (nothing is loaded
  // or written) or an id of `options` is not UTF-8; WrongExpectedVersion
  // after max_attempts conflicts; the decision's error; any error of Load or
  // of Store::Append.
  template <class Decide>
  Result<AppendResult> Handle(Decide&& decide, const CommandOptions& options = {}) {
    if (options.max_attempts < 1) {
      return Status::InvalidArgument("max_attempts must be at least 1, not " +
                                     std::to_string(options.max_attempts));
    }
    Status last;
    for (int attempt = 0; attempt < options.max_attempts; ++attempt) {
      if (Status s = Load(); !s.ok()) return s;
      Result<std::vector<EventData>> decided = decide(static_cast<const State&>(state_));
      if (!decided.ok()) return decided.status();
      std::vector<EventData> events = std::move(decided).value();
      if (events.empty()) return AppendResult{};
      for (EventData& e : events) {
        if (!e.metadata.empty()) continue;
        Result<std::string> metadata = CommandMetadata(options);
        if (!metadata.ok()) return metadata.status();
        e.metadata = std::move(metadata).value();
      }
      auto r = store_.Append(stream_, ExpectedVersion::Exact(version_), std::move(events),
                             options.durability);
      if (r.ok() || !r.status().IsWrongExpectedVersion()) return r;
      last = r.status();
      ++conflicts_;
    }
    return last;
  }

  const State& state() const { return state_; }
  Version version() const { return version_; }
  const std::string& stream() const { return stream_; }
  // Events read by the last Load (after the snapshot, if any).
  size_t events_read() const { return events_read_; }
  // Conflicts retried by Handle over this object's life.
  size_t conflicts() const { return conflicts_; }

 private:
  EventStore& store_;
  std::string stream_;
  Apply apply_;
  std::optional<Codec> codec_;
  State state_{};
  Version version_;
  size_t events_read_ = 0;
  size_t conflicts_ = 0;
};

}  // namespace evlog
