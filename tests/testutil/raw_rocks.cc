#include "testutil/raw_rocks.h"

#include <gtest/gtest.h>

#include <memory>

namespace evlog::testutil {

void WithRawRocks(const std::string& path, const RawRocksFunction& f) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& n : names) descriptors.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  f(*db, names, handles);
  for (auto* h : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  EXPECT_TRUE(db->Close().ok());
}

void WithRawFamily(const std::string& path, std::string_view family, const RawFamilyFunction& f) {
  WithRawRocks(path, [&](rocksdb::DB& db, const auto& names, const auto& handles) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == family) f(db, handles[i]);
    }
  });
}

}  // namespace evlog::testutil
