// The single-writer skiplist (engine/memtable.h) under a real RocksDB: what
// it holds reads back as a std::map holding the same writes would, through
// Get, forward and backward iteration, Seek and SeekForPrev, snapshots and
// a flush; with and without insert hints; and readers that run while the
// writer inserts see keys in order and never lose one they saw.

#include "memtable.h"

#include <gtest/gtest.h>
#include <rocksdb/comparator.h>
#include <rocksdb/db.h>
#include <rocksdb/slice_transform.h>

#include <atomic>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/temp_dir.h"

namespace evlog {
namespace {

std::string Key(uint64_t prefix, uint64_t n) {
  std::string k;
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(prefix >> (8 * i)));
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(n >> (8 * i)));
  return k;
}

class Memtable : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { Open("db", rocksdb::BytewiseComparator()); }

  // A store of this table under `comparator`, in place of the last one.
  void Open(const std::string& name, const rocksdb::Comparator* comparator) {
    db_.reset();
    rocksdb::Options options;
    options.create_if_missing = true;
    options.comparator = comparator;
    options.allow_concurrent_memtable_write = false;
    options.memtable_factory = NewSingleWriterSkipListFactory();
    options.write_buffer_size = 64 << 20;  // nothing flushes unless told to
    if (GetParam()) {
      options.memtable_insert_with_hint_prefix_extractor.reset(
          rocksdb::NewFixedPrefixTransform(8));
    }
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.path() + "/" + name, &db).ok());
    db_.reset(db);
  }

  void Put(const std::string& k, const std::string& v) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), k, v).ok());
    model_[k] = v;
  }
  void Delete(const std::string& k) {
    ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), k).ok());
    model_.erase(k);
  }

  // Every way of reading agrees with the model.
  void ExpectTheModel(const rocksdb::ReadOptions& ro = rocksdb::ReadOptions()) {
    const std::map<std::string, std::string>& model = ro.snapshot ? snapshot_model_ : model_;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    auto m = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      ASSERT_NE(m, model.end());
      ASSERT_EQ(it->key().ToString(), m->first);
      ASSERT_EQ(it->value().ToString(), m->second);
    }
    ASSERT_TRUE(it->status().ok());
    ASSERT_EQ(m, model.end());
    auto r = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
      ASSERT_NE(r, model.rend());
      ASSERT_EQ(it->key().ToString(), r->first);
    }
    ASSERT_EQ(r, model.rend());
    std::mt19937_64 rng(7);
    for (int i = 0; i < 300; ++i) {
      const std::string target = target_(rng);
      it->Seek(target);
      auto at = model.lower_bound(target);
      ASSERT_EQ(it->Valid(), at != model.end()) << i;
      if (it->Valid()) {
        ASSERT_EQ(it->key().ToString(), at->first);
      }
      it->SeekForPrev(target);
      auto up = model.upper_bound(target);
      ASSERT_EQ(it->Valid(), up != model.begin()) << i;
      if (it->Valid()) {
        ASSERT_EQ(it->key().ToString(), std::prev(up)->first);
      }
      std::string value;
      rocksdb::Status s = db_->Get(ro, target, &value);
      ASSERT_EQ(s.ok(), model.count(target) == 1) << s.ToString();
      if (s.ok()) {
        ASSERT_EQ(value, model.at(target));
      }
    }
  }

  // Where ExpectTheModel seeks and gets.
  std::function<std::string(std::mt19937_64&)> target_ = [](std::mt19937_64& rng) {
    return Key(rng() % 12, rng() % 400);
  };
  testutil::TempDir dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, std::string> model_, snapshot_model_;
};

TEST_P(Memtable, InterleavedSequencesReadBackInOrder) {
  for (uint64_t n = 0; n < 300; ++n) {
    for (uint64_t prefix = 0; prefix < 10; ++prefix) {
      Put(Key(prefix, n), std::to_string(prefix * 1000 + n));
    }
  }
  ExpectTheModel();
}

TEST_P(Memtable, RandomKeysOverwritesAndDeletesReadBackAsTheModel) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 5000; ++i) {
    const std::string k = Key(rng() % 12, rng() % 400);
    if (rng() % 5 == 0) {
      Delete(k);
    } else {
      Put(k, "v" + std::to_string(i));
    }
  }
  ExpectTheModel();
}

TEST_P(Memtable, ASnapshotSeesTheOlderVersions) {
  for (uint64_t n = 0; n < 200; ++n) Put(Key(1, n), "old");
  snapshot_model_ = model_;
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  for (uint64_t n = 0; n < 200; n += 2) Put(Key(1, n), "new");
  for (uint64_t n = 1; n < 200; n += 4) Delete(Key(1, n));
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ExpectTheModel(ro);
  ExpectTheModel();
  db_->ReleaseSnapshot(snapshot);
}

TEST_P(Memtable, AFlushWritesEveryEntryInOrder) {
  std::mt19937_64 rng(13);
  for (int i = 0; i < 3000; ++i) Put(Key(rng() % 12, rng() % 400), std::to_string(i));
  ASSERT_TRUE(db_->Flush(rocksdb::FlushOptions()).ok());
  ExpectTheModel();
}

// Keys of every length the entry's varint prefix takes in one to three
// bytes, bytes above 0x7f (ordered unsigned), keys that are prefixes of
// others, and overwrites: read back in bytewise order.
TEST_P(Memtable, KeysOfAnyLengthAndByteReadBackInBytewiseOrder) {
  std::mt19937_64 rng(17);
  const auto random_key = [](std::mt19937_64& r) {
    static constexpr size_t kLengths[] = {0, 1, 2, 7, 8, 9, 119, 120, 200, 16400};
    std::string k(kLengths[r() % std::size(kLengths)], '\0');
    for (char& c : k) c = static_cast<char>("\x00\x01\x7f\x80\xff"[r() % 5]);
    return k;
  };
  for (int i = 0; i < 3000; ++i) {
    const std::string k = random_key(rng);
    if (rng() % 6 == 0) {
      Delete(k);
    } else {
      Put(k, "v" + std::to_string(i));
    }
  }
  target_ = random_key;
  ExpectTheModel();
  ASSERT_TRUE(db_->Flush(rocksdb::FlushOptions()).ok());
  ExpectTheModel();
}

// A family whose comparator is not bytewise: the table orders by it, as
// RocksDB's own would.
TEST_P(Memtable, UnderAComparatorOfItsOwnKeepsThatOrder) {
  Open("reverse", rocksdb::ReverseBytewiseComparator());
  std::mt19937_64 rng(19);
  std::set<std::string, std::greater<>> keys;
  for (int i = 0; i < 2000; ++i) {
    std::string k = Key(rng() % 12, rng() % 400);
    k.resize(rng() % k.size() + 1);
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), k, k).ok());
    keys.insert(k);
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  auto expected = keys.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    ASSERT_NE(expected, keys.end());
    ASSERT_EQ(it->key().ToString(), *expected);
  }
  ASSERT_EQ(expected, keys.end());
  for (const std::string& k : keys) {
    it->Seek(k);
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key().ToString(), k);
  }
}

// One writer appends ascending keys under 8 prefixes while readers scan:
// each scan is in order and holds every key acknowledged before it began.
TEST_P(Memtable, ReadersDuringInsertsSeeEveryAcknowledgedKeyInOrder) {
  constexpr uint64_t kPerPrefix = 2000;
  std::atomic<uint64_t> acknowledged{0};  // rounds done: n < this is in, for every prefix
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        const uint64_t rounds = acknowledged.load();
        std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
        std::string last;
        std::vector<uint64_t> seen(8, 0);
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
          const std::string k = it->key().ToString();
          if (!last.empty() && !(last < k)) ++failures;
          last = k;
          ++seen[static_cast<uint8_t>(k[7])];
        }
        for (uint64_t count : seen) {
          if (count < rounds) ++failures;
        }
      }
    });
  }
  for (uint64_t n = 0; n < kPerPrefix; ++n) {
    for (uint64_t prefix = 0; prefix < 8; ++prefix) {
      ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), Key(prefix, n), "v").ok());
    }
    acknowledged.store(n + 1);
  }
  done.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutHints, Memtable, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Hinted" : "Plain";
                         });

}  // namespace
}  // namespace evlog
