// `evlog verify` on clean and damaged stores: one JSON line, exit 0 when
// clean, exit 5 when the store is corrupt (problems found, or a corruption
// error at open or read), never a crash.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "evlog/store.h"
#include "testutil/damage.h"

namespace evlog {
namespace {

namespace fs = std::filesystem;
using CliVerify = CliTest;

// Writes 300 events in 3 streams through the engine, syncs, and closes.
// Fills a store at `db`; with `crashed`, leaves at `db` a copy taken while
// the store was open (its events only in the WAL) instead.
void Fill(const std::string& db, bool compact, bool crashed = false) {
  const std::string where = crashed ? db + ".open" : db;
  auto store = Store::Open(Options{}, where);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < 300; ++i) {
    auto r = (*store)->Append("order-" + std::to_string(i % 3), ExpectedVersion::Any(),
                              {EventData{.type = "Added", .data = std::string(100, 'x')}},
                              Durability::kBuffered);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  ASSERT_TRUE((*store)->Sync().ok());
  if (compact) {
    ASSERT_TRUE((*store)->Compact().ok());
  }
  if (crashed) {
    ASSERT_TRUE(testutil::CopyAsCrashed(where, db));
  }
}

TEST_F(CliVerify, CleanStorePrintsOkWithItsCounts) {
  ASSERT_EQ(
      Evlog({"append", "order-1"}, "{\"type\":\"A\",\"data\":1}\n{\"type\":\"B\",\"data\":2}\n")
          .exit_code,
      0);
  ASSERT_EQ(Evlog({"append", "cart-1", "--type", "A", "--data", "3"}).exit_code, 0);
  auto r = Evlog({"verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"ok":true,"events":3,"streams":2,"last_position":3,"reclaimed":0,)"
                   R"("index_entries":6})"
                   "\n");
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(CliVerify, TrimmedAndCompactedStoreIsClean) {
  Fill(db(), /*compact=*/false);
  {
    auto store = Store::Open(Options{}, db());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(
        (*store)->TrimStream("order-1", {.before = Version(50), .require_snapshot = false}).ok());
    ASSERT_TRUE((*store)->Compact().ok());
  }
  auto r = Evlog({"verify"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_EQ(r.Lines().size(), 1u);
  EXPECT_EQ(r.Lines()[0]["ok"], true);
  EXPECT_EQ(r.Lines()[0]["reclaimed"], 49);
}

TEST_F(CliVerify, FlippedTableBytesExitFiveWithTheProblems) {
  Fill(db(), /*compact=*/true);
  auto tables = testutil::FilesEndingWith(db(), ".sst");
  ASSERT_FALSE(tables.empty());
  for (const fs::path& t : tables) ASSERT_TRUE(testutil::FlipBytes(t, fs::file_size(t) / 3, 16));

  auto r = Evlog({"verify"});
  ASSERT_EQ(r.exit_code, 5) << r.out << r.err;
  if (r.out.empty()) {  // refused at open
    EXPECT_EQ(r.Error()["error"], "corruption") << r.err;
  } else {
    ASSERT_EQ(r.Lines().size(), 1u) << r.out;
    nlohmann::ordered_json report = r.Lines()[0];
    EXPECT_EQ(report["ok"], false);
    EXPECT_GE(report["problem_count"].get<int>(), 1);
    ASSERT_TRUE(report["problems"].is_array());
    EXPECT_NE(report["problems"][0].get<std::string>().find("checksum mismatch"), std::string::npos)
        << r.out;
  }
  // Reads of the damaged store fail with corruption, exit 5.
  auto read = Evlog({"read-all"});
  EXPECT_EQ(read.exit_code, 5) << read.err;
  EXPECT_EQ(read.Error()["error"], "corruption") << read.err;
}

TEST_F(CliVerify, DamagedWalIsCorruptionExitFive) {
  Fill(db(), /*compact=*/false, /*crashed=*/true);
  auto wals = testutil::FilesEndingWith(db(), ".log");
  ASSERT_EQ(wals.size(), 1u);
  ASSERT_TRUE(testutil::FlipBytes(wals[0], fs::file_size(wals[0]) / 2, 8));
  auto r = Evlog({"verify"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.Error()["error"], "corruption") << r.err;
}

// Regression (issue #14): with the `log` table gone, read-all and tail
// printed no event and exited 0.
TEST_F(CliVerify, ALostLogTableFailsReadAllAndTailWithExitFive) {
  Fill(db(), /*compact=*/true);
  auto tables = testutil::TableFilesOf(db(), "log");
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_TRUE(fs::remove(tables[0]));
  for (const std::vector<std::string>& verb :
       {std::vector<std::string>{"read-all"}, {"tail", "--from", "oldest"}}) {
    auto r = Evlog(verb);
    EXPECT_EQ(r.exit_code, 5) << verb[0] << ": " << r.out << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(r.Error()["error"], "corruption") << r.err;
    EXPECT_NE(r.err.find("missing from the log"), std::string::npos) << r.err;
  }
}

// Regression (issue #14): a WAL cut to half its synced length verified ok.
TEST_F(CliVerify, AWalCutShortOfItsSyncedEventsIsCorruptionExitFive) {
  Fill(db(), /*compact=*/false, /*crashed=*/true);
  auto wals = testutil::FilesEndingWith(db(), ".log");
  ASSERT_EQ(wals.size(), 1u);
  ASSERT_TRUE(testutil::TruncateFile(wals[0], fs::file_size(wals[0]) / 2));
  auto r = Evlog({"verify"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_EQ(r.Error()["error"], "corruption") << r.err;
  EXPECT_NE(r.err.find("acknowledged events are lost"), std::string::npos) << r.err;
}

TEST_F(CliVerify, MissingStoreIsNotFound) {
  auto r = Evlog({"verify"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(r.Error()["error"], "not_found") << r.err;
}

// compact opens the store for writing but never creates one.
TEST_F(CliVerify, CompactOfAMissingStoreIsNotFoundAndCreatesNothing) {
  auto r = Evlog({"compact"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(r.Error()["error"], "not_found") << r.err;
  EXPECT_FALSE(fs::exists(db()));
}

// What `--db` names decides the error: a store that lost CURRENT is corrupt
// (exit 5, from a read verb and from a write verb alike), a regular file is
// invalid_argument (exit 1), a missing path is not_found for a read verb
// (exit 4), and an empty directory becomes a store.
void ExpectErrorLine(const testutil::CliOutcome& r, int exit_code, const std::string& code,
                     const std::string& says) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  ASSERT_TRUE(r.Error().is_object()) << r.err;
  EXPECT_EQ(r.Error()["error"], code) << r.err;
  EXPECT_NE(r.Error()["message"].get<std::string>().find(says), std::string::npos) << r.err;
}

TEST_F(CliVerify, AStoreWithoutCurrentIsCorruptNotMissing) {
  Fill(db(), /*compact=*/true);
  fs::remove(fs::path(db()) / "CURRENT");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"verify"}, {"read-all"}, {"append", "a-1", "--type", "T", "--data", "1"}}) {
    ExpectErrorLine(Evlog(args), 5, "corruption", "CURRENT is missing");
  }
  EXPECT_FALSE(fs::exists(fs::path(db()) / "CURRENT"));
}

TEST_F(CliVerify, DbNamingAFileOrNothingOrAnEmptyDirectory) {
  const std::string file = dir_.Sub("file");
  std::ofstream(file) << "mine";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"read-all"}, {"append", "a-1", "--type", "T", "--data", "1"}}) {
    std::vector<std::string> argv = {"--db", file};
    argv.insert(argv.end(), args.begin(), args.end());
    ExpectErrorLine(EvlogWithoutDb(argv), 1, "invalid_argument",
                    "is a file, not a store directory");
  }
  ExpectErrorLine(EvlogWithoutDb({"--db", dir_.Sub("none"), "read-all"}), 4, "not_found",
                  "no evlog store");
  const std::string empty = dir_.Sub("empty");
  fs::create_directories(empty);
  auto created = EvlogWithoutDb({"--db", empty, "append", "a-1", "--type", "T", "--data", "1"});
  EXPECT_EQ(created.exit_code, 0) << created.err;
  auto read = EvlogWithoutDb({"--db", empty, "read", "a-1"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
}

}  // namespace
}  // namespace evlog
