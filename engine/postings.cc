#include "postings.h"

#include <algorithm>
#include <limits>

#include "chunk.h"
#include "keys.h"

namespace evlog {

Status ParsePostingChunk(std::string_view prefix, std::string_view key, std::string_view value,
                         std::vector<uint64_t>* positions) {
  std::string_view name = prefix.substr(0, prefix.empty() ? 0 : prefix.size() - 1);
  if (key.size() != prefix.size() + 8 || !key.starts_with(prefix)) {
    return Status::Corruption("malformed key of " + std::to_string(key.size()) +
                              " bytes in the index of '" + std::string(name) + "'");
  }
  const uint64_t last = keys::GetU64BE(key.data() + prefix.size());
  if (Status s = chunk::DecodePostings(value, last, positions); !s.ok()) {
    return Status::Corruption("index entry '" + std::string(name) + "' at " + std::to_string(last) +
                              ": " + std::string(s.message()));
  }
  return Status::OK();
}

// ---- PostingsBuilder --------------------------------------------------------

void PostingsBuilder::Add(std::string_view name, uint64_t position) {
  // Events of one stream come in runs: the name of the previous event is
  // the likeliest.
  if (last_hit_ < used_ && lists_[last_hit_].name == name) {
    lists_[last_hit_].positions.push_back(position);
    return;
  }
  for (size_t i = 0; i < used_; ++i) {
    if (lists_[i].name == name) {
      lists_[i].positions.push_back(position);
      last_hit_ = i;
      return;
    }
  }
  if (used_ == lists_.size()) lists_.emplace_back();
  List& list = lists_[used_];
  list.name = name;
  list.positions.clear();
  list.positions.push_back(position);
  last_hit_ = used_++;
}

void PostingsBuilder::Flush(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf) {
  for (size_t i = 0; i < used_; ++i) {
    const List& list = lists_[i];
    key_.assign(list.name);
    key_.push_back('\0');
    key_.resize(key_.size() + 8);
    keys::PutU64BE(key_.data() + key_.size() - 8, list.positions.back());
    chunk::EncodePostings(list.positions, &value_);
    batch->Put(cf, key_, value_);
  }
  used_ = 0;
  last_hit_ = 0;
}

// ---- PostingList ------------------------------------------------------------

PostingList::PostingList(const Db& db, Db::Family family, std::string_view name,
                         const rocksdb::ReadOptions& read_options)
    : prefix_(keys::IndexPrefix(name)), upper_key_(keys::PrefixEnd(prefix_)) {
  // The bounds keep Prev and Next inside this name's chunks: a step never
  // reads another name's.
  rocksdb::ReadOptions ro = read_options;
  lower_ = rocksdb::Slice(prefix_);
  upper_ = rocksdb::Slice(upper_key_);
  ro.iterate_lower_bound = &lower_;
  ro.iterate_upper_bound = &upper_;
  it_.reset(db.db->NewIterator(ro, db.cf(family)));
}

const std::string& PostingList::KeyAt(uint64_t position) {
  seek_key_.assign(prefix_);
  seek_key_.resize(prefix_.size() + 8);
  keys::PutU64BE(seek_key_.data() + prefix_.size(), position);
  return seek_key_;
}

bool PostingList::Load() {
  loaded_ = false;
  if (!it_->Valid()) {
    if (!it_->status().ok()) status_ = FromRocks(it_->status());
    return false;
  }
  if (Status s = ParsePostingChunk(prefix_, it_->key().ToStringView(), it_->value().ToStringView(),
                                   &positions_);
      !s.ok()) {
    status_ = std::move(s);
    return false;
  }
  loaded_ = true;
  return true;
}

std::optional<uint64_t> PostingList::SeekForward(uint64_t target) {
  if (!status_.ok()) return std::nullopt;
  if (!loaded_ || target > positions_.back()) {
    // Reading in order, the next chunk holds the answer: a step is
    // cheaper than a seek.
    if (loaded_ && target == positions_.back() + 1) {
      it_->Next();
    } else {
      it_->Seek(KeyAt(target));
    }
    if (!Load()) return std::nullopt;
  }
  // The chunk's last position is >= target, and every earlier chunk's is
  // below it (or below an earlier target): the answer is in this chunk.
  return *std::lower_bound(positions_.begin(), positions_.end(), target);
}

std::optional<uint64_t> PostingList::SeekBackward(uint64_t target) {
  if (!status_.ok() || target == 0) return std::nullopt;
  if (!loaded_ || target < positions_.front() || target > positions_.back()) {
    if (loaded_ && target < positions_.front() && target == positions_.front() - 1) {
      it_->Prev();
      if (!Load()) return std::nullopt;
      return positions_.back();
    }
    // The first chunk whose last position is >= target holds the answer
    // if it starts at or below target; else the chunk before it does (all
    // its positions are below target).
    it_->Seek(KeyAt(target));
    if (it_->Valid()) {
      if (!Load()) return std::nullopt;
      if (positions_.front() <= target) {
        return *(std::upper_bound(positions_.begin(), positions_.end(), target) - 1);
      }
      it_->Prev();
    } else {
      if (!it_->status().ok()) {
        status_ = FromRocks(it_->status());
        return std::nullopt;
      }
      it_->SeekToLast();
    }
    if (!Load()) return std::nullopt;
    return positions_.back();
  }
  return *(std::upper_bound(positions_.begin(), positions_.end(), target) - 1);
}

Result<std::optional<uint64_t>> FirstPostingAfter(const Db& db, Db::Family family,
                                                  std::string_view name, uint64_t after) {
  if (after == std::numeric_limits<uint64_t>::max()) return std::optional<uint64_t>();
  PostingList list(db, family, name, rocksdb::ReadOptions());
  std::optional<uint64_t> p = list.SeekForward(after + 1);
  if (!list.status().ok()) return list.status();
  return p;
}

Result<uint64_t> CountPostings(const Db& db, Db::Family family, std::string_view name,
                               uint64_t after, uint64_t last) {
  PostingList list(db, family, name, rocksdb::ReadOptions());
  uint64_t count = 0;
  if (after < last) {
    for (std::optional<uint64_t> p = list.SeekForward(after + 1); p && *p <= last;
         p = list.SeekForward(*p + 1)) {
      ++count;
    }
  }
  if (!list.status().ok()) return list.status();
  return count;
}

}  // namespace evlog
