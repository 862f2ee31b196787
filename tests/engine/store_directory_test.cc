// What Store::Open makes of the directory it is given: another program's
// RocksDB database is refused and left as it was, a store that lost CURRENT
// is corrupt (not absent), a regular file is not a directory, an empty
// directory becomes a store.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "testutil/raw_rocks.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog::testutil {
namespace {

namespace fs = std::filesystem;

std::set<std::string> Listing(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

std::vector<std::string> Families(const std::string& path) {
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::sort(names.begin(), names.end());
  return names;
}

// Creates a plain RocksDB database at `path` with `families` besides
// "default", and puts key "owner" = "mine" in "default" unless `empty`.
void CreateRocksDb(const std::string& path, const std::vector<std::string>& families,
                   bool empty = false) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (const auto& f : families) descriptors.emplace_back(f, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, descriptors, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!empty) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "owner", "mine").ok());
  }
  for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  ASSERT_TRUE(db->Close().ok());
}

// Creates a store at `path` holding one event (in "a-1"), compacted into a
// table if `compact`, and closes it.
void WriteOneEvent(const std::string& path, bool compact = false) {
  auto r = Store::Open(Options{}, path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE((*r)->Append("a-1", ExpectedVersion::NoStream(), {Ev("T")}).ok());
  if (compact) {
    ASSERT_TRUE((*r)->Compact().ok());
  }
}

std::string ReadOwner(const std::string& path) {
  std::string value;
  WithRawRocks(path, [&](rocksdb::DB& db, const auto&, const auto&) {
    EXPECT_TRUE(db.Get(rocksdb::ReadOptions(), "owner", &value).ok());
  });
  return value;
}

TEST(StoreDirectory, AnotherProgramsDatabaseIsRefusedAndLeftUntouched) {
  TempDir dir;
  for (const std::vector<std::string>& families :
       {std::vector<std::string>{}, std::vector<std::string>{"mine", "theirs"}}) {
    const std::string path = dir.Sub("db-" + std::to_string(families.size()));
    CreateRocksDb(path, families);
    const auto files = Listing(path);
    const auto before = Families(path);
    auto r = Store::Open(Options{}, path);
    ASSERT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    EXPECT_NE(r.status().message().find("not an evlog store"), std::string::npos)
        << r.status().ToString();
    auto ro = Store::Open(Options{.read_only = true}, path);
    EXPECT_TRUE(ro.status().IsInvalidArgument()) << ro.status().ToString();
    EXPECT_EQ(Listing(path), files);
    EXPECT_EQ(Families(path), before);
    EXPECT_EQ(ReadOwner(path), "mine");
  }
}

// RocksDB creates a database with "default" alone and adds evlog's families
// one by one: a creation killed in between leaves an empty database with
// some of them, still ours.
TEST(StoreDirectory, AnEmptyDatabaseLeftByAnInterruptedCreationOpens) {
  TempDir dir;
  for (const std::vector<std::string>& families :
       {std::vector<std::string>{}, std::vector<std::string>{"log", "stream"}}) {
    const std::string path = dir.Sub("half-" + std::to_string(families.size()));
    CreateRocksDb(path, families, /*empty=*/true);
    auto r = Store::Open(Options{}, path);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE((*r)->Append("a-1", ExpectedVersion::NoStream(), {Ev("T")}).ok());
  }
}

// A store written before a column family existed gains it at open.
TEST(StoreDirectory, AStoreMissingAFamilyOfALaterVersionOpens) {
  TempDir dir;
  const std::string path = dir.Sub("store");
  ASSERT_NO_FATAL_FAILURE(WriteOneEvent(path));
  WithRawRocks(path, [](rocksdb::DB& db, const auto& names, const auto& handles) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "snapshots") {
        ASSERT_TRUE(db.DropColumnFamily(handles[i]).ok());
      }
    }
  });
  auto r = Store::Open(Options{}, path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto it = (*r)->ReadAll().value();
  EXPECT_EQ(Collect(*it).size(), 1u);
}

TEST(StoreDirectory, AStoreWithoutCurrentIsCorruptNotMissing) {
  TempDir dir;
  const std::string path = dir.Sub("store");
  // Compacted: a table, as any store used a while has.
  ASSERT_NO_FATAL_FAILURE(WriteOneEvent(path, /*compact=*/true));
  fs::remove(fs::path(path) / "CURRENT");
  for (const Options& options :
       {Options{}, Options{.create_if_missing = false}, Options{.read_only = true}}) {
    auto r = Store::Open(options, path);
    ASSERT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    EXPECT_NE(r.status().message().find("CURRENT is missing"), std::string::npos)
        << r.status().ToString();
  }
  EXPECT_FALSE(fs::exists(fs::path(path) / "CURRENT"));  // nothing was created
}

TEST(StoreDirectory, ARegularFileIsNotAStoreDirectory) {
  TempDir dir;
  const std::string path = dir.Sub("file");
  std::ofstream(path) << "mine";
  for (const Options& options : {Options{}, Options{.read_only = true}}) {
    auto r = Store::Open(options, path);
    ASSERT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    EXPECT_NE(r.status().message().find("is a file, not a store directory"), std::string::npos)
        << r.status().ToString();
  }
  std::ifstream in(path);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "mine");
}

TEST(StoreDirectory, AnEmptyDirectoryBecomesAStore) {
  TempDir dir;
  const std::string path = dir.Sub("empty");
  fs::create_directories(path);
  {
    auto r = Store::Open(Options{}, path);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE((*r)->Append("a-1", ExpectedVersion::NoStream(), {Ev("T")}).ok());
  }
  auto r = Store::Open(Options{.create_if_missing = false}, path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

}  // namespace
}  // namespace evlog::testutil
