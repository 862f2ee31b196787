#include "change_feed.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "reader.h"
#include "request.h"

namespace evlog {

namespace {

// How often a read-only feed asks RocksDB for the writer's new commits.
constexpr std::chrono::milliseconds kFollowInterval(10);

// An event whose data and metadata hold more than this is not reused for
// another: one large event must not leave every later batch holding its size.
constexpr size_t kReuseBytes = 16 << 10;

size_t HeldBytes(const OwnedEvent& e) { return e.data.capacity() + e.metadata.capacity(); }

// Copies `v` into `s`, reusing the memory `s` holds: a resize (nothing to
// do when the sizes match, as a steady feed's stream names, types and
// payloads often do) and a plain copy, cheaper than std::string::assign's
// general path. `v` does not point into `s`.
void CopyInto(std::string_view v, std::string* s) {
  if (v.size() > s->capacity()) {
    s->assign(v);
    return;
  }
  s->resize(v.size());
  if (!v.empty()) std::memcpy(s->data(), v.data(), v.size());
}

// Copies `e` into `out`, reusing the memory `out`'s strings already hold.
void Assign(const RecordedEvent& e, OwnedEvent* out) {
  CopyInto(e.stream, &out->stream);
  CopyInto(e.type, &out->type);
  CopyInto(e.data, &out->data);
  CopyInto(e.metadata, &out->metadata);
  out->content_type = e.content_type;
  out->id = e.id;
  out->version = e.version;
  out->position = e.position;
  out->timestamp_us = e.timestamp_us;
  out->tags.resize(e.tags.size());
  for (size_t i = 0; i < e.tags.size(); ++i) CopyInto(e.tags[i], &out->tags[i]);
}

}  // namespace

struct FeedView::Hold {
  // The tail's groups that events view, each once.
  std::vector<std::shared_ptr<const TailGroup>> groups;
  // Copies of the events read from RocksDB: owned[0, copied) in this view,
  // the rest kept for their memory.
  std::vector<OwnedEvent> owned;
  size_t copied = 0;
  // Where owned[i] is in the view's events.
  std::vector<size_t> places;
};

FeedView::FeedView() = default;
FeedView::FeedView(FeedView&&) noexcept = default;
FeedView& FeedView::operator=(FeedView&&) noexcept = default;
FeedView::~FeedView() = default;

struct ChangeFeed::Rep {
  Db* db;
  bool wake_on_poke = false;
  // The pokes this feed has answered (wake_on_poke only).
  uint64_t pokes_seen = 0;
  ChangeFeedOptions options;
  // ChangeFeed::set_bulk_reads: read the log without filling the block cache.
  bool bulk = false;
  uint64_t position = 0;
  // Options::live_feed_spin_us (writable stores only).
  uint32_t spin_us = 0;
  // The tail this feed is counted among the readers of (LiveTail::
  // AddReader) until destroyed; shared, so a feed destroyed after its store
  // touches nothing the store freed.
  std::shared_ptr<LiveTail> tail_reader;

  Rep() = default;
  Rep(const Rep&) = delete;
  Rep& operator=(const Rep&) = delete;
  ~Rep() {
    if (tail_reader) tail_reader->RemoveReader();
  }
  // The tail's group the last ScanTail stopped in: the next one starts
  // there, or follows its link (TailGroup::next). A weak reference, so the
  // feed holds no memory of the tail between scans.
  std::weak_ptr<const TailGroup> cursor;
  // Where the Next or NextView being filled puts its events: one of the two
  // is set, for the length of the call.
  FeedBatch* batch = nullptr;
  FeedView* view = nullptr;
  // Events of the batch being filled: batch->events[0, filled), or
  // view->events[0, filled). In a batch, events past them, and the `spare`
  // ones, are earlier batches' kept for their memory, so a steady feed
  // copies events without allocating. Spares are bounded by the batch limits
  // (count and bytes), and none holds more than kReuseBytes.
  size_t filled = 0;
  std::vector<OwnedEvent> spare;
  size_t spare_bytes = 0;

  // Adds `e` to the batch or view being filled. `group` is the tail's group
  // `e` views, or null if `e` is valid only until the scan moves on (a
  // RocksDB iterator's event), which a view then copies.
  void Emit(const RecordedEvent& e, const std::shared_ptr<const TailGroup>* group) {
    if (view != nullptr) {
      EmitView(e, group);
      return;
    }
    if (filled == batch->events.size()) {
      if (spare.empty()) {
        batch->events.push_back(OwnedEvent::From(e));
        ++filled;
        return;
      }
      spare_bytes -= HeldBytes(spare.back());
      batch->events.push_back(std::move(spare.back()));
      spare.pop_back();
    }
    OwnedEvent& out = batch->events[filled++];
    Assign(e, &out);
    if (HeldBytes(out) > kReuseBytes) {
      out.data.shrink_to_fit();
      out.metadata.shrink_to_fit();
    }
  }

  void EmitView(const RecordedEvent& e, const std::shared_ptr<const TailGroup>* group) {
    FeedView::Hold& hold = *view->hold;
    if (group != nullptr) {
      if (hold.groups.empty() || hold.groups.back() != *group) hold.groups.push_back(*group);
    } else {
      // Viewed once the batch is complete (FinishView): `owned` may still
      // move, and its short strings with it.
      if (hold.copied == hold.owned.size()) hold.owned.emplace_back();
      Assign(e, &hold.owned[hold.copied]);
      hold.places.push_back(filled);
      ++hold.copied;
    }
    if (filled == view->events.size()) {
      view->events.push_back(e);
    } else {
      view->events[filled] = e;  // reuses the tags' memory
    }
    ++filled;
  }

  // Ends a Next: the batch holds the `filled` events; the rest go to spare.
  void Finish() {
    for (size_t i = filled; i < batch->events.size() && spare.size() < options.max_batch_events;
         ++i) {
      const size_t held = HeldBytes(batch->events[i]);
      if (held > kReuseBytes || spare_bytes + held > options.max_batch_bytes) continue;
      spare_bytes += held;
      spare.push_back(std::move(batch->events[i]));
    }
    batch->events.resize(filled);
  }

  // Ends a NextView: the view holds the `filled` events, those copied now
  // viewing their copies. Copies beyond one batch, or large, are not kept.
  void FinishView() {
    FeedView::Hold& hold = *view->hold;
    view->events.resize(filled);
    if (filled == 0) {  // nothing, or an error
      hold.groups.clear();
      hold.places.clear();
      hold.copied = 0;
    }
    for (size_t i = 0; i < hold.copied; ++i) view->events[hold.places[i]] = hold.owned[i].view();
    if (hold.owned.size() > options.max_batch_events) hold.owned.resize(options.max_batch_events);
    for (size_t i = hold.copied; i < hold.owned.size(); ++i) {
      if (HeldBytes(hold.owned[i]) > kReuseBytes) hold.owned[i] = OwnedEvent();
    }
  }

  // The ChangeFeed that owns `rep`.
  static std::unique_ptr<ChangeFeed> Make(std::unique_ptr<Rep> rep) {
    return std::unique_ptr<ChangeFeed>(new ChangeFeed(std::move(rep)));
  }

  bool Matches(const RecordedEvent& e) const {
    if (!options.include_system && IsSystemStream(e.stream)) return false;
    if (!options.stream_prefix.empty() && !e.stream.starts_with(options.stream_prefix)) {
      return false;
    }
    if (!options.event_type.empty() && e.type != options.event_type) return false;
    if (!options.category.empty() && CategoryOf(e.stream) != options.category) return false;
    return true;
  }

  // Appends events after `position` up to `committed` to the batch or view,
  // within the batch limits, and advances `position` past what it consumed:
  // from the live tail while the next position is in it, else from RocksDB.
  // Both apply the same rules (filters, then what stream metadata hides), so
  // a feed may switch between them at any position.
  Status Scan(uint64_t committed) {
    if (db->tail) {
      bool progressed = false;
      if (Status s = ScanTail(committed, &progressed); !s.ok() || progressed) return s;
    }
    return ScanLog(committed);
  }

  // The tail's part of Scan. Sets *progressed if it moved `position`;
  // otherwise the next position is not in the tail (the feed is behind it)
  // and nothing was added.
  Status ScanTail(uint64_t committed, bool* progressed) {
    std::optional<Visibility> visibility;
    const bool check_metadata = db->has_metadata.load();
    uint64_t reached = position;
    const size_t had = filled;
    size_t bytes = 0;
    bool full = false;
    // One group held at a time, no lock taken while the feed follows the
    // links from the group it stopped in (live_tail.h).
    std::shared_ptr<const TailGroup> group = cursor.lock();
    while (!full && reached < committed) {
      const uint64_t next = reached + 1;
      if (group == nullptr || next < group->first() || next > group->last()) {
        // `next` is committed, so a link from the group before it is set.
        std::shared_ptr<const TailGroup> found =
            group != nullptr && group->last() + 1 == next ? group->next() : nullptr;
        if (found == nullptr) found = db->tail->Find(next);
        group = std::move(found);
        // Evicted meanwhile: deliver what was taken; the next Scan reads RocksDB.
        if (group == nullptr) break;
      }
      const std::vector<RecordedEvent>* events = nullptr;
      if (Status s = group->Events(&events); !s.ok()) {
        filled = 0;
        return s;
      }
      const uint64_t end = std::min(group->last(), committed);
      for (uint64_t p = next; p <= end; ++p) {
        const RecordedEvent& e = (*events)[p - group->first()];
        if (!Matches(e)) {
          reached = p;
          continue;
        }
        if (check_metadata) {
          if (!visibility) visibility.emplace(*db);
          Status error;
          const bool visible = visibility->Visible(e, &error);
          if (!error.ok()) {
            filled = 0;
            return error;
          }
          if (!visible) {
            reached = p;
            continue;
          }
        }
        const size_t size = e.data.size() + e.metadata.size();
        if (filled > 0 && bytes + size > options.max_batch_bytes) {
          full = true;
          break;
        }
        Emit(e, &group);
        bytes += size;
        reached = p;
        if (filled >= options.max_batch_events) {
          full = true;
          break;
        }
      }
    }
    // Kept by a weak reference only: the tail may evict it.
    cursor = group;
    *progressed = reached > position;
    position = reached;
    db->feed_metrics.tail_events.fetch_add(filled - had, std::memory_order_relaxed);
    return Status::OK();
  }

  // The RocksDB part of Scan: reads the log (or an index) from the next
  // position.
  Status ScanLog(uint64_t committed) {
    ReadAllOptions read{.from = Position(position + 1)};
    // Walk the narrowest index available; Matches() applies the rest.
    if (!options.category.empty()) {
      read.category = options.category;
    } else if (!options.event_type.empty()) {
      read.event_type = options.event_type;
    }
    std::unique_ptr<EventIterator> it = NewLogIterator(*db, read, bulk);
    uint64_t reached = position;
    const size_t had = filled;
    size_t bytes = 0;
    bool full = false;
    for (; it->Valid(); it->Next()) {
      const RecordedEvent& e = it->event();
      if (e.position.value() > committed) break;
      if (!Matches(e)) {
        reached = e.position.value();
        continue;
      }
      size_t size = e.data.size() + e.metadata.size();
      if (filled > 0 && bytes + size > options.max_batch_bytes) {
        full = true;
        break;
      }
      Emit(e, nullptr);
      bytes += size;
      reached = e.position.value();
      if (filled >= options.max_batch_events) {
        full = true;
        break;
      }
    }
    if (!it->status().ok()) {
      filled = 0;
      return it->status();
    }
    // Moving to `committed` past positions the scan did not yield is safe:
    // they were filtered out or hidden. On a read-only store `committed` is
    // published only once every event up to it is readable (catch_up.h), so
    // a position the catch-up has not brought in yet is never passed.
    position = full ? reached : committed;
    db->feed_metrics.log_events.fetch_add(filled - had, std::memory_order_relaxed);
    return Status::OK();
  }

  // ChangeFeed::Next or NextView, filling [0, filled) of the events of
  // `batch` or `view` and setting *out_position.
  Status Fill(std::chrono::milliseconds timeout, Position* out_position) {
    filled = 0;
    *out_position = Position(position);
    const uint64_t start = position;
    CommitSignal& commits = *db->commits;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const uint64_t* seen = wake_on_poke ? &pokes_seen : nullptr;
    for (;;) {
      uint64_t committed = commits.committed();
      if (committed > position) {
        if (Status s = Scan(committed); !s.ok()) return s;
        *out_position = Position(position);
        // Progress past filtered-out events is news too: a checkpointing
        // consumer must be able to record it.
        if (filled > 0 || position > start) return Status::OK();
      }
      if (commits.interrupted()) return Status::Aborted("the store is closing");
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return Status::OK();
      if (seen != nullptr) {
        uint64_t pokes = commits.pokes();
        if (pokes != pokes_seen) {
          pokes_seen = pokes;
          return Status::OK();
        }
      }
      if (db->read_only) {
        commits.WaitBeyond(position, std::min(deadline, now + kFollowInterval), seen);
        if (Status s = db->CatchUp(); !s.ok()) return s;
      } else {
        // The commit wakes the feed directly (CommitSignal::Advance).
        if (spin_us > 0 && Spin(commits, deadline)) continue;
        commits.WaitBeyond(position, deadline, seen);
      }
    }
  }

  // Spins up to spin_us (and not past `deadline`) for the committed position
  // to pass `position`. True if it did.
  bool Spin(const CommitSignal& commits, std::chrono::steady_clock::time_point deadline) const {
    const auto until =
        std::min(deadline, std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us));
    while (commits.committed() <= position) {
      if (std::chrono::steady_clock::now() >= until) return false;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();  // let a sibling hyper-thread run meanwhile
#endif
    }
    return true;
  }
};

ChangeFeed::ChangeFeed(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

ChangeFeed::~ChangeFeed() = default;

Position ChangeFeed::position() const { return Position(rep_->position); }

void ChangeFeed::set_max_batch_events(size_t max_batch_events) {
  rep_->options.max_batch_events = std::max<size_t>(max_batch_events, 1);
}

void ChangeFeed::set_max_batch_bytes(size_t max_batch_bytes) {
  rep_->options.max_batch_bytes = std::max<size_t>(max_batch_bytes, 1);
}

void ChangeFeed::set_bulk_reads(bool bulk) { rep_->bulk = bulk; }

Status ChangeFeed::Next(std::chrono::milliseconds timeout, FeedBatch* batch) {
  rep_->batch = batch;
  Status s = rep_->Fill(timeout, &batch->position);
  if (!s.ok()) rep_->filled = 0;
  rep_->Finish();
  rep_->batch = nullptr;
  return s;
}

Status ChangeFeed::NextView(std::chrono::milliseconds timeout, FeedView* view) {
  if (view->hold == nullptr) view->hold = std::make_unique<FeedView::Hold>();
  FeedView::Hold& hold = *view->hold;
  hold.groups.clear();
  hold.places.clear();
  hold.copied = 0;
  rep_->view = view;
  Status s = rep_->Fill(timeout, &view->position);
  if (!s.ok()) rep_->filled = 0;
  rep_->FinishView();
  rep_->view = nullptr;
  return s;
}

Result<std::unique_ptr<ChangeFeed>> OpenFeed(Db* db, const Options& store_options,
                                             const ChangeFeedOptions& options, bool wake_on_poke,
                                             bool resume) {
  if (options.max_batch_events == 0) {
    return Status::InvalidArgument("max_batch_events must be at least 1");
  }
  if (!options.category.empty() && options.category.size() > store_options.max_stream_name_bytes) {
    return Status::InvalidArgument("category filter is longer than a stream name can be");
  }
  if (!options.event_type.empty() &&
      options.event_type.size() > store_options.max_event_type_bytes) {
    return Status::InvalidArgument("event type filter is longer than an event type can be");
  }
  auto rep = std::make_unique<ChangeFeed::Rep>();
  rep->db = db;
  rep->wake_on_poke = wake_on_poke;
  rep->pokes_seen = db->commits->pokes();
  rep->options = options;
  rep->spin_us = db->read_only ? 0 : store_options.live_feed_spin_us;
  if (db->tail) {
    db->tail->AddReader();
    rep->tail_reader = db->tail;
  }
  const FeedStart& start = options.start;
  switch (start.kind()) {
    case FeedStart::Kind::kOldest:
      rep->position = 0;
      break;
    case FeedStart::Kind::kLatest:
      rep->position = db->commits->committed();
      break;
    case FeedStart::Kind::kAt:
      rep->position = start.position().value() == 0 ? 0 : start.position().value() - 1;
      break;
    case FeedStart::Kind::kAfter:
      rep->position = start.position().value();
      break;
  }
  const uint64_t horizon = db->trim_horizon.load();
  if (!resume && start.kind() != FeedStart::Kind::kOldest &&
      start.kind() != FeedStart::Kind::kLatest && rep->position < horizon) {
    return Status::Trimmed(
        "events up to position " + std::to_string(horizon) +
        " were trimmed or deleted; a feed from position " + std::to_string(rep->position + 1) +
        " would miss them (start from Oldest or after " + std::to_string(horizon) + ")");
  }
  return ChangeFeed::Rep::Make(std::move(rep));
}

}  // namespace evlog
