#include "query.h"

#include <rocksdb/perf_level.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "codec.h"
#include "holes.h"
#include "keys.h"
#include "log_chunks.h"
#include "postings.h"
#include "reader.h"

namespace evlog {

namespace {

// Candidate positions of a query in one direction. Seek(target) returns the
// first candidate at or past `target` (forward: >=, backward: <=), nullopt
// when there is none or on an error (then *error is set). Targets of
// successive calls never move backwards in the read's direction.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual std::optional<uint64_t> Seek(uint64_t target) = 0;
  // The event record stored with the candidate the last Seek returned (a
  // covering `by_tag` posting, or the log itself); empty if none was (a
  // type posting, a tag posting written before postings carried records).
  // Unverified; valid until the next Seek.
  virtual std::string_view record() const = 0;
};

bool Reached(bool forward, uint64_t position, uint64_t target) {
  return forward ? position >= target : position <= target;
}

// One tag's posting list: the keys of `by_tag` that start with the tag's
// prefix and end with a position (8 bytes BE); the value is the event's
// record (empty in an entry written before postings carried records). The
// list ends at the first key without the prefix: a pooled iterator has no
// bounds (iterator_pool.h).
class PostingCursor : public Cursor {
 public:
  PostingCursor(const Db& db, std::string_view tag, bool forward, Status* error)
      : forward_(forward),
        key_(keys::TagKey(tag, Position(0))),
        prefix_(key_.data(), key_.size() - 8),
        error_(error) {
    rocksdb::ColumnFamilyHandle* cf = db.cf(Db::kByTag);
    if (cf == nullptr) return;  // a read-only store made before by_tag: no postings
    // A posting list is short: building its iterator would cost as much
    // as reading it. (A read-only store's iterators stay its own: its
    // superversions change under CatchUp, not under the pool's listener.)
    if (!db.read_only) {
      lease_ = db.iterators->Take(db.db.get(), cf);
      it_ = lease_.get();
      return;
    }
    rocksdb::ReadOptions ro;
    lower_ = rocksdb::Slice(prefix_.data(), prefix_.size());
    ro.iterate_lower_bound = &lower_;
    upper_key_ = keys::PrefixEnd(std::string(prefix_));
    if (!upper_key_.empty()) {
      upper_ = rocksdb::Slice(upper_key_);
      ro.iterate_upper_bound = &upper_;
    }
    owned_.reset(db.db->NewIterator(ro, cf));
    it_ = owned_.get();
  }

  PostingCursor(const PostingCursor&) = delete;  // prefix_ points into key_
  PostingCursor& operator=(const PostingCursor&) = delete;

  std::optional<uint64_t> Seek(uint64_t target) override {
    if (it_ == nullptr || done_) return std::nullopt;
    if (at_) {
      if (Reached(forward_, current_, target)) return current_;
      // The next entry is the likely answer: a step is cheaper than a seek.
      if (target == (forward_ ? current_ + 1 : current_ - 1)) {
        forward_ ? it_->Next() : it_->Prev();
        return Load();
      }
    }
    keys::PutU64BE(key_.data() + prefix_.size(), target);
    forward_ ? it_->Seek(key_) : it_->SeekForPrev(key_);
    return Load();
  }

  std::string_view record() const override {
    return at_ && !done_ ? it_->value().ToStringView() : std::string_view();
  }

 private:
  std::optional<uint64_t> Load() {
    if (!it_->Valid()) {
      done_ = true;
      if (!it_->status().ok()) *error_ = FromRocks(it_->status());
      return std::nullopt;
    }
    rocksdb::Slice key = it_->key();
    if (!key.starts_with(rocksdb::Slice(prefix_.data(), prefix_.size()))) {
      done_ = true;  // past the list's end: the next tag's key, or the previous one's
      return std::nullopt;
    }
    if (key.size() != key_.size()) {
      done_ = true;
      *error_ = Status::Corruption("malformed key in a query's index");
      return std::nullopt;
    }
    at_ = true;
    current_ = keys::GetU64BE(key.data() + prefix_.size());
    return current_;
  }

  const bool forward_;
  // The tag's prefix and a position: the key of the last seek.
  std::string key_;
  // The first bytes of key_, which never moves.
  const std::string_view prefix_;
  Status* const error_;
  // The bounds of an iterator of a read-only store.
  std::string upper_key_;
  rocksdb::Slice lower_, upper_;
  // Where the iterator comes from: the store's pool, or made for this
  // cursor. it_ is null when the family does not exist.
  IteratorPool::Lease lease_;
  std::unique_ptr<rocksdb::Iterator> owned_;
  rocksdb::Iterator* it_ = nullptr;
  bool at_ = false;
  bool done_ = false;
  uint64_t current_ = 0;
};

// One category or type: its posting chunks (postings.h). It shows no
// record: the scan reads it through its LogChunkReader.
class IndexCursor : public Cursor {
 public:
  IndexCursor(const Db& db, Db::Family family, std::string_view name, bool forward, Status* error)
      : forward_(forward), error_(error), list_(db, family, name, read_options_) {}

  std::optional<uint64_t> Seek(uint64_t target) override {
    std::optional<uint64_t> p = forward_ ? list_.SeekForward(target) : list_.SeekBackward(target);
    if (!list_.status().ok() && error_->ok()) *error_ = list_.status();
    return p;
  }
  std::string_view record() const override { return {}; }

 private:
  const bool forward_;
  Status* const error_;
  rocksdb::ReadOptions read_options_;
  PostingList list_;
};

// Every position the log holds (format 2: read from its chunks). It shows
// no record: the scan reads it through its LogChunkReader, which keeps the
// chunk it last read.
class LogCursor : public Cursor {
 public:
  LogCursor(const Db& db, bool forward, Status* error) : positions_(db, forward, error) {}
  std::optional<uint64_t> Seek(uint64_t target) override { return positions_.Seek(target); }
  std::string_view record() const override { return {}; }

 private:
  LogPositions positions_;
};

// Positions that any child has.
class UnionCursor : public Cursor {
 public:
  UnionCursor(std::vector<std::unique_ptr<Cursor>> children, bool forward)
      : children_(std::move(children)), forward_(forward) {}

  std::optional<uint64_t> Seek(uint64_t target) override {
    best_.reset();
    at_.resize(children_.size());
    for (size_t i = 0; i < children_.size(); ++i) {
      at_[i] = children_[i]->Seek(target);
      const std::optional<uint64_t>& p = at_[i];
      if (p && (!best_ || (forward_ ? *p < *best_ : *p > *best_))) best_ = p;
    }
    return best_;
  }

  // Any child's at the position found: one item may hold a record where
  // another has none.
  std::string_view record() const override {
    for (size_t i = 0; best_ && i < children_.size(); ++i) {
      if (at_[i] != best_) continue;
      if (std::string_view r = children_[i]->record(); !r.empty()) return r;
    }
    return {};
  }

 private:
  std::vector<std::unique_ptr<Cursor>> children_;
  const bool forward_;
  std::vector<std::optional<uint64_t>> at_;  // each child's last answer
  std::optional<uint64_t> best_;
};

// Positions that every child has, found by leapfrogging: each child seeks
// to where the previous one landed until all agree.
class IntersectionCursor : public Cursor {
 public:
  explicit IntersectionCursor(std::vector<std::unique_ptr<Cursor>> children)
      : children_(std::move(children)) {}

  std::optional<uint64_t> Seek(uint64_t target) override {
    for (;;) {
      bool agreed = true;
      for (auto& child : children_) {
        std::optional<uint64_t> p = child->Seek(target);
        if (!p) return std::nullopt;
        if (*p != target) {
          target = *p;
          agreed = false;
        }
      }
      if (agreed) return target;
    }
  }

  // All children are at the position found: the first record any holds.
  std::string_view record() const override {
    for (const auto& child : children_) {
      if (std::string_view r = child->record(); !r.empty()) return r;
    }
    return {};
  }

 private:
  std::vector<std::unique_ptr<Cursor>> children_;
};

std::unique_ptr<Cursor> OneOrUnion(std::vector<std::unique_ptr<Cursor>> cursors, bool forward) {
  if (cursors.size() == 1) return std::move(cursors.front());
  return std::make_unique<UnionCursor>(std::move(cursors), forward);
}

// The cursor of one item that names a tag or a type: the intersection of
// its tags' postings and the union of its types'.
std::unique_ptr<Cursor> NewItemCursor(const Db& db, const QueryItem& item, bool forward,
                                      Status* error) {
  // The most common query, one tag: its posting list alone, without the
  // vectors of parts (two allocations per read).
  if (item.tags.size() == 1 && item.types.empty()) {
    return std::make_unique<PostingCursor>(db, item.tags.front(), forward, error);
  }
  std::vector<std::unique_ptr<Cursor>> parts;
  for (size_t i = 0; i < item.tags.size(); ++i) {
    const std::string& tag = item.tags[i];
    if (std::find(item.tags.begin(), item.tags.begin() + static_cast<ptrdiff_t>(i), tag) !=
        item.tags.begin() + static_cast<ptrdiff_t>(i)) {
      continue;  // a tag named twice needs one cursor
    }
    parts.push_back(std::make_unique<PostingCursor>(db, tag, forward, error));
  }
  if (!item.types.empty()) {
    std::vector<std::unique_ptr<Cursor>> types;
    for (const std::string& type : item.types) {
      types.push_back(std::make_unique<IndexCursor>(db, Db::kByType, type, forward, error));
    }
    parts.push_back(OneOrUnion(std::move(types), forward));
  }
  return parts.size() == 1 ? std::move(parts.front())
                           : std::make_unique<IntersectionCursor>(std::move(parts));
}

// The cursor of `query`: postings for each item, the log if any item (or
// the empty query) matches everything.
std::unique_ptr<Cursor> NewQueryCursor(const Db& db, const Query& query, bool forward,
                                       Status* error) {
  const auto matches_all = [](const QueryItem& item) {
    return item.types.empty() && item.tags.empty();
  };
  if (query.items.empty() || std::any_of(query.items.begin(), query.items.end(), matches_all)) {
    return std::make_unique<LogCursor>(db, forward, error);
  }
  if (query.items.size() == 1) return NewItemCursor(db, query.items.front(), forward, error);
  std::vector<std::unique_ptr<Cursor>> items;
  items.reserve(query.items.size());
  for (const QueryItem& item : query.items) {
    items.push_back(NewItemCursor(db, item, forward, error));
  }
  return std::make_unique<UnionCursor>(std::move(items), forward);
}

// Shows the events of a query's candidates, each verified, checked against
// the query and hidden as reads of the log hide it. A candidate whose
// posting carries its record is shown from it; the others are read from
// the log's chunks (LogChunkReader keeps the chunk it last read, so the
// candidates of one chunk cost one read of it). Candidates are shown in the
// order they come.
template <class OnEvent>
class QueryScan {
 public:
  QueryScan(const Db& db, const Query& query, size_t limit, OnEvent& on_event)
      : query_(query), limit_(limit), on_event_(on_event), holes_(db, ro_), log_(db, ro_) {
    if (db.has_metadata.load()) visibility_ = std::make_unique<Visibility>(db);
  }

  // Whether another candidate may be added; false once `limit` events
  // were shown or `on_event` asked to stop.
  bool open() const { return !done_; }

  // Shows candidate `position`, whose posting carried `record` (unverified;
  // empty: none, read it from the log).
  Status Add(uint64_t position, std::string_view record) {
    if (!record.empty()) return Show(position, record);
    const Status s = log_.Find(position, &record);
    if (s.IsNotFound()) {
      // Reclaimed by a trim or a stream's rule, or lost.
      if (Status explained = holes_.Explain(position, position); !explained.ok()) {
        return explained.IsCorruption()
                   ? Status::Corruption("index entry for position " + std::to_string(position) +
                                        " has no event in the log: " + explained.message())
                   : explained;
      }
      return Status::OK();
    }
    if (!s.ok()) return s;
    return Show(position, record);
  }

 private:
  Status Show(uint64_t position, std::string_view record) {
    if (Status d = codec::DecodeEvent(record, &scratch_, &event_); !d.ok()) {
      return Status::Corruption("event record for position " + std::to_string(position) +
                                " in a query's index or the log: " + d.message());
    }
    if (event_.position.value() != position || !QueryMatches(query_, event_.type, event_.tags)) {
      return Status::Corruption("index entry for position " + std::to_string(position) +
                                " does not match the event there");
    }
    if (visibility_) {
      Status hidden_error;
      const bool visible = visibility_->Visible(event_, &hidden_error);
      if (!hidden_error.ok()) return hidden_error;
      if (!visible) return Status::OK();
    }
    ++shown_;
    done_ = !on_event_(event_) || shown_ == limit_;
    return Status::OK();
  }

  const Query& query_;
  const size_t limit_;
  OnEvent& on_event_;
  rocksdb::ReadOptions ro_;
  HoleCheck holes_;
  LogChunkReader log_;
  std::unique_ptr<Visibility> visibility_;
  codec::AlignedBuffer scratch_;
  RecordedEvent event_;
  size_t shown_ = 0;
  bool done_ = false;
};

// Turns off, for its lifetime, the counting RocksDB does at each step of a
// read into the thread's PerfContext (a thread starts at kEnableCount).
// evlog reads no PerfContext; the counting (thread-local accesses through
// the shared library) was 3% of a one-tag read's instructions. Restores the
// thread's level.
class PerfCountingOff {
 public:
  PerfCountingOff() : level_(rocksdb::GetPerfLevel()) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  }
  ~PerfCountingOff() { rocksdb::SetPerfLevel(level_); }
  PerfCountingOff(const PerfCountingOff&) = delete;
  PerfCountingOff& operator=(const PerfCountingOff&) = delete;

 private:
  const rocksdb::PerfLevel level_;
};

// Calls `on_event` with each event matching `query` from `start` on in the
// read's direction, up to position `head`, until it returns false or
// `limit` events were shown.
template <class OnEvent>
Status ScanQuery(const Db& db, const Query& query, bool forward, uint64_t start, uint64_t head,
                 size_t limit, OnEvent on_event) {
  if (limit == 0 || (forward ? start > head : start == 0)) return Status::OK();
  PerfCountingOff uncounted;
  Status error;
  std::unique_ptr<Cursor> cursor = NewQueryCursor(db, query, forward, &error);
  QueryScan<OnEvent> scan(db, query, limit, on_event);
  for (uint64_t target = start; scan.open();) {
    std::optional<uint64_t> p = cursor->Seek(target);
    if (!error.ok()) return error;
    if (!p || (forward && *p > head)) break;
    if (Status s = scan.Add(*p, cursor->record()); !s.ok()) return s;
    if (!forward && *p == 1) break;
    target = forward ? *p + 1 : *p - 1;
  }
  return Status::OK();
}

// An OwnedEvent made where it is converted to one: emplace_back(OwnedFrom{e})
// builds the event in the vector's own storage (the conversion's result is
// not a temporary), where push_back(OwnedEvent::From(e)) builds one and
// moves it: four strings and a vector moved, and the husk destroyed, per
// event (#19).
struct OwnedFrom {
  const RecordedEvent& event;
  operator OwnedEvent() const { return OwnedEvent::From(event); }
};

// Calls `on_event` with each event a read of `query` with `options`
// returns, until it returns false; returns the read's head.
template <class OnEvent>
Result<Position> ScanQueryRead(const Db& db, const Query& query, const QueryOptions& options,
                               OnEvent on_event) {
  // Read before any iterator is made (or, pooled, refreshed): each then
  // holds everything up to it.
  const uint64_t head = db.commits->committed();
  const bool forward = options.direction == Direction::kForward;
  const uint64_t start = forward ? std::max<uint64_t>(options.from.value_or(Position(1)).value(), 1)
                                 : std::min(options.from.value_or(Position(head)).value(), head);
  Status s = ScanQuery(db, query, forward, start, head, options.max_count, on_event);
  if (!s.ok()) return s;
  return Position(head);
}

}  // namespace

Result<QueryResult> ReadQuery(const Db& db, const Query& query, const QueryOptions& options) {
  QueryResult out;
  // Most queries return a few events: no regrowth (and no moves of the
  // events) below 16. 6% of a one-tag read's instructions.
  out.events.reserve(std::min<size_t>(options.max_count, 16));
  Result<Position> head = ScanQueryRead(db, query, options, [&](const RecordedEvent& e) {
    out.events.emplace_back(OwnedFrom{e});
    return true;
  });
  if (!head.ok()) return head.status();
  out.head = *head;
  return out;
}

Result<Position> VisitQuery(const Db& db, const Query& query, const QueryOptions& options,
                            const std::function<bool(const RecordedEvent&)>& visit) {
  return ScanQueryRead(db, query, options, std::cref(visit));
}

Result<std::optional<Position>> FirstQueryMatchAfter(const Db& db, const Query& query,
                                                     Position after) {
  const uint64_t head = db.commits->committed();
  std::optional<Position> first;
  if (after.value() >= head) return first;
  Status s = ScanQuery(db, query, /*forward=*/true, after.value() + 1, head, /*limit=*/1,
                       [&](const RecordedEvent& e) {
                         first = e.position;
                         return false;
                       });
  if (!s.ok()) return s;
  return first;
}

}  // namespace evlog
