// How the store's families write their tables (engine/db.cc,
// FamilyOptions): a flush writes level 0 uncompressed, and the compaction
// below it compresses (docs/bench.md, "Uncompressed flushes").

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/table_properties.h>

#include <memory>
#include <set>
#include <string>

#include "db.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog {
namespace {

// The compression of every table of `family`, by RocksDB's name for it.
std::set<std::string> TableCompressions(Db& db, Db::Family family) {
  rocksdb::TablePropertiesCollection tables;
  EXPECT_TRUE(db.db->GetPropertiesOfAllTables(db.cf(family), &tables).ok());
  std::set<std::string> names;
  for (const auto& [file, properties] : tables) names.insert(properties->compression_name);
  return names;
}

TEST(FamilyOptions, AFlushWritesLevelZeroUncompressedAndTheCompactionBelowCompresses) {
  testutil::TempDir dir;
  auto opened = Db::Open(Options{}, dir.Sub("store"));
  ASSERT_OK(opened);
  std::unique_ptr<Db> db = std::move(opened).value();
  for (Db::Family family : {Db::kLog, Db::kStream, Db::kByTag}) {
    const std::string value(4096, 'x');  // compressible: Snappy would shrink it
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(
          db->db->Put(rocksdb::WriteOptions(), db->cf(family), "k" + std::to_string(i), value).ok());
    }
    ASSERT_TRUE(db->db->Flush(rocksdb::FlushOptions(), db->cf(family)).ok());
    EXPECT_EQ(TableCompressions(*db, family), (std::set<std::string>{"NoCompression"}));
  }
  ASSERT_OK(db->CompactAll());
  for (Db::Family family : {Db::kLog, Db::kStream, Db::kByTag}) {
    EXPECT_EQ(TableCompressions(*db, family), (std::set<std::string>{"Snappy"}));
  }
}

}  // namespace
}  // namespace evlog
