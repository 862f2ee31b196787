// `evlog backup DEST` and `evlog restore SRC --db DIR [--force]`: backup,
// restore and verify give the same events, in both forms of the tool (with
// --connect the daemon writes the backup); restore refuses what it must and
// changes nothing then; a backup taken through evlogd while another client
// appends holds a gapless prefix.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli_fixture.h"
#include "evlog/store.h"

namespace evlog {
namespace {

namespace fs = std::filesystem;

class CliBackup : public CliFormTest {
 protected:
  void SetUp() override {
    CliFormTest::SetUp();
    ASSERT_EQ(Evlog({"append", "order-1"},
                    "{\"type\":\"Placed\",\"data\":{\"n\":1}}\n{\"type\":\"Paid\",\"data\":2}\n")
                  .exit_code,
              0);
    ASSERT_EQ(Evlog({"append", "cart-7", "--type", "Added", "--data", "\"x\""}).exit_code, 0);
  }

  std::string backup() const { return dir_.Sub("backup"); }
  std::string restored() const { return dir_.Sub("restored"); }

  CliOutcome Restore(const std::string& dir, bool force = false) {
    std::vector<std::string> args = {"restore", backup(), "--db", dir};
    if (force) args.push_back("--force");
    return EvlogWithoutDb(args);
  }
  CliOutcome ReadAllOf(const std::string& dir) { return EvlogWithoutDb({"--db", dir, "read-all"}); }
};
INSTANTIATE_TEST_SUITE_P(Forms, CliBackup, ::testing::ValuesIn(CliForms()), CliFormName);

TEST_P(CliBackup, BackupRestoreVerifyGivesTheSameEvents) {
  CliOutcome b = Evlog({"backup", backup()});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ASSERT_EQ(b.Lines().size(), 1u) << b.out;
  EXPECT_EQ(b.Lines()[0]["backup"], backup());
  EXPECT_EQ(b.Lines()[0]["position"], 3);
  EXPECT_GT(b.Lines()[0]["files"].get<uint64_t>(), 0u);

  CliOutcome r = Restore(restored());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Lines()[0]["restored"], restored());
  EXPECT_EQ(r.Lines()[0]["position"], 3);

  CliOutcome v = EvlogWithoutDb({"--db", restored(), "verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  CliOutcome original = Evlog({"read-all"});
  ASSERT_EQ(original.exit_code, 0) << original.err;
  CliOutcome copy = ReadAllOf(restored());
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_EQ(copy.Lines().size(), 3u);
  EXPECT_EQ(copy.out, original.out);
}

TEST_P(CliBackup, RestoreRefusesANonEmptyStoreWithoutForce) {
  ASSERT_EQ(Evlog({"backup", backup()}).exit_code, 0);
  ASSERT_EQ(EvlogWithoutDb({"--db", restored(), "append", "other-1", "--type", "T", "--data", "1"})
                .exit_code,
            0);
  CliOutcome r = Restore(restored());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.Error()["error"], "invalid_argument") << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  CliOutcome unchanged = ReadAllOf(restored());
  ASSERT_EQ(unchanged.Lines().size(), 1u) << unchanged.out;
  EXPECT_EQ(unchanged.Lines()[0]["stream"], "other-1");

  CliOutcome forced = Restore(restored(), /*force=*/true);
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(ReadAllOf(restored()).out, Evlog({"read-all"}).out);
}

TEST_P(CliBackup, RestoreRejectsAManifestPathThatEscapes) {
  ASSERT_EQ(Evlog({"backup", backup()}).exit_code, 0);
  std::ofstream(dir_.Sub("victim")) << "keep";
  std::ofstream(backup() + "/EVLOG-BACKUP", std::ios::app) << "file 4 ../victim\n";
  CliOutcome r = Restore(restored());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("escapes"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(restored()));
}

TEST_P(CliBackup, ANonEmptyDestinationIsRefused) {
  fs::create_directories(backup());
  std::ofstream(backup() + "/keep") << "mine";
  CliOutcome b = Evlog({"backup", backup()});
  EXPECT_EQ(b.exit_code, 1) << b.err;
  EXPECT_EQ(b.Error()["error"], "invalid_argument") << b.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(backup()), fs::directory_iterator()), 1);
}

using CliBackupEmbedded = CliTest;

TEST_F(CliBackupEmbedded, ABusyStoreSuggestsConnect) {
  auto store = Store::Open(Options{}, db());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  CliOutcome b = Evlog({"backup", dir_.Sub("backup")});
  EXPECT_EQ(b.exit_code, 1) << b.err;
  EXPECT_EQ(b.Error()["error"], "busy") << b.err;
  EXPECT_NE(b.err.find("--connect"), std::string::npos) << b.err;
  EXPECT_FALSE(fs::exists(dir_.Sub("backup")));
}

TEST_F(CliBackupEmbedded, RestoreWithConnectIsAUsageError) {
  CliOutcome r = EvlogWithoutDb({"--connect", "127.0.0.1:7411", "restore", dir_.Sub("b")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.Error()["error"], "usage") << r.err;
}

#ifdef EVLOGD_PATH
// Only the daemon lets one process back up while another appends.
class CliBackupOnline : public CliFormTest {};
INSTANTIATE_TEST_SUITE_P(Remote, CliBackupOnline, ::testing::Values(CliForm::kRemote), CliFormName);

TEST_P(CliBackupOnline, BackupThroughTheDaemonWhileAnotherClientAppends) {
  ASSERT_EQ(Evlog({"append", "s-0", "--type", "T", "--data", "0"}).exit_code, 0);
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  std::thread appender([&] {
    // At least a few appends after the backup started, bounded.
    for (int i = 1; i < 200 && (!stop.load() || appended.load() < 5); ++i) {
      CliOutcome a = Evlog(
          {"append", "s-" + std::to_string(i % 3), "--type", "T", "--data", std::to_string(i)});
      ASSERT_EQ(a.exit_code, 0) << a.err;
      ++appended;
    }
  });
  while (appended.load() < 5) std::this_thread::yield();
  CliOutcome b = Evlog({"backup", dir_.Sub("backup")});
  stop.store(true);
  appender.join();
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const uint64_t position = b.Lines()[0]["position"].get<uint64_t>();
  EXPECT_GE(position, 6u);

  ASSERT_EQ(EvlogWithoutDb({"restore", dir_.Sub("backup"), "--db", dir_.Sub("r")}).exit_code, 0);
  EXPECT_EQ(EvlogWithoutDb({"--db", dir_.Sub("r"), "verify"}).exit_code, 0);
  CliOutcome copy = EvlogWithoutDb({"--db", dir_.Sub("r"), "read-all"});
  CliOutcome all = Evlog({"read-all"});
  ASSERT_EQ(copy.Lines().size(), position);
  ASSERT_GT(all.Lines().size(), position);
  EXPECT_EQ(all.out.substr(0, copy.out.size()), copy.out);
}

TEST_P(CliBackupOnline, ARelativeDestinationIsUnderTheBackupDirAndAnEscapeIsRefused) {
  ASSERT_EQ(Evlog({"append", "s-0", "--type", "T", "--data", "0"}).exit_code, 0);
  CliOutcome b = Evlog({"backup", "nightly"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_TRUE(fs::exists(dir_.Sub("nightly/EVLOG-BACKUP")));
  const std::string name = "evlog-escaped-" + std::to_string(getpid());
  CliOutcome up = Evlog({"backup", "../" + name});
  EXPECT_EQ(up.exit_code, 1) << up.err;
  EXPECT_EQ(up.Error()["error"], "invalid_argument") << up.err;
  EXPECT_NE(up.err.find("outside --backup-dir"), std::string::npos) << up.err;
  EXPECT_FALSE(fs::exists(dir_.Sub("../" + name)));
  std::error_code ignored;
  fs::remove_all(fs::current_path() / ".." / name, ignored);  // where an unchecked evlogd wrote
}

TEST_P(CliBackupOnline, WithoutBackupDirTheDaemonRefusesRemoteBackup) {
  StopDaemon();
  StartDaemon(/*with_backup_dir=*/false);
  CliOutcome b = Evlog({"backup", dir_.Sub("backup")});
  EXPECT_EQ(b.exit_code, 1) << b.err;
  EXPECT_EQ(b.Error()["error"], "not_supported") << b.err;
  EXPECT_EQ(b.Error()["message"],
            "evlogd was started without --backup-dir; remote backup is disabled")
      << b.err;
  EXPECT_FALSE(fs::exists(dir_.Sub("backup")));
}
#endif

}  // namespace
}  // namespace evlog
