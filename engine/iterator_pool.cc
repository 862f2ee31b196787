#include "iterator_pool.h"

#include <utility>

namespace evlog {

struct IteratorPool::Entry {
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  // The pool's generation when it was taken.
  uint64_t generation = 0;
  std::unique_ptr<rocksdb::Iterator> it;
};

IteratorPool::Lease::Lease() = default;

IteratorPool::Lease::Lease(IteratorPool* pool, std::unique_ptr<Entry> entry)
    : pool_(pool), entry_(std::move(entry)) {}

IteratorPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), entry_(std::move(other.entry_)) {}

IteratorPool::Lease& IteratorPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (entry_ != nullptr) pool_->Return(std::move(entry_));
    pool_ = std::exchange(other.pool_, nullptr);
    entry_ = std::move(other.entry_);
  }
  return *this;
}

IteratorPool::Lease::~Lease() {
  if (entry_ != nullptr) pool_->Return(std::move(entry_));
}

rocksdb::Iterator* IteratorPool::Lease::get() const {
  return entry_ == nullptr ? nullptr : entry_->it.get();
}

IteratorPool::IteratorPool() = default;
IteratorPool::~IteratorPool() = default;

IteratorPool::Lease IteratorPool::Take(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  std::unique_ptr<Entry> entry;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = generation_;
    for (size_t i = idle_.size(); i-- > 0;) {
      if (idle_[i]->cf != cf) continue;
      entry = std::move(idle_[i]);
      idle_[i] = std::move(idle_.back());
      idle_.pop_back();
      break;
    }
  }
  if (entry != nullptr) {
    // Refresh fails only where it is not supported: then make a new one.
    if (!entry->it->Refresh().ok()) entry.reset();
  }
  if (entry == nullptr) {
    entry = std::make_unique<Entry>();
    entry->cf = cf;
    rocksdb::ReadOptions ro;
    ro.ignore_range_deletions = true;
    // Not background_purge_on_iterator_cleanup: the files an idle iterator
    // held are then deleted in the compaction's own callback, before
    // Store::Compact returns, as they were without the pool.
    entry->it.reset(db->NewIterator(ro, cf));
  }
  entry->generation = generation;
  return Lease(this, std::move(entry));
}

void IteratorPool::Return(std::unique_ptr<Entry> entry) {
  // An iterator that failed is not kept: its error may not be one a
  // Refresh clears.
  if (!entry->it->status().ok()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closed_ && entry->generation == generation_ && idle_.size() < kMaxIdle) {
      idle_.push_back(std::move(entry));
      return;
    }
  }
  // `entry` is destroyed here, after the lock is released (see Clear).
}

void IteratorPool::Clear() {
  std::vector<std::unique_ptr<Entry>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
    dropped.swap(idle_);
  }
}

void IteratorPool::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  Clear();
}

size_t IteratorPool::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

void IteratorPool::OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) { Clear(); }

void IteratorPool::OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo&) {
  Clear();
}

}  // namespace evlog
