// WithRawRocks: a closed store's RocksDB opened directly, below the engine,
// for the tests that plant or read what the engine would never write.

#pragma once

#include <rocksdb/db.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace evlog::testutil {

// Opens the RocksDB at `path` (the store must be closed) with every column
// family it has, runs `f` with it, the families' names and their handles
// (names[i] is handles[i]'s), then closes it. Fails the test if it cannot
// be opened or closed.
using RawRocksFunction =
    std::function<void(rocksdb::DB& db, const std::vector<std::string>& names,
                       const std::vector<rocksdb::ColumnFamilyHandle*>& handles)>;
void WithRawRocks(const std::string& path, const RawRocksFunction& f);

// Runs `f` with the family `family` of the closed store at `path`; not at
// all if the store has no such family.
using RawFamilyFunction = std::function<void(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf)>;
void WithRawFamily(const std::string& path, std::string_view family, const RawFamilyFunction& f);

}  // namespace evlog::testutil
