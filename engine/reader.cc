#include "reader.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <unordered_map>

#include "chunk.h"
#include "clock.h"
#include "codec.h"
#include "holes.h"
#include "keys.h"
#include "log_chunks.h"
#include "postings.h"
#include "request.h"
#include "sequence.h"
#include "stream_chunks.h"
#include "stream_metadata.h"

namespace evlog {

namespace {

// Holds a RocksDB snapshot for the life of an iterator. Read-only
// (secondary) instances have no snapshots: their data changes only when they
// catch up, and then only by growing, which iterators tolerate.
class SnapshotHolder {
 public:
  explicit SnapshotHolder(const Db& db)
      : db_(db.db.get()), snapshot_(db.read_only ? nullptr : db_->GetSnapshot()) {}
  ~SnapshotHolder() {
    if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
  }
  SnapshotHolder(const SnapshotHolder&) = delete;
  SnapshotHolder& operator=(const SnapshotHolder&) = delete;
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// Common to all iterators: the current decoded event, the count limit, the
// sticky status, and skipping what stream metadata hides.
class IteratorBase : public EventIterator {
 public:
  explicit IteratorBase(size_t max_count) : remaining_(max_count) {}
  bool Valid() const override { return valid_; }
  const RecordedEvent& event() const override { return event_; }
  Status status() const override { return status_; }
  void Next() override {
    StepRaw();
    Settle();
  }

 protected:
  // Moves the underlying iterator one step.
  virtual void StepRaw() = 0;
  // Loads the event the underlying iterator is at (through Load or Fail).
  virtual void LoadCurrent() = 0;

  // Loads the current event, stepping over hidden ones. Derived
  // constructors call it once positioned.
  void Settle() {
    for (;;) {
      LoadCurrent();
      if (!valid_ || Shown()) return;
      ++remaining_;  // a hidden event does not count
      StepRaw();
    }
  }

  bool Shown() {
    if (hide_system_ && IsSystemStream(event_.stream)) return false;
    if (min_timestamp_us_ != 0 && event_.timestamp_us < min_timestamp_us_) return false;
    if (!visibility_) return true;
    Status error;
    if (visibility_->Visible(event_, &error)) return true;
    if (!error.ok()) {
      Fail(std::move(error));
      return true;  // stop here with the error
    }
    return false;
  }

  // Global reads on a store with metadata: check each event's stream.
  std::unique_ptr<Visibility> visibility_;
  // Stream reads: events older than this are hidden (max age).
  int64_t min_timestamp_us_ = 0;
  // Global reads without ReadAllOptions::include_system.
  bool hide_system_ = false;

  // Decodes `bytes` into event_ and checks it matches where it was found.
  // Sets valid_ (and status_ on failure).
  void Load(std::string_view bytes, Position expect_position, Version expect_version) {
    if (remaining_ == 0) {
      valid_ = false;
      return;
    }
    Status s = codec::DecodeEvent(bytes, &scratch_, &event_);
    if (s.ok() && event_.position != expect_position && expect_position.value() != 0) {
      s = Status::Corruption("record at position " + std::to_string(expect_position.value()) +
                             " claims position " + std::to_string(event_.position.value()));
    }
    if (s.ok() && expect_version.value() != 0 && event_.version != expect_version) {
      s = Status::Corruption("record of version " + std::to_string(expect_version.value()) +
                             " claims version " + std::to_string(event_.version.value()));
    }
    if (!s.ok()) {
      Fail(std::move(s));
      return;
    }
    --remaining_;
    valid_ = true;
  }

  void Fail(Status s) {
    status_ = std::move(s);
    valid_ = false;
  }

  bool valid_ = false;
  size_t remaining_;
  Status status_;
  RecordedEvent event_;
  codec::AlignedBuffer scratch_;
};

// Reads one stream's chunks (format 2, §1.5) in either direction. The
// iterator's bounds are [StreamKey(id, min_version), StreamKey(id + 1, 0)):
// keys name a chunk's last version, so the chunk holding min_version is
// inside them, and its slots below min_version are skipped.
class StreamIterator : public IteratorBase {
 public:
  StreamIterator(const Db& db, uint64_t stream_id, const ReadStreamOptions& options,
                 const ReadBounds& bounds)
      : IteratorBase(options.max_count),
        snapshot_(db),
        stream_id_(stream_id),
        forward_(options.direction == Direction::kForward),
        min_version_(std::max<uint64_t>(bounds.min_version.value(), 1)),
        lower_(keys::StreamKey(stream_id, bounds.min_version)),
        upper_(keys::StreamKey(stream_id + 1, Version(0))),
        lower_slice_(lower_),
        upper_slice_(upper_) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_.get();
    ro.iterate_lower_bound = &lower_slice_;
    ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db.db->NewIterator(ro, db.cf(Db::kStream)));
    min_timestamp_us_ = bounds.min_timestamp_us;
    if (forward_) {
      target_ = std::max(options.from.value_or(Version(1)).value(), min_version_);
      it_->Seek(keys::StreamKey(stream_id, Version(target_)));
    } else if (options.from) {
      // The first chunk whose last version is >= from, or the last one;
      // LoadChunk steps back if its range starts past from.
      target_ = options.from->value();
      it_->Seek(keys::StreamKey(stream_id, *options.from));
      if (!it_->Valid() && it_->status().ok()) it_->SeekToLast();
    } else {
      target_ = std::numeric_limits<uint64_t>::max();
      it_->SeekToLast();
    }
    Settle();
  }

 private:
  void StepRaw() override {
    if (forward_) {
      ++slot_;
    } else if (slot_ == 0) {
      loaded_ = false;
      it_->Prev();
    } else {
      --slot_;
    }
  }

  void LoadCurrent() override {
    if (remaining_ == 0) {
      valid_ = false;
      return;
    }
    for (;;) {
      if (!loaded_ && !LoadChunk()) return;
      if (forward_ ? slot_ < view_.n : slot_ != kNone) break;
      loaded_ = false;
      forward_ ? it_->Next() : it_->Prev();
    }
    const uint64_t version = chunk::SlotSeq(view_, slot_);
    if (version < min_version_) {  // backward, below the bound: the end
      valid_ = false;
      return;
    }
    // A one-record chunk's record was checked as the chunk was parsed.
    std::string_view record = one_record_;
    if (record.empty()) {
      if (Status s = chunk::ChunkRecord(view_, slot_, &record); !s.ok()) {
        Fail(Status::Corruption("stream id " + std::to_string(stream_id_) + " version " +
                                std::to_string(version) + ": " + std::string(s.message())));
        return;
      }
    }
    Load(record, Position(0), Version(version));
  }

  // Parses the chunk it_ is at and positions slot_ at its first record in
  // the read's direction (forward: at or past target_; backward: at or
  // below it, kNone if none). False (valid_ false) at the end or on an
  // error.
  bool LoadChunk() {
    if (!it_->Valid()) {
      valid_ = false;
      if (!it_->status().ok()) Fail(FromRocks(it_->status()));
      return false;
    }
    uint64_t id = 0;
    if (Status s = ParseStreamChunkOfOne(it_->key().ToStringView(), it_->value().ToStringView(),
                                         &id, &view_, &aligned_, &one_record_);
        !s.ok()) {
      Fail(std::move(s));
      return false;
    }
    if (id != stream_id_) {
      Fail(Status::Corruption("malformed key in the stream index"));
      return false;
    }
    if (forward_) {
      slot_ = chunk::LowerSlot(view_, target_);
    } else {
      const size_t above = target_ == std::numeric_limits<uint64_t>::max()
                               ? view_.n
                               : chunk::LowerSlot(view_, target_ + 1);
      slot_ = above == 0 ? kNone : above - 1;
    }
    loaded_ = true;
    return true;
  }

  static constexpr size_t kNone = std::numeric_limits<size_t>::max();

  SnapshotHolder snapshot_;
  uint64_t stream_id_;
  bool forward_;
  // Versions below it are hidden: the read stops (backward) or starts there.
  uint64_t min_version_;
  // Forward: the first version to show; backward: the last.
  uint64_t target_ = 0;
  std::string lower_, upper_;
  rocksdb::Slice lower_slice_, upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
  chunk::ChunkView view_;
  // The record of a chunk of one record, checked by ParseChunkOfOne (in
  // the chunk's value, or copied into aligned_); empty for other chunks.
  std::string_view one_record_;
  std::vector<uint64_t> aligned_;
  bool loaded_ = false;
  size_t slot_ = 0;
};

// Reads `log` in position order, chunk by chunk (format 2, §1.5).
// Positions are gapless, so it knows which comes next: a gap between the
// ranges of two chunks, or an end before the last position committed when
// it started, must be explained by a trim or a stream's rule (HoleCheck).
// Positions missing inside a chunk's range were removed by the trim filter
// (the only writer that rewrites a chunk; the header CRC covers the slots),
// so they are skipped without a check.
class LogIterator : public IteratorBase {
 public:
  LogIterator(const Db& db, const ReadAllOptions& options, bool bulk)
      : IteratorBase(options.max_count),
        // Before the snapshot: it holds at least every event up to here.
        committed_(db.commits->committed()),
        snapshot_(db),
        holes_(db, read_options_),
        expected_(std::max<uint64_t>(options.from.value(), 1)) {
    read_options_.snapshot = snapshot_.get();
    read_options_.fill_cache = !bulk;
    it_.reset(db.db->NewIterator(read_options_, db.cf(Db::kLog)));
    if (db.has_metadata.load()) visibility_ = std::make_unique<Visibility>(db);
    hide_system_ = !options.include_system;
    // The first chunk whose last position is >= from: it holds from if its
    // range starts at or below it (a read that starts mid-chunk).
    it_->Seek(keys::LogKey(Position(expected_)));
    Settle();
  }

 private:
  void StepRaw() override { ++slot_; }

  void LoadCurrent() override {
    if (remaining_ == 0) {
      valid_ = false;
      return;
    }
    for (;;) {
      if (!loaded_ && !LoadChunk()) return;
      if (slot_ < view_.n) break;
      loaded_ = false;
      it_->Next();
    }
    std::string_view record;
    if (Status s = chunk::ChunkRecord(view_, slot_, &record); !s.ok()) {
      Fail(Status::Corruption("log position " + std::to_string(chunk::SlotSeq(view_, slot_)) +
                              ": " + std::string(s.message())));
      return;
    }
    Load(record, Position(chunk::SlotSeq(view_, slot_)), Version(0));
  }

  // Parses the chunk it_ is at and positions slot_ at its first record at
  // or past expected_. False (with valid_ false) at the end or on an error.
  bool LoadChunk() {
    if (!it_->Valid()) {
      valid_ = false;
      if (!it_->status().ok()) {
        Fail(FromRocks(it_->status()));
      } else if (expected_ <= committed_) {
        if (Status s = holes_.Explain(expected_, committed_); !s.ok()) Fail(std::move(s));
        expected_ = committed_ + 1;
      }
      return false;
    }
    if (Status s = ParseLogChunk(it_->key().ToStringView(), it_->value().ToStringView(), &view_);
        !s.ok()) {
      Fail(std::move(s));
      return false;
    }
    if (view_.first > expected_ && expected_ <= committed_) {
      const uint64_t last = std::min(view_.first - 1, committed_);
      if (Status s = holes_.Explain(expected_, last); !s.ok()) {
        Fail(std::move(s));
        return false;
      }
    }
    slot_ = chunk::LowerSlot(view_, expected_);
    expected_ = std::max(expected_, view_.last() + 1);
    loaded_ = true;
    return true;
  }

  const uint64_t committed_;
  SnapshotHolder snapshot_;
  rocksdb::ReadOptions read_options_;
  HoleCheck holes_;
  // The position the next chunk's range must start at.
  uint64_t expected_;
  std::unique_ptr<rocksdb::Iterator> it_;
  chunk::ChunkView view_;
  bool loaded_ = false;
  size_t slot_ = 0;
};

// Walks a category or type index (its posting chunks) and fetches each
// record from `log`.
class IndexIterator : public IteratorBase {
 public:
  IndexIterator(const Db& db, Db::Family family, std::string_view name,
                const ReadAllOptions& options)
      : IteratorBase(options.max_count),
        snapshot_(db),
        holes_(db, read_options_),
        log_(db, read_options_),
        postings_(db, family, name, SnapshotRead(read_options_, snapshot_)) {
    if (db.has_metadata.load()) visibility_ = std::make_unique<Visibility>(db);
    hide_system_ = !options.include_system;
    at_ = postings_.SeekForward(options.from.value());
    Settle();
  }

 private:
  // Sets the snapshot into `ro` before the posting list copies it.
  static const rocksdb::ReadOptions& SnapshotRead(rocksdb::ReadOptions& ro,
                                                  const SnapshotHolder& snapshot) {
    ro.snapshot = snapshot.get();
    return ro;
  }

  void StepRaw() override {
    if (at_) at_ = postings_.SeekForward(*at_ + 1);
  }

  void LoadCurrent() override {
    // Loops (not recurses) over index entries whose events were reclaimed:
    // after a large trim there can be any number of them in a row.
    for (; at_; at_ = postings_.SeekForward(*at_ + 1)) {
      const uint64_t position = *at_;
      std::string_view record;
      Status s = log_.Find(position, &record);
      if (s.IsNotFound()) {
        // Reclaimed by a trim or a stream's rule, or lost.
        Status explained = holes_.Explain(position, position);
        if (explained.ok()) continue;
        Fail(explained.IsCorruption()
                 ? Status::Corruption("index entry for position " + std::to_string(position) +
                                      " has no event in the log: " + explained.message())
                 : std::move(explained));
        return;
      }
      if (!s.ok()) {
        Fail(std::move(s));
        return;
      }
      Load(record, Position(position), Version(0));
      return;
    }
    valid_ = false;
    if (!postings_.status().ok()) Fail(postings_.status());
  }

  SnapshotHolder snapshot_;
  rocksdb::ReadOptions read_options_;
  HoleCheck holes_;
  LogChunkReader log_;
  PostingList postings_;
  std::optional<uint64_t> at_;
};

class ErrorIterator : public EventIterator {
 public:
  explicit ErrorIterator(Status status) : status_(std::move(status)) {}
  bool Valid() const override { return false; }
  void Next() override {}
  const RecordedEvent& event() const override { return event_; }
  Status status() const override { return status_; }

 private:
  Status status_;
  RecordedEvent event_;
};

}  // namespace

Visibility::Visibility(const Db& db) : db_(db), now_us_(WallMicros()) {}

bool Visibility::Visible(const RecordedEvent& e, Status* error) {
  auto it = bounds_.find(e.stream);
  if (it == bounds_.end()) {
    StreamMetadata metadata;
    StreamHead head;
    std::string stream(e.stream);
    if (Status s = LoadMetadata(db_, stream, &metadata); !s.ok()) {
      *error = s;
      return false;
    }
    if (Status s = LoadStreamHead(db_, rocksdb::ReadOptions(), stream, &head); !s.ok()) {
      *error = s;
      return false;
    }
    it = bounds_.emplace(std::move(stream), BoundsFor(metadata, head.version, now_us_)).first;
  }
  const ReadBounds& b = it->second;
  return !b.gone && e.version >= b.min_version && e.timestamp_us >= b.min_timestamp_us;
}

std::unique_ptr<EventIterator> NewStreamIterator(const Db& db, uint64_t stream_id,
                                                 const ReadStreamOptions& options,
                                                 const ReadBounds& bounds) {
  return std::make_unique<StreamIterator>(db, stream_id, options, bounds);
}

std::unique_ptr<EventIterator> NewLogIterator(const Db& db, const ReadAllOptions& options,
                                              bool bulk) {
  if (!options.category.empty() && !options.event_type.empty()) {
    return NewErrorIterator(
        Status::InvalidArgument("read by category and by event type at once is not supported"));
  }
  if (!options.category.empty()) {
    return std::make_unique<IndexIterator>(db, Db::kByCategory, options.category, options);
  }
  if (!options.event_type.empty()) {
    return std::make_unique<IndexIterator>(db, Db::kByType, options.event_type, options);
  }
  return std::make_unique<LogIterator>(db, options, bulk);
}

std::unique_ptr<EventIterator> NewErrorIterator(Status status) {
  return std::make_unique<ErrorIterator>(std::move(status));
}

Result<std::vector<StreamInfo>> ListStreams(const Db& db, const ListStreamsOptions& options) {
  SnapshotHolder snapshot(db);
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.get();
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(ro, db.cf(Db::kStreams)));
  // Streams of category C are named C or C-*. In key order they come as
  // "C", then names like "C!x" that are not in it, then "C-*".
  const std::string& category = options.category;
  const std::string prefix = category.empty() ? std::string() : category + "-";
  it->Seek(std::max(category, options.start_after));
  std::vector<StreamInfo> out;
  for (; it->Valid() && out.size() < options.max_count; it->Next()) {
    std::string_view name = it->key().ToStringView();
    if (!options.start_after.empty() && name == options.start_after) continue;
    if (!options.include_system && IsSystemStream(name)) continue;
    if (!category.empty() && name != category && !name.starts_with(prefix)) {
      if (!name.starts_with(category) || name > prefix) break;
      continue;
    }
    StreamHead head;
    if (Status s = LoadStreamHead(db, ro, name, &head); !s.ok()) return s;
    if (head.version.value() == 0) continue;
    out.push_back(StreamInfo{std::string(name), head.version});
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

Result<std::unique_ptr<EventIterator>> ReadStream(const Db& db, const Options& store_options,
                                                  std::string_view stream,
                                                  const ReadStreamOptions& options) {
  if (Status s = ValidateStreamName(stream, store_options.max_stream_name_bytes,
                                    /*allow_reserved=*/true);
      !s.ok()) {
    return s;
  }
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  if (head.version.value() == 0) {
    return Status::NotFound("stream '" + std::string(stream) + "' not found");
  }
  ReadBounds bounds;
  if (db.has_metadata.load()) {
    StreamMetadata metadata;
    if (Status s = LoadMetadata(db, stream, &metadata); !s.ok()) return s;
    bounds = BoundsFor(metadata, head.version, WallMicros());
    // A max count moves as the stream grows: let compaction follow.
    db.truncations->Raise(stream, bounds.min_version);
    if (bounds.gone) {
      return Status::NotFound("stream '" + std::string(stream) + "' was deleted");
    }
  }
  return NewStreamIterator(db, head.id, options, bounds);
}

Result<Version> StreamVersion(const Db& db, const Options& store_options,
                              std::string_view stream) {
  if (Status s = ValidateStreamName(stream, store_options.max_stream_name_bytes,
                                    /*allow_reserved=*/true);
      !s.ok()) {
    return s;
  }
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  return head.version;
}

}  // namespace evlog
