#include "memtable.h"

#include <rocksdb/slice.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

namespace evlog {
namespace {

using rocksdb::KeyHandle;
using rocksdb::MemTableRep;

constexpr int kMaxHeight = 12;

// A node: its height, `height` links (level 0 first), then the entry the
// memtable wrote into it (a length-prefixed internal key, then the value).
struct Node {
  int64_t height;  // 8 bytes: the links after it stay aligned

  std::atomic<Node*>* links() { return reinterpret_cast<std::atomic<Node*>*>(this + 1); }
  const std::atomic<Node*>* links() const {
    return reinterpret_cast<const std::atomic<Node*>*>(this + 1);
  }
  Node* Next(int level) const { return links()[level].load(std::memory_order_acquire); }
  // Publishes what was written before (the node it links to, and that
  // node's entry) to a reader that loads this link.
  void SetNext(int level, Node* next) { links()[level].store(next, std::memory_order_release); }
  const char* Entry() const { return reinterpret_cast<const char*>(links() + height); }

  static size_t Bytes(int height, size_t entry_bytes) {
    return sizeof(Node) + sizeof(std::atomic<Node*>) * static_cast<size_t>(height) + entry_bytes;
  }
};

// Where the last insert through a hint went, per level: prev[i] < key <
// next[i] held for that key, and prev[i] was linked to next[i]. Levels
// above `height` are unset; prev[height] is the head and next[height] null,
// which bracket every key.
struct Splice {
  int height = 0;
  Node* prev[kMaxHeight + 1];
  Node* next[kMaxHeight + 1];
};

class SkipList;

// Iterators live in slots the table owns: RocksDB destroys an iterator it
// got for an arena with ~Iterator() alone, and deletes one it got without.
// The destructor hands the slot back and operator delete does nothing, so
// both are right, and neither needs RocksDB's (private) Arena. A slot is
// taken again only by the thread that gave it back: that thread has left
// the destructor (its base part included) by then.
class IterPool {
 public:
  void* Take(size_t bytes);
  void Give(void* slot) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back({slot, std::this_thread::get_id()});
  }

 private:
  struct Free {
    void* slot;
    std::thread::id by;
  };
  std::mutex mu_;
  std::vector<std::unique_ptr<std::max_align_t[]>> slots_;
  std::vector<Free> free_;
};

void* IterPool::Take(size_t bytes) {
  const std::thread::id me = std::this_thread::get_id();
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < free_.size(); ++i) {
    if (free_[i].by != me) continue;
    void* slot = free_[i].slot;
    free_[i] = free_.back();
    free_.pop_back();
    return slot;
  }
  const size_t n = (bytes + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
  slots_.push_back(std::make_unique<std::max_align_t[]>(n));
  return slots_.back().get();
}

class SkipList final : public MemTableRep {
 public:
  SkipList(const KeyComparator& compare, rocksdb::Allocator* allocator)
      : MemTableRep(allocator), compare_(compare) {
    head_ = static_cast<Node*>(TakeAligned(Node::Bytes(kMaxHeight, 0)));
    head_->height = kMaxHeight;
    for (int i = 0; i < kMaxHeight; ++i) new (&head_->links()[i]) std::atomic<Node*>(nullptr);
  }

  KeyHandle Allocate(const size_t len, char** buf) override {
    const int height = RandomHeight();
    Node* node = static_cast<Node*>(TakeAligned(Node::Bytes(height, len)));
    node->height = height;
    *buf = const_cast<char*>(node->Entry());
    return node;
  }

  void Insert(KeyHandle handle) override { InsertKey(handle); }
  bool InsertKey(KeyHandle handle) override {
    return InsertAt(static_cast<Node*>(handle), &seq_);
  }
  void InsertWithHint(KeyHandle handle, void** hint) override {
    InsertKeyWithHint(handle, hint);
  }
  bool InsertKeyWithHint(KeyHandle handle, void** hint) override {
    auto* splice = static_cast<Splice*>(*hint);
    if (splice == nullptr) {
      splice = new (TakeAligned(sizeof(Splice))) Splice();
      *hint = splice;
    }
    return InsertAt(static_cast<Node*>(handle), splice);
  }

  bool Contains(const char* key) const override {
    Node* n = FindGreaterOrEqual([&](const Node* x) { return Less(x, key); });
    return n != nullptr && compare_(n->Entry(), key) == 0;
  }

  size_t ApproximateMemoryUsage() override { return 0; }  // all from the allocator

  Iterator* GetIterator(rocksdb::Arena* /*arena*/) override;

  const Node* head() const { return head_; }

  // The last node `before` holds for (the head if none), and the node after
  // it at level 0 as the walk read it (a node linked since is not seen).
  template <typename IsBefore>
  std::pair<const Node*, Node*> Locate(IsBefore before) const {
    const Node* x = head_;
    int level = max_height_.load(std::memory_order_relaxed) - 1;
    const Node* known_after = nullptr;  // saves comparing a node twice
    for (;;) {
      Node* next = x->Next(level);
      if (next != nullptr && next != known_after && before(next)) {
        x = next;
      } else if (level == 0) {
        return {x, next};
      } else {
        known_after = next;
        --level;
      }
    }
  }
  template <typename IsBefore>
  Node* FindGreaterOrEqual(IsBefore before) const {
    return Locate(before).second;
  }
  // The last node whose entry is before `entry`; the head if none.
  const Node* FindLessThan(const char* entry) const {
    return Locate([&](const Node* x) { return Less(x, entry); }).first;
  }
  const Node* FindLast() const {
    return Locate([](const Node*) { return true; }).first;
  }

  const KeyComparator& compare() const { return compare_; }
  IterPool& pool() { return pool_; }

 private:
  // Memory from the memtable's allocator (counted against its write
  // buffer), aligned for the links.
  void* TakeAligned(size_t bytes) {
    char* raw = nullptr;
    MemTableRep::Allocate(bytes + alignof(Node) - 1, &raw);
    const auto at = reinterpret_cast<uintptr_t>(raw);
    return reinterpret_cast<void*>((at + alignof(Node) - 1) & ~(uintptr_t{alignof(Node)} - 1));
  }

  int RandomHeight() {
    int height = 1;
    // xorshift64: one writer draws, so no atomics.
    while (height < kMaxHeight) {
      rng_ ^= rng_ << 13;
      rng_ ^= rng_ >> 7;
      rng_ ^= rng_ << 17;
      if ((rng_ & 3) != 0) break;  // branching factor 4, as RocksDB's
      ++height;
    }
    return height;
  }

  bool Less(const Node* n, const char* entry) const {
    return compare_(n->Entry(), entry) < 0;
  }

  // At `level`, from `before` (before the key) up to `after` (after it, or
  // null): the two nodes the key goes between. False if a node holds the
  // key already.
  bool FindAt(const char* key, const Node* before, const Node* after, int level, Node** prev,
              Node** next) const {
    for (;;) {
      Node* n = before->Next(level);
      if (n != after && n != nullptr) {
        const int c = compare_(n->Entry(), key);
        if (c == 0) return false;
        if (c < 0) {
          before = n;
          continue;
        }
      }
      *prev = const_cast<Node*>(before);
      *next = n;
      return true;
    }
  }

  bool InsertAt(Node* x, Splice* s) {
    const char* key = x->Entry();
    const int height = static_cast<int>(x->height);
    int top = max_height_.load(std::memory_order_relaxed);
    if (height > top) {
      // A reader that sees the new height before the links finds the
      // head's new levels empty and steps down.
      top = height;
      max_height_.store(top, std::memory_order_relaxed);
    }
    // The lowest level at which the splice still brackets the key with
    // nothing linked in between; every level above brackets it too
    // (prev[i+1] <= prev[i], next[i] <= next[i+1]).
    int level = 0;
    if (s->height < top) {
      s->prev[top] = head_;
      s->next[top] = nullptr;
      s->height = top;
      level = top;
    } else {
      while (level < top) {
        Node* prev = s->prev[level];
        Node* next = s->next[level];
        if (prev->Next(level) != next) {
          ++level;
        } else if (prev != head_ && !Less(prev, key)) {
          while (level < top && s->prev[level] == prev) ++level;  // no need to compare again
        } else if (next != nullptr && compare_(key, next->Entry()) >= 0) {
          while (level < top && s->next[level] == next) ++level;
        } else {
          break;
        }
      }
    }
    for (int i = level - 1; i >= 0; --i) {
      if (!FindAt(key, s->prev[i + 1], s->next[i + 1], i, &s->prev[i], &s->next[i])) return false;
    }
    // Above `level` a bracket may have had nodes linked into it since.
    for (int i = level; i < height; ++i) {
      if (s->prev[i]->Next(i) != s->next[i] &&
          !FindAt(key, s->prev[i], s->next[i], i, &s->prev[i], &s->next[i])) {
        return false;
      }
    }
    for (int i = 0; i < height; ++i) new (&x->links()[i]) std::atomic<Node*>(s->next[i]);
    for (int i = 0; i < height; ++i) s->prev[i]->SetNext(i, x);
    for (int i = 0; i < height; ++i) s->prev[i] = x;
    return true;
  }

  const KeyComparator& compare_;
  Node* head_ = nullptr;
  std::atomic<int> max_height_{1};
  uint64_t rng_ = 0x9E3779B97F4A7C15ull;
  Splice seq_;  // for inserts without a hint
  IterPool pool_;
};

class Iter final : public MemTableRep::Iterator {
 public:
  explicit Iter(SkipList* list) : list_(list) {}
  ~Iter() override { list_->pool().Give(this); }
  // The storage is the pool's: ~Iter gave it back.
  static void operator delete(void*) {}

  bool Valid() const override { return node_ != nullptr; }
  const char* key() const override { return node_->Entry(); }
  void Next() override { node_ = node_->Next(0); }
  void Prev() override { Settle(list_->FindLessThan(node_->Entry())); }
  void Seek(const rocksdb::Slice& internal_key, const char* memtable_key) override {
    node_ = list_->FindGreaterOrEqual(
        [&](const Node* x) { return Compare(x, internal_key, memtable_key) < 0; });
  }
  void SeekForPrev(const rocksdb::Slice& internal_key, const char* memtable_key) override {
    Seek(internal_key, memtable_key);
    if (!Valid()) SeekToLast();
    while (Valid() && Compare(node_, internal_key, memtable_key) > 0) Prev();
  }
  void SeekToFirst() override { node_ = list_->head()->Next(0); }
  void SeekToLast() override { Settle(list_->FindLast()); }

 private:
  // RocksDB passes the target as a memtable key (length-prefixed) when it
  // has one, else as an internal key.
  int Compare(const Node* x, const rocksdb::Slice& internal_key, const char* memtable_key) const {
    return memtable_key != nullptr ? list_->compare()(x->Entry(), memtable_key)
                                   : list_->compare()(x->Entry(), internal_key);
  }
  void Settle(const Node* n) { node_ = n == list_->head() ? nullptr : const_cast<Node*>(n); }

  SkipList* list_;
  Node* node_ = nullptr;
};

MemTableRep::Iterator* SkipList::GetIterator(rocksdb::Arena* /*arena*/) {
  return new (pool_.Take(sizeof(Iter))) Iter(this);
}

class Factory final : public rocksdb::MemTableRepFactory {
 public:
  MemTableRep* CreateMemTableRep(const MemTableRep::KeyComparator& compare,
                                 rocksdb::Allocator* allocator, const rocksdb::SliceTransform*,
                                 rocksdb::Logger*) override {
    return new SkipList(compare, allocator);
  }
  const char* Name() const override { return "evlog.SingleWriterSkipList"; }
};

}  // namespace

std::shared_ptr<rocksdb::MemTableRepFactory> NewSingleWriterSkipListFactory() {
  static const auto factory = std::make_shared<Factory>();
  return factory;
}

}  // namespace evlog
