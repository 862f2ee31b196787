#include "query.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "codec.h"
#include "holes.h"
#include "keys.h"
#include "log_chunks.h"
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
};

bool Reached(bool forward, uint64_t position, uint64_t target) {
  return forward ? position >= target : position <= target;
}

// One posting list: the keys of `family` that start with `prefix` and end
// with a position (8 bytes BE). `log` is one with the empty prefix.
class PostingCursor : public Cursor {
 public:
  PostingCursor(const Db& db, Db::Family family, std::string prefix, bool forward, Status* error)
      : forward_(forward), prefix_(std::move(prefix)), error_(error) {
    rocksdb::ColumnFamilyHandle* cf = db.cf(family);
    if (cf == nullptr) return;  // a read-only store made before by_tag: no postings
    rocksdb::ReadOptions ro;
    if (!prefix_.empty()) {
      lower_ = rocksdb::Slice(prefix_);
      upper_key_ = keys::PrefixEnd(prefix_);
      ro.iterate_lower_bound = &lower_;
      if (!upper_key_.empty()) {
        upper_ = rocksdb::Slice(upper_key_);
        ro.iterate_upper_bound = &upper_;
      }
    }
    it_.reset(db.db->NewIterator(ro, cf));
  }

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
    key_ = prefix_;
    key_.resize(prefix_.size() + 8);
    keys::PutU64BE(key_.data() + prefix_.size(), target);
    forward_ ? it_->Seek(key_) : it_->SeekForPrev(key_);
    return Load();
  }

 private:
  std::optional<uint64_t> Load() {
    if (!it_->Valid()) {
      done_ = true;
      if (!it_->status().ok()) *error_ = FromRocks(it_->status());
      return std::nullopt;
    }
    rocksdb::Slice key = it_->key();
    if (key.size() != prefix_.size() + 8 || !key.starts_with(prefix_)) {
      done_ = true;
      *error_ = Status::Corruption("malformed key in a query's index");
      return std::nullopt;
    }
    at_ = true;
    current_ = keys::GetU64BE(key.data() + prefix_.size());
    return current_;
  }

  const bool forward_;
  const std::string prefix_;
  Status* const error_;
  std::string upper_key_, key_;
  rocksdb::Slice lower_, upper_;
  std::unique_ptr<rocksdb::Iterator> it_;
  bool at_ = false;
  bool done_ = false;
  uint64_t current_ = 0;
};

// Every position the log holds (format 2: read from its chunks).
class LogCursor : public Cursor {
 public:
  LogCursor(const Db& db, bool forward, Status* error) : positions_(db, forward, error) {}
  std::optional<uint64_t> Seek(uint64_t target) override { return positions_.Seek(target); }

 private:
  LogPositions positions_;
};

// Positions that any child has.
class UnionCursor : public Cursor {
 public:
  UnionCursor(std::vector<std::unique_ptr<Cursor>> children, bool forward)
      : children_(std::move(children)), forward_(forward) {}

  std::optional<uint64_t> Seek(uint64_t target) override {
    std::optional<uint64_t> best;
    for (auto& child : children_) {
      std::optional<uint64_t> p = child->Seek(target);
      if (p && (!best || (forward_ ? *p < *best : *p > *best))) best = p;
    }
    return best;
  }

 private:
  std::vector<std::unique_ptr<Cursor>> children_;
  const bool forward_;
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

 private:
  std::vector<std::unique_ptr<Cursor>> children_;
};

std::unique_ptr<Cursor> OneOrUnion(std::vector<std::unique_ptr<Cursor>> cursors, bool forward) {
  if (cursors.size() == 1) return std::move(cursors.front());
  return std::make_unique<UnionCursor>(std::move(cursors), forward);
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
  std::vector<std::unique_ptr<Cursor>> items;
  for (const QueryItem& item : query.items) {
    std::vector<std::unique_ptr<Cursor>> parts;
    for (size_t i = 0; i < item.tags.size(); ++i) {
      const std::string& tag = item.tags[i];
      if (std::find(item.tags.begin(), item.tags.begin() + static_cast<ptrdiff_t>(i), tag) !=
          item.tags.begin() + static_cast<ptrdiff_t>(i)) {
        continue;  // a tag named twice needs one cursor
      }
      parts.push_back(
          std::make_unique<PostingCursor>(db, Db::kByTag, keys::TagPrefix(tag), forward, error));
    }
    if (!item.types.empty()) {
      std::vector<std::unique_ptr<Cursor>> types;
      for (const std::string& type : item.types) {
        types.push_back(std::make_unique<PostingCursor>(db, Db::kByType, keys::IndexPrefix(type),
                                                        forward, error));
      }
      parts.push_back(OneOrUnion(std::move(types), forward));
    }
    items.push_back(parts.size() == 1 ? std::move(parts.front())
                                      : std::make_unique<IntersectionCursor>(std::move(parts)));
  }
  return OneOrUnion(std::move(items), forward);
}

// Calls `on_event` with each event matching `query` from `start` on in the
// read's direction, up to position `head`, until it returns false or
// `limit` events were shown. Records are fetched in batches of candidates
// from the log's chunks (LogChunkReader keeps the last one): a batch never
// asks for more than the events still wanted.
template <class OnEvent>
Status ScanQuery(const Db& db, const Query& query, bool forward, uint64_t start, uint64_t head,
                 size_t limit, OnEvent on_event) {
  constexpr size_t kMaxBatch = 64;
  if (limit == 0 || (forward ? start > head : start == 0)) return Status::OK();
  Status error;
  std::unique_ptr<Cursor> cursor = NewQueryCursor(db, query, forward, &error);
  rocksdb::ReadOptions ro;
  HoleCheck holes(db, ro);
  std::unique_ptr<Visibility> visibility;
  if (db.has_metadata.load()) visibility = std::make_unique<Visibility>(db);
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  std::vector<uint64_t> batch;
  LogChunkReader log(db, ro);
  size_t shown = 0;
  bool exhausted = false;
  for (uint64_t target = start; !exhausted;) {
    batch.clear();
    const size_t want = std::min(kMaxBatch, limit - shown);
    while (batch.size() < want) {
      std::optional<uint64_t> p = cursor->Seek(target);
      if (!error.ok()) return error;
      if (!p || (forward && *p > head)) {
        exhausted = true;
        break;
      }
      batch.push_back(*p);
      if (!forward && *p == 1) {
        exhausted = true;
        break;
      }
      target = forward ? *p + 1 : *p - 1;
    }
    if (batch.empty()) break;
    for (size_t i = 0; i < batch.size(); ++i) {
      const uint64_t p = batch[i];
      std::string_view record;
      const Status s = log.Find(p, &record);
      if (s.IsNotFound()) {
        // Reclaimed by a trim or a stream's rule, or lost.
        if (Status explained = holes.Explain(p, p); !explained.ok()) {
          return explained.IsCorruption()
                     ? Status::Corruption("index entry for position " + std::to_string(p) +
                                          " has no event in the log: " + explained.message())
                     : explained;
        }
        continue;
      }
      if (!s.ok()) return s;
      if (Status d = codec::DecodeEvent(record, &scratch, &event); !d.ok()) {
        return d;
      }
      if (event.position.value() != p || !QueryMatches(query, event.type, event.tags)) {
        return Status::Corruption("index entry for position " + std::to_string(p) +
                                  " does not match the event there");
      }
      if (visibility) {
        Status hidden_error;
        const bool shown_here = visibility->Visible(event, &hidden_error);
        if (!hidden_error.ok()) return hidden_error;
        if (!shown_here) continue;
      }
      ++shown;
      if (!on_event(event) || shown == limit) return Status::OK();
    }
  }
  return Status::OK();
}

}  // namespace

Result<QueryResult> ReadQuery(const Db& db, const Query& query, const QueryOptions& options) {
  QueryResult out;
  // Read before any iterator is made: each then holds everything up to it.
  const uint64_t head = db.commits->committed();
  out.head = Position(head);
  if (options.max_count == 0) return out;
  const bool forward = options.direction == Direction::kForward;
  const uint64_t start = forward ? std::max<uint64_t>(options.from.value_or(Position(1)).value(), 1)
                                 : std::min(options.from.value_or(Position(head)).value(), head);
  Status s = ScanQuery(db, query, forward, start, head, options.max_count,
                       [&](const RecordedEvent& e) {
                         out.events.push_back(OwnedEvent::From(e));
                         return true;
                       });
  if (!s.ok()) return s;
  return out;
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
