// Invariant: a view's rows and its position change only together, in one
// RocksDB write batch; so after any crash the view holds exactly the effects
// of the events up to its stored position.
//
// Layout (keys.h, docs/format.md): rows live in `views` under the view's
// name, generation and row key; the view's generation and position live in
// its `checkpoints` state key. A rebuild fills the next generation and
// switches by rewriting that one checkpoint.

#include "view.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "change_feed.h"
#include "checkpoint.h"
#include "feed_thread.h"
#include "keys.h"

namespace evlog {

namespace {

// How often a running view looks for a rebuild request from another process.
constexpr std::chrono::seconds kRequestCheckInterval(1);

// The rows of one generation as committed, for the view's own thread: a
// handler that reads and rewrites the same rows batch after batch (counters,
// projections) reads RocksDB only at a row's first touch. Only that thread
// writes the generation's rows, so what it committed or read stays true.
// Bounded: emptied whole when it would pass its byte bound.
class RowCache {
 public:
  explicit RowCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The row as committed (nullopt: absent), or nullptr if not cached.
  const std::optional<std::string>* Find(const std::string& key) const {
    auto it = rows_.find(key);
    return it == rows_.end() ? nullptr : &it->second;
  }
  void Set(const std::string& key, const std::optional<std::string>& value) {
    if (auto it = rows_.find(key); it != rows_.end()) {
      bytes_ -= Size(key, it->second);
      rows_.erase(it);
    }
    const size_t size = Size(key, value);
    if (size > max_bytes_) return;  // not kept: the next Get reads RocksDB
    if (bytes_ + size > max_bytes_) Clear();
    rows_.emplace(key, value);
    bytes_ += size;
  }
  void Clear() {
    rows_.clear();
    bytes_ = 0;
  }

 private:
  // What an entry holds, with a rough allowance for the map's node.
  static size_t Size(const std::string& key, const std::optional<std::string>& value) {
    return key.size() + (value ? value->size() : 0) + 96;
  }

  std::unordered_map<std::string, std::optional<std::string>> rows_;
  size_t bytes_ = 0;
  size_t max_bytes_;
};

// One batch's mutations, kept by key until the batch is written (Seal): a
// row put many times in a batch is written once, and the rows go into the
// WriteBatch in key order, so each memtable insert starts from the one
// before it. Reads see the batch's rows over the cache of committed rows.
class BatchWriter : public ViewWriter {
 public:
  BatchWriter(const Db& db, std::string prefix, RowCache* cache)
      : db_(db), prefix_(std::move(prefix)), cache_(cache) {}

  void Put(std::string_view key, std::string_view value) override {
    pending_.insert_or_assign(std::string(key), std::string(value));
  }
  void Delete(std::string_view key) override {
    pending_.insert_or_assign(std::string(key), std::nullopt);
  }
  Result<std::optional<std::string>> Get(std::string_view key) override {
    const std::string k(key);
    if (auto it = pending_.find(k); it != pending_.end()) return it->second;
    if (const std::optional<std::string>* row = cache_->Find(k)) return *row;
    std::string value;
    rocksdb::Status s =
        db_.db->Get(rocksdb::ReadOptions(), db_.cf(Db::kViews), prefix_ + k, &value);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s);
    std::optional<std::string> row;
    if (s.ok()) row = std::move(value);
    cache_->Set(k, row);
    return row;
  }

  // The batch's rows in a WriteBatch, in key order; add to it, write it,
  // then call Committed.
  rocksdb::WriteBatch* Seal() {
    std::vector<const Rows::value_type*> rows;
    rows.reserve(pending_.size());
    for (const auto& row : pending_) rows.push_back(&row);
    std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->first < b->first; });
    std::string key = prefix_;
    for (const auto* row : rows) {
      key.resize(prefix_.size());
      key += row->first;
      if (row->second) {
        batch_.Put(db_.cf(Db::kViews), key, *row->second);
      } else {
        batch_.Delete(db_.cf(Db::kViews), key);
      }
    }
    return &batch_;
  }

  // The batch was written: its rows are what the generation now holds.
  void Committed() {
    for (const auto& [key, row] : pending_) cache_->Set(key, row);
  }

 private:
  using Rows = std::unordered_map<std::string, std::optional<std::string>>;
  const Db& db_;
  std::string prefix_;
  RowCache* cache_;
  rocksdb::WriteBatch batch_;
  Rows pending_;
};

// The view's batch limits: the feed's own while the view keeps up; doubled
// after each batch that left committed events unread, up to the catch-up
// limits (ViewOptions::max_catch_up_batch_*), so a view far behind commits
// once per many events while one that keeps up applies small batches.
// A batch of this many events or more reads the log without filling the
// block cache (ChangeFeed::set_bulk_reads); smaller ones keep what they
// read cached, as the next batch starts in the block where the last one
// stopped.
constexpr size_t kBulkBatchEvents = 4096;

class BatchLimits {
 public:
  explicit BatchLimits(const ViewOptions& o)
      : min_events_(std::max<size_t>(o.feed.max_batch_events, 1)),
        min_bytes_(std::max<size_t>(o.feed.max_batch_bytes, 1)),
        max_events_(std::max(o.max_catch_up_batch_events, min_events_)),
        max_bytes_(std::max(o.max_catch_up_batch_bytes, min_bytes_)),
        events_(min_events_),
        bytes_(min_bytes_) {}

  // After a batch of `feed`: sets the limits of its next one, grown if
  // events committed before now are still unread.
  void Update(const Db& db, ChangeFeed* feed) {
    if (feed->position().value() < db.commits->committed()) {
      events_ = events_ >= max_events_ / 2 ? max_events_ : events_ * 2;
      bytes_ = bytes_ >= max_bytes_ / 2 ? max_bytes_ : bytes_ * 2;
    } else {
      events_ = min_events_;
      bytes_ = min_bytes_;
    }
    feed->set_max_batch_events(events_);
    feed->set_max_batch_bytes(bytes_);
    // A view catching up reads each block once, in order: it leaves the
    // block cache to the readers that keep up.
    feed->set_bulk_reads(events_ >= kBulkBatchEvents);
  }

 private:
  size_t min_events_, min_bytes_, max_events_, max_bytes_;
  size_t events_, bytes_;
};

}  // namespace

struct View::Rep {
  Db* db = nullptr;
  const Options* store_options = nullptr;
  ViewOptions options;
  ViewHandler handler;
  std::unique_ptr<ChangeFeed> feed;
  std::optional<BatchLimits> limits;
  // The current generation's rows, for the view's thread only.
  std::unique_ptr<RowCache> rows;

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> generation{0};
  std::atomic<uint64_t> position{0};

  mutable std::mutex mu;
  std::condition_variable cv;
  Status status;
  bool finished = false;
  // Rebuild requests: the caller waits for `rebuilds_done` to pass its ticket.
  uint64_t rebuilds_requested = 0;
  uint64_t rebuilds_done = 0;
  Status rebuild_status;
  RebuildProgress progress;
  std::thread thread;

  void Run();
  // Applies `batch` to `generation` and stores (generation, batch.position)
  // in the same write. False if the view must stop.
  bool Apply(const FeedBatch& batch, uint64_t gen);
  Status RebuildNow();
  void Finish(Status s);
  // The View that owns `rep` (and starts its thread).
  static std::unique_ptr<View> Start(std::unique_ptr<Rep> rep) {
    return std::unique_ptr<View>(new View(std::move(rep)));
  }
  // Consumes a rebuild request left by another process; true if there was one.
  bool TakeRebuildRequest() {
    std::error_code ec;
    if (!std::filesystem::remove(RebuildRequestPath(*db, options.name), ec)) return false;
    std::lock_guard<std::mutex> lock(mu);
    ++rebuilds_requested;
    return true;
  }
  Status StoreState(rocksdb::WriteBatch* batch, uint64_t gen, Position at) {
    return FromRocks(batch->Put(db->cf(Db::kCheckpoints), keys::ViewStateKey(options.name),
                                keys::ViewStateValue(gen, at)));
  }
};

bool View::Rep::Apply(const FeedBatch& batch, uint64_t gen) {
  auto wait = options.initial_backoff;
  for (uint32_t attempt = 1;; ++attempt) {
    BatchWriter writer(*db, keys::ViewRowPrefix(options.name, gen), rows.get());
    Status s = batch.events.empty() ? Status::OK() : handler(batch.events, writer);
    rocksdb::WriteBatch* write = s.ok() ? writer.Seal() : nullptr;
    if (s.ok()) s = StoreState(write, gen, batch.position);
    if (s.ok()) s = FromRocks(db->db->Write(rocksdb::WriteOptions(), write));
    if (s.ok()) {
      writer.Committed();
      return true;
    }
    if (attempt >= options.max_attempts) {
      Finish(s);
      return false;
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, wait, [this] { return stop.load(); });
    if (stop.load()) return false;
    wait *= 2;
  }
}

Status View::Rep::RebuildNow() {
  const uint64_t old_gen = generation.load();
  const uint64_t new_gen = old_gen + 1;
  const std::string new_prefix = keys::ViewRowPrefix(options.name, new_gen);
  // Leftovers of an interrupted rebuild.
  rocksdb::Status ds = db->db->DeleteRange(rocksdb::WriteOptions(), db->cf(Db::kViews), new_prefix,
                                           keys::PrefixEnd(new_prefix));
  if (!ds.ok()) return FromRocks(ds);

  ChangeFeedOptions feed_options = options.feed;
  feed_options.start = FeedStart::Oldest();
  // Becomes the live feed after the switch, so it must wake on Stop's poke.
  auto fresh = OpenFeed(db, *store_options, feed_options, /*wake_on_poke=*/true);
  if (!fresh.ok()) return fresh.status();
  auto new_rows = std::make_unique<RowCache>(options.row_cache_bytes);
  BatchLimits fresh_limits(options);
  FeedBatch batch;
  for (;;) {
    if (stop.load()) return Status::Aborted("the view was stopped during its rebuild");
    if (Status s = (*fresh)->Next(std::chrono::milliseconds(0), &batch); !s.ok()) return s;
    // Caught up, the feed is back to its own limits for the live view.
    fresh_limits.Update(*db, fresh->get());
    if (batch.events.empty()) break;  // caught up with everything committed so far
    BatchWriter writer(*db, new_prefix, new_rows.get());
    if (Status s = handler(batch.events, writer); !s.ok()) return s;
    if (Status s = FromRocks(db->db->Write(rocksdb::WriteOptions(), writer.Seal())); !s.ok()) {
      return s;
    }
    writer.Committed();
    const Position target(db->commits->committed());
    if (Status s = FromRocks(db->db->Put(rocksdb::WriteOptions(), db->cf(Db::kCheckpoints),
                                         keys::ViewRebuildKey(options.name),
                                         keys::RebuildStateValue(batch.position, target)));
        !s.ok()) {
      return s;
    }
    if (progress) progress(batch.position, target);
  }
  // The switch: one write moves the view to the new generation.
  rocksdb::WriteBatch switch_batch;
  if (Status s = StoreState(&switch_batch, new_gen, (*fresh)->position()); !s.ok()) return s;
  if (Status s = FromRocks(db->db->Write(rocksdb::WriteOptions(), &switch_batch)); !s.ok()) {
    return s;
  }
  generation.store(new_gen);
  rows = std::move(new_rows);
  {
    std::lock_guard<std::mutex> lock(mu);
    position.store((*fresh)->position().value());
  }
  cv.notify_all();
  feed = std::move(fresh).value();
  const std::string old_prefix = keys::ViewRowPrefix(options.name, old_gen);
  return FromRocks(db->db->DeleteRange(rocksdb::WriteOptions(), db->cf(Db::kViews), old_prefix,
                                       keys::PrefixEnd(old_prefix)));
}

void View::Rep::Finish(Status s) { FinishFeedThread(*this, std::move(s)); }

void View::Rep::Run() {
  FeedBatch batch;
  while (!stop.load()) {
    uint64_t requested;
    {
      std::lock_guard<std::mutex> lock(mu);
      requested = rebuilds_requested;
    }
    if (requested > rebuilds_done) {
      Status s = RebuildNow();
      {
        std::lock_guard<std::mutex> lock(mu);
        rebuild_status = s;
        rebuilds_done = requested;
      }
      cv.notify_all();
      continue;
    }
    if (TakeRebuildRequest()) continue;
    Status s = feed->Next(kRequestCheckInterval, &batch);
    if (!s.ok()) {
      Finish(s.IsAborted() ? Status::OK() : s);
      return;
    }
    limits->Update(*db, feed.get());
    if (batch.position.value() <= position.load()) continue;  // woken without news
    if (!Apply(batch, generation.load())) {
      if (stop.load()) break;
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      position.store(batch.position.value());
    }
    cv.notify_all();
  }
  Finish(Status::OK());
}

View::View(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) { StartFeedThread(*rep_); }

View::~View() { Stop(); }

void View::Stop() { StopFeedThread(*rep_); }

Result<std::optional<std::string>> View::Get(std::string_view key) {
  return ViewGet(*rep_->db, rep_->options.name, rep_->generation.load(), key);
}

Result<std::vector<std::pair<std::string, std::string>>> View::Scan(std::string_view prefix,
                                                                    size_t max_count) {
  return ViewScan(*rep_->db, rep_->options.name, rep_->generation.load(), prefix, max_count);
}

Position View::position() const { return Position(rep_->position.load()); }

Status View::WaitFor(Position position, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(rep_->mu);
  rep_->cv.wait_for(lock, timeout,
                    [&] { return rep_->position.load() >= position.value() || rep_->finished; });
  if (rep_->position.load() >= position.value()) return Status::OK();
  if (rep_->finished) return rep_->status.ok() ? Status::Aborted("the view stopped") : rep_->status;
  return Status::TimedOut("view '" + rep_->options.name + "' is at position " +
                          std::to_string(rep_->position.load()) + ", waited for " +
                          std::to_string(position.value()));
}

Status View::Rebuild(const RebuildProgress& progress) {
  std::unique_lock<std::mutex> lock(rep_->mu);
  if (rep_->finished) return Status::Aborted("the view is not running");
  rep_->progress = progress;
  uint64_t ticket = ++rep_->rebuilds_requested;
  lock.unlock();
  rep_->db->commits->Poke();
  lock.lock();
  rep_->cv.wait(lock, [&] { return rep_->rebuilds_done >= ticket || rep_->finished; });
  if (rep_->rebuilds_done < ticket) return Status::Aborted("the view stopped");
  rep_->progress = nullptr;
  return rep_->rebuild_status;
}

Status View::status() const {
  std::lock_guard<std::mutex> lock(rep_->mu);
  return rep_->status;
}

Result<std::optional<std::string>> ViewGet(const Db& db, std::string_view name, uint64_t generation,
                                           std::string_view key) {
  std::string value;
  rocksdb::Status s = db.db->Get(rocksdb::ReadOptions(), db.cf(Db::kViews),
                                 keys::ViewRowKey(name, generation, key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s);
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::pair<std::string, std::string>>> ViewScan(const Db& db,
                                                                  std::string_view name,
                                                                  uint64_t generation,
                                                                  std::string_view prefix,
                                                                  size_t max_count,
                                                                  std::string_view start_after) {
  const std::string row_prefix = keys::ViewRowPrefix(name, generation);
  const std::string start = row_prefix + std::string(prefix);
  const std::string end = keys::PrefixEnd(start);
  // Keys after `start_after`: the smallest key above it is start_after + NUL.
  std::string seek = start;
  if (!start_after.empty() && start_after >= prefix) {
    seek = keys::ViewRowKey(name, generation, start_after);
    seek.push_back('\0');
  }
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(ro, db.cf(Db::kViews)));
  std::vector<std::pair<std::string, std::string>> out;
  for (it->Seek(seek); it->Valid() && out.size() < max_count; it->Next()) {
    out.emplace_back(it->key().ToString().substr(row_prefix.size()), it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

std::string RebuildRequestPath(const Db& db, std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string file = "rebuild-view-";
  for (unsigned char c : name) {
    file.push_back(kHex[c >> 4]);
    file.push_back(kHex[c & 0xf]);
  }
  return db.path + "/requests/" + file;
}

Result<RebuildState> LoadRebuildState(const Db& db, std::string_view name) {
  Result<std::optional<std::string>> value = checkpoint::GetValue(db, keys::ViewRebuildKey(name));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return RebuildState{};
  RebuildState state;
  if (!keys::ParseRebuildStateValue(**value, &state.position, &state.target)) {
    return Status::Corruption("malformed rebuild state of view '" + std::string(name) + "'");
  }
  return state;
}

Result<ViewState> LoadViewState(const Db& db, std::string_view name) {
  Result<std::optional<std::string>> value = checkpoint::GetValue(db, keys::ViewStateKey(name));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return ViewState{};
  ViewState state{.exists = true};
  if (!keys::ParseViewStateValue(**value, &state.generation, &state.position)) {
    return Status::Corruption("malformed state of view '" + std::string(name) + "'");
  }
  return state;
}

Result<ViewState> LoadExistingView(const Db& db, std::string_view name) {
  auto state = LoadViewState(db, name);
  if (!state.ok()) return state.status();
  if (!state->exists) return Status::NotFound("no view '" + std::string(name) + "'");
  return state;
}

Status RequestRebuild(const Db& db, std::string_view name) {
  if (auto state = LoadExistingView(db, name); !state.ok()) return state.status();
  std::string path = RebuildRequestPath(db, name);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream request(path);
  if (!request || !(request << "rebuild\n") || !request.flush()) {
    return Status::IOError("cannot write the rebuild request '" + path + "'");
  }
  return Status::OK();
}

void CancelRebuild(const Db& db, std::string_view name) {
  std::error_code ec;
  std::filesystem::remove(RebuildRequestPath(db, name), ec);
}

Result<Store::ViewProgress> LoadViewProgress(const Db& db, std::string_view name) {
  auto state = LoadExistingView(db, name);
  if (!state.ok()) return state.status();
  auto rebuild = LoadRebuildState(db, name);
  if (!rebuild.ok()) return rebuild.status();
  return Store::ViewProgress{.generation = state->generation,
                             .position = state->position,
                             .rebuild_position = rebuild->position,
                             .rebuild_target = rebuild->target};
}

Result<std::vector<Store::ViewInfo>> ListViews(const Db& db) {
  const uint64_t last = db.commits->committed();
  std::vector<std::string> names;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kCheckpoints)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view name;
    if (keys::ParseCheckpointKey(it->key().ToStringView(), &name) ==
        keys::CheckpointKind::kViewState) {
      names.emplace_back(name);
    }
  }
  if (!it->status().ok()) return FromRocks(it->status());
  std::vector<Store::ViewInfo> out;
  for (std::string& name : names) {
    auto progress = LoadViewProgress(db, name);
    if (progress.status().IsNotFound()) continue;  // dropped since the scan
    if (!progress.ok()) return progress.status();
    const uint64_t at = progress->position.value();
    out.push_back({.name = std::move(name), .progress = *progress, .lag = last > at ? last - at : 0});
  }
  return out;
}

Result<std::unique_ptr<View>> OpenView(Db* db, const Options& store_options, ViewOptions options,
                                       ViewHandler handler) {
  if (db->read_only) return Status::ReadOnly("views need a writable store");
  const std::string& name = options.name;
  if (Status s = checkpoint::ValidateName("view", name); !s.ok()) return s;
  if (!handler) return Status::InvalidArgument("view '" + name + "' has no handler");
  if (options.max_attempts == 0) return Status::InvalidArgument("max_attempts must be >= 1");
  auto state = LoadViewState(*db, name);
  if (!state.ok()) return state.status();

  auto rep = std::make_unique<View::Rep>();
  rep->db = db;
  rep->store_options = &store_options;
  rep->handler = std::move(handler);
  rep->generation.store(state->generation);
  rep->position.store(state->position.value());
  // Rows of any other generation are leftovers of an interrupted rebuild.
  std::string view_start = keys::ViewPrefix(name);
  std::string current = keys::ViewRowPrefix(name, state->generation);
  rocksdb::Status s =
      db->db->DeleteRange(rocksdb::WriteOptions(), db->cf(Db::kViews), view_start, current);
  if (s.ok()) {
    s = db->db->DeleteRange(rocksdb::WriteOptions(), db->cf(Db::kViews), keys::PrefixEnd(current),
                            keys::PrefixEnd(view_start));
  }
  if (!s.ok()) return FromRocks(s);

  ChangeFeedOptions feed_options = options.feed;
  feed_options.start = state->exists ? FeedStart::After(state->position) : FeedStart::Oldest();
  auto feed = OpenFeed(db, store_options, feed_options, /*wake_on_poke=*/true,
                       /*resume=*/state->exists);
  if (!feed.ok()) return feed.status();
  rep->feed = std::move(feed).value();
  rep->rows = std::make_unique<RowCache>(options.row_cache_bytes);
  rep->limits.emplace(options);
  rep->options = std::move(options);
  return View::Rep::Start(std::move(rep));
}

}  // namespace evlog
