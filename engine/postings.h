// postings: the category and type indexes (`by_category`, `by_type`) in
// storage format 2 (docs/plans/format2.md, §1.2-1.3). A key is name + '\0'
// + the LAST position of a posting chunk (chunk.h, kind kPostings), which
// holds the ascending positions of that name's events in one log chunk:
// the writer puts one chunk per (log chunk, name), never one per event.
//
// Invariant: the chunks of one name cover disjoint, ascending ranges (a
// chunk's positions all lie above the previous key's), so a Seek to
// IndexKey(name, p) lands on the only chunk that can hold the first
// position >= p. Postings are never filtered by compaction (trim.cc): the
// entries of reclaimed events are HoleCheck's evidence (holes.h).
//
// Thread-safety: a PostingsBuilder or PostingList is used by one thread at
// a time; the free functions are safe from any thread.

#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db.h"
#include "evlog/status.h"

namespace evlog {

// Decodes the posting chunk stored under `key` (which must start with
// `prefix`, name + '\0') into *positions (replaced). Corruption naming the
// name and the key's position for a malformed key or chunk.
Status ParsePostingChunk(std::string_view prefix, std::string_view key, std::string_view value,
                         std::vector<uint64_t>* positions);

// Gathers the positions of each name in one log chunk, then puts one
// posting chunk per name. The names are not copied: they must stay
// unchanged until the next Flush.
class PostingsBuilder {
 public:
  // REQUIRES: position above every position added since the last Flush.
  void Add(std::string_view name, uint64_t position);

  // Puts one chunk per name added since the last Flush into `batch`, in
  // family `cf`, keyed by its last position; then forgets them (keeping
  // the memory). Nothing is put if nothing was added.
  void Flush(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf);

 private:
  struct List {
    std::string_view name;
    std::vector<uint64_t> positions;
  };
  // lists_[0, used_) are this chunk's; the rest keep their capacity. A log
  // chunk has few distinct names, so a linear search beats a hash map.
  std::vector<List> lists_;
  size_t used_ = 0;
  size_t last_hit_ = 0;
  std::string key_, value_;
};

// The positions of one name in `by_category` or `by_type`, walked in either
// direction through its posting chunks. Reads under `read_options` (a
// reader's snapshot, or none), which must outlive it, as must `db`.
class PostingList {
 public:
  PostingList(const Db& db, Db::Family family, std::string_view name,
              const rocksdb::ReadOptions& read_options);
  PostingList(const PostingList&) = delete;
  PostingList& operator=(const PostingList&) = delete;

  // The first position >= target; nullopt when there is none or on an
  // error (then status() says which). Targets of successive calls must not
  // go down; the same target again gives the same answer.
  std::optional<uint64_t> SeekForward(uint64_t target);
  // The last position <= target; as SeekForward, with targets that must
  // not go up.
  std::optional<uint64_t> SeekBackward(uint64_t target);

  // OK, or the first RocksDB error or Corruption (a malformed key or
  // posting chunk) met.
  const Status& status() const { return status_; }

 private:
  // Decodes the chunk the iterator is at into positions_; false at the end
  // of the name's chunks or on an error.
  bool Load();
  // The key of `name` at `position`, in seek_key_.
  const std::string& KeyAt(uint64_t position);

  const std::string prefix_;
  std::string upper_key_, seek_key_;
  rocksdb::Slice lower_, upper_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::vector<uint64_t> positions_;
  bool loaded_ = false;
  Status status_;
};

// The first position of `name` in `family` after `after`, if any (the
// writer's append conditions). Errors as PostingList::status().
Result<std::optional<uint64_t>> FirstPostingAfter(const Db& db, Db::Family family,
                                                  std::string_view name, uint64_t after);

// How many positions of `name` in `family` lie in (after, last].
Result<uint64_t> CountPostings(const Db& db, Db::Family family, std::string_view name,
                               uint64_t after, uint64_t last);

}  // namespace evlog
