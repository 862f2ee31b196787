// The format-1 store fixture (tests/fixtures/format1, issue #16), migrated
// to format 2 (Store::Migrate, `evlog migrate`) and opened by this build:
// every read route returns what expected.jsonl, written by the format-1
// build that made the store, says; the store verifies clean; a retried id
// is deduplicated. Migrate.* (migrate_test.cc) covers the migration itself.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "fixtures/format1_fixture.h"
#include "fixtures/store_routes.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog {
namespace {

namespace fs = std::filesystem;
using fixtures::FixtureId;
using fixtures::FixtureOptions;

const fs::path kFixture = FORMAT1_FIXTURE_DIR;

std::vector<std::string> ExpectedLines() {
  std::ifstream in(kFixture / "expected.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class Format1Fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kFixture / "store" / "CURRENT")) << kFixture;
    fs::copy(kFixture / "store", path(), fs::copy_options::recursive);
    Result<MigrateInfo> migrated = Store::Migrate(path());
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    ASSERT_TRUE(migrated->migrated);
  }

  std::unique_ptr<Store> Open(Options options = {}) {
    Result<std::unique_ptr<Store>> store = Store::Open(FixtureOptions(options), path());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string path() const { return dir_.Sub("store"); }

  testutil::TempDir dir_;
};

void ExpectRoutesAsWritten(Store& store) {
  const std::vector<std::string> expected = ExpectedLines();
  ASSERT_GT(expected.size(), 100u);
  const std::vector<std::string> actual =
      fixtures::RouteLines(store, fixtures::kFixtureExtraStreams, fixtures::kFixtureSubscriptions);
  for (size_t i = 0; i < std::min(expected.size(), actual.size()); ++i) {
    ASSERT_EQ(actual[i], expected[i]) << "line " << i + 1 << " of expected.jsonl";
  }
  EXPECT_EQ(actual.size(), expected.size());
}

TEST_F(Format1Fixture, ReadsAsExpected) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  ExpectRoutesAsWritten(*store);
}

TEST_F(Format1Fixture, ReadsAsExpectedReadOnly) {
  std::unique_ptr<Store> store = Open({.read_only = true});
  ASSERT_NE(store, nullptr);
  ExpectRoutesAsWritten(*store);
}

TEST_F(Format1Fixture, VerifiesClean) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  Result<VerifyReport> report = store->Verify();
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
  EXPECT_EQ(report->last_position, store->LastPosition());
  // audit-1's 5 oldest (max-count 3) and sensor-1's 40 (trim), compacted
  // away before the fixture was closed.
  EXPECT_GT(report->reclaimed, 0u);
}

EventData Placed(int n) {
  const std::string s = std::to_string(n);
  return EventData{.type = "OrderPlaced",
                   .data = "{\"order\":" + s + ",\"total\":1.5e" + s + "}",
                   .metadata = "{\"user\":\"u" + s + "\"}",
                   .content_type = ContentType::kJson,
                   .id = FixtureId(n),
                   .tags = {"eu", n == 2 ? "vip" : "new"}};
}

// The fixture's caller ids are found again, however old the fixture is: a
// retry of order-2's first append writes nothing and returns the original
// result; one that adds a new id is a conflict, not a partial write.
TEST_F(Format1Fixture, ARetriedIdIsDeduplicated) {
  std::unique_ptr<Store> store = Open();
  ASSERT_NE(store, nullptr);
  const Position last = store->LastPosition();
  Result<AppendResult> retry =
      store->Append(AppendRequest{.streams = {{.stream = "order-2", .events = {Placed(2)}}}});
  ASSERT_OK(retry.status());
  EXPECT_TRUE(retry->deduplicated);
  ASSERT_EQ(retry->streams.size(), 1u);
  EXPECT_EQ(retry->streams[0].first_version, Version(1));
  EXPECT_EQ(retry->streams[0].first_position, Position(3));
  EXPECT_EQ(store->LastPosition(), last);

  EventData fresh = Placed(2);
  fresh.id = FixtureId(999);
  Result<AppendResult> mixed = store->Append(
      AppendRequest{.streams = {{.stream = "order-2", .events = {Placed(2), fresh}}}});
  EXPECT_EQ(mixed.status().code(), Status::Code::kIdempotencyConflict);
  EXPECT_EQ(store->LastPosition(), last);
}

}  // namespace
}  // namespace evlog
