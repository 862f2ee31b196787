// Backup and restore: a backup taken while threads append ends at a group
// boundary and holds a gapless prefix of what was acknowledged; restore
// refuses what it must and never leaves a half store.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "backup.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

namespace fs = std::filesystem;
using testutil::Ev;
using Backup = testutil::StoreTest;

std::unique_ptr<Store> OpenReadOnly(const std::string& path) {
  Options options;
  options.read_only = true;
  auto store = Store::Open(options, path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::vector<OwnedEvent> ReadAllOf(Store& store) {
  auto it = store.ReadAll().value();
  return testutil::Collect(*it);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(Backup, WhileThreadsAppendHoldsAGaplessPrefixOfWhatWasAcknowledged) {
  constexpr int kThreads = 4;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<uint64_t, Uuid> acked;  // position -> event id
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop.load() || i < 50; ++i) {
        Uuid id = Uuid::Random();
        auto r = store_->Append("s-" + std::to_string(t), ExpectedVersion::Any(),
                                {Ev("T", "x", id)}, Durability::kBuffered);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        std::lock_guard<std::mutex> lock(mu);
        acked[r->streams[0].first_position.value()] = id;
      }
    });
  }
  // Take the backup once some appends are acknowledged, while all go on.
  for (;;) {
    std::lock_guard<std::mutex> lock(mu);
    if (acked.size() >= 100) break;
  }
  size_t acked_before;
  {
    std::lock_guard<std::mutex> lock(mu);
    acked_before = acked.size();
  }
  auto info = store_->Backup(dir_.Sub("backup"));
  stop.store(true);
  for (auto& w : writers) w.join();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_GE(info->position.value(), acked_before);
  EXPECT_GT(info->files, 0u);

  auto backup = OpenReadOnly(dir_.Sub("backup"));
  ASSERT_NE(backup, nullptr);
  auto report = backup->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
  EXPECT_EQ(backup->LastPosition(), info->position);
  std::vector<OwnedEvent> events = ReadAllOf(*backup);
  ASSERT_EQ(events.size(), info->position.value());
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].position.value(), i + 1);
    ASSERT_EQ(events[i].id, acked.at(i + 1)) << "position " << i + 1;
  }
}

TEST_F(Backup, RestoreGivesAStoreWithTheSameEvents) {
  for (int i = 0; i < 20; ++i) AppendOne("order-" + std::to_string(i % 3));
  auto info = store_->Backup(dir_.Sub("backup"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->position, Position(20));
  AppendOne("order-0");  // after the backup: not in it

  auto restored = Store::Restore(dir_.Sub("backup"), dir_.Sub("restored"));
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->position, Position(20));
  auto store = Store::Open(Options{}, dir_.Sub("restored"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<OwnedEvent> got = ReadAllOf(**store);
  std::vector<OwnedEvent> want = ReadAll({.max_count = 20});
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, want[i].id);
    EXPECT_EQ(got[i].stream, want[i].stream);
    EXPECT_EQ(got[i].version, want[i].version);
  }
  // The restored store takes appends where the backup ended.
  auto r = (*store)->Append("order-0", ExpectedVersion::Exact(Version(7)), {Ev("T")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->streams[0].first_position, Position(21));
}

TEST_F(Backup, IncludesPendingViewRebuildRequests) {
  fs::create_directories(path() + "/requests");
  std::ofstream(path() + "/requests/rebuild-view-7631") << "";
  AppendOne("s");
  ASSERT_TRUE(store_->Backup(dir_.Sub("backup")).ok());
  EXPECT_TRUE(fs::exists(dir_.Sub("backup") + "/requests/rebuild-view-7631"));
  ASSERT_TRUE(Store::Restore(dir_.Sub("backup"), dir_.Sub("restored")).ok());
  EXPECT_TRUE(fs::exists(dir_.Sub("restored") + "/requests/rebuild-view-7631"));
}

TEST_F(Backup, RefusesANonEmptyDestinationAndLeavesItAlone) {
  AppendOne("s");
  fs::create_directories(dir_.Sub("dest"));
  std::ofstream(dir_.Sub("dest") + "/keep") << "mine";
  auto info = store_->Backup(dir_.Sub("dest"));
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(info.status().IsInvalidArgument()) << info.status().ToString();
  EXPECT_EQ(Slurp(dir_.Sub("dest") + "/keep"), "mine");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_.Sub("dest")), fs::directory_iterator()), 1);
  // Nothing staged is left beside it.
  for (const auto& e : fs::directory_iterator(dir_.path())) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".")) << e.path();
  }
}

TEST_F(Backup, IntoAnEmptyDirectoryWorks) {
  AppendOne("s");
  fs::create_directories(dir_.Sub("empty"));
  auto info = store_->Backup(dir_.Sub("empty"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(fs::exists(dir_.Sub("empty") + "/EVLOG-BACKUP"));
}

TEST_F(Backup, RefusesADestinationInsideTheStore) {
  AppendOne("s");
  auto info = store_->Backup(path() + "/backup");
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(info.status().IsInvalidArgument()) << info.status().ToString();
  EXPECT_FALSE(fs::exists(path() + "/backup"));
  auto parent = store_->Backup(path() + "/sub/../x");
  EXPECT_TRUE(parent.status().IsInvalidArgument()) << parent.status().ToString();
}

TEST_F(Backup, RefusesAMissingParentDirectory) {
  auto info = store_->Backup(dir_.Sub("no/such/dir"));
  EXPECT_TRUE(info.status().IsNotFound()) << info.status().ToString();
}

TEST_F(Backup, ReadOnlyStoreCannotBackUp) {
  AppendOne("s");
  store_.reset();
  auto ro = OpenReadOnly(path());
  ASSERT_NE(ro, nullptr);
  EXPECT_TRUE(ro->Backup(dir_.Sub("backup")).status().IsReadOnly());
}

class Restore : public testutil::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (int i = 0; i < 5; ++i) AppendOne("s");
    auto info = store_->Backup(backup());
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }
  std::string backup() const { return dir_.Sub("backup"); }
  std::string target() const { return dir_.Sub("target"); }
  // A store at target() with one event of stream `stream`.
  void MakeOtherStore(const std::string& stream) {
    auto other = Store::Open(Options{}, target());
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Append(stream, ExpectedVersion::Any(), {Ev("T")}).ok());
  }
  uint64_t EventsAt(const std::string& dir) {
    auto store = OpenReadOnly(dir);
    return store ? ReadAllOf(*store).size() : 0;
  }
  // The backup's five events at target(), and no hidden stage left beside.
  void ExpectTheBackupAtTargetAndNoStage() {
    EXPECT_EQ(EventsAt(target()), 5u);
    for (const auto& e : fs::directory_iterator(dir_.path())) {
      EXPECT_FALSE(e.path().filename().string().starts_with(".")) << e.path();
    }
  }
};

TEST_F(Restore, RefusesANonEmptyDirectoryWithoutOverwrite) {
  MakeOtherStore("other");
  auto r = Store::Restore(backup(), target());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(EventsAt(target()), 1u);
}

TEST_F(Restore, OverwriteReplacesAClosedStore) {
  MakeOtherStore("other");
  auto r = Store::Restore(backup(), target(), {.overwrite = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectTheBackupAtTargetAndNoStage();
}

// At each step of an overwriting restore the store directory holds a whole
// store, the old one or the restored one: a kill there leaves one of them.
TEST_F(Restore, OverwriteLeavesAStoreInPlaceAtEveryStep) {
  MakeOtherStore("other");
  std::vector<std::string> phases;
  RestoreHooks hooks;
  hooks.at_phase = [&](std::string_view phase) {
    phases.emplace_back(phase);
    const uint64_t events = EventsAt(target());
    EXPECT_TRUE(events == 1 || events == 5) << phase << ": " << events << " events";
  };
  auto r = RestoreBackup(backup(), target(), {.overwrite = true}, hooks);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(phases, (std::vector<std::string>{"copied", "in-place"}));
  ExpectTheBackupAtTargetAndNoStage();
}

// Where the file system cannot exchange two directories, the old store is
// moved aside first: the restore still completes and leaves nothing behind.
TEST_F(Restore, OverwriteWithoutRenameExchangeMovesTheOldStoreAsideFirst) {
  MakeOtherStore("other");
  std::vector<std::string> phases;
  RestoreHooks hooks;
  hooks.without_rename_exchange = true;
  hooks.at_phase = [&](std::string_view phase) {
    phases.emplace_back(phase);
    if (phase == "moved-aside") {
      EXPECT_FALSE(fs::exists(target()));
    }
  };
  auto r = RestoreBackup(backup(), target(), {.overwrite = true}, hooks);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(phases, (std::vector<std::string>{"copied", "moved-aside", "in-place"}));
  ExpectTheBackupAtTargetAndNoStage();
}

TEST_F(Restore, OverwriteRefusesAStoreInUse) {
  auto r = Store::Restore(backup(), path(), {.overwrite = true});
  EXPECT_TRUE(r.status().IsBusy()) << r.status().ToString();
  EXPECT_EQ(ReadAll().size(), 5u);
}

TEST_F(Restore, OverwriteRefusesADirectoryThatIsNotAStore) {
  fs::create_directories(target());
  std::ofstream(target() + "/notes.txt") << "mine";
  auto r = Store::Restore(backup(), target(), {.overwrite = true});
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_EQ(Slurp(target() + "/notes.txt"), "mine");
}

TEST_F(Restore, RefusesADirectoryThatIsNotABackup) {
  auto r = Store::Restore(path(), target());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_FALSE(fs::exists(target()));
  EXPECT_TRUE(Store::Restore(dir_.Sub("nothing"), target()).status().IsNotFound());
}

TEST_F(Restore, RefusesAManifestNameThatEscapes) {
  fs::create_directories(dir_.Sub("outside"));
  std::ofstream(dir_.Sub("outside") + "/secret") << "s";
  for (std::string name : {"../outside/secret", "/etc/passwd", "a/../../outside/secret", "./x"}) {
    std::ofstream(backup() + "/EVLOG-BACKUP", std::ios::app) << "file 1 " << name << "\n";
    auto r = Store::Restore(backup(), target());
    EXPECT_TRUE(r.status().IsInvalidArgument()) << name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find("escapes"), std::string::npos) << r.status().ToString();
    EXPECT_FALSE(fs::exists(target())) << name;
  }
}

TEST_F(Restore, RefusesAListedFileThatIsASymbolicLink) {
  fs::create_directories(dir_.Sub("outside"));
  std::ofstream(dir_.Sub("outside") + "/CURRENT") << "MANIFEST-000001\n";
  // CURRENT replaced by a link pointing out of the backup.
  fs::remove(backup() + "/CURRENT");
  fs::create_symlink(dir_.Sub("outside") + "/CURRENT", backup() + "/CURRENT");
  auto r = Store::Restore(backup(), target());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_FALSE(fs::exists(target()));
}

TEST_F(Restore, RefusesAModifiedBackup) {
  std::ofstream(backup() + "/CURRENT", std::ios::app) << "x";
  auto r = Store::Restore(backup(), target());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_FALSE(fs::exists(target()));
}

TEST_F(Restore, RefusesATargetInsideTheBackup) {
  auto r = Store::Restore(backup(), backup() + "/store");
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_FALSE(fs::exists(backup() + "/store"));
}

// A pid no process has: a child's, once reaped.
pid_t DeadPid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  EXPECT_GT(child, 0);
  EXPECT_EQ(waitpid(child, nullptr, 0), child);
  return child;
}

// A stage directory as a backup or restore makes it, with a copy in it.
void MakeStageDir(const fs::path& dir, std::optional<pid_t> owner) {
  fs::create_directories(dir / "backup");
  std::ofstream(dir / "backup" / "000001.sst") << "a copy";
  if (owner) std::ofstream(dir / "pid") << *owner;
}

// A backup or restore killed before it renamed its copy into place leaves a
// hidden stage directory: the next backup or restore in the same directory,
// and the next writable open of a store directory beside it, remove those
// whose owner is gone, and only those.
TEST_F(Backup, StagesLeftByKilledBackupsAndRestoresAreRemovedAtTheNextStart) {
  const fs::path out = dir_.Sub("out");
  fs::create_directories(out);
  const pid_t dead = DeadPid();
  MakeStageDir(out / ".b1.backup-dead01", dead);
  MakeStageDir(out / ".b1.backup-alive1", getpid());
  MakeStageDir(out / ".b1.backup-nopid1", std::nullopt);
  MakeStageDir(out / ".notes-dead01", dead);
  ASSERT_TRUE(store_->Backup((out / "b2").string()).ok());
  EXPECT_FALSE(fs::exists(out / ".b1.backup-dead01"));
  EXPECT_TRUE(fs::exists(out / ".b1.backup-alive1"));
  EXPECT_TRUE(fs::exists(out / ".b1.backup-nopid1"));
  EXPECT_TRUE(fs::exists(out / ".notes-dead01"));

  MakeStageDir(out / ".s1.restore-dead02", dead);
  ASSERT_TRUE(Store::Restore((out / "b2").string(), (out / "s2").string()).ok());
  EXPECT_FALSE(fs::exists(out / ".s1.restore-dead02"));
  EXPECT_TRUE(fs::exists(out / ".b1.backup-alive1"));
  // Only evlog's own stage directories are left behind: none of this
  // backup's or restore's.
  size_t hidden = 0;
  for (const auto& e : fs::directory_iterator(out)) {
    hidden += e.path().filename().string().starts_with(".") ? 1 : 0;
  }
  EXPECT_EQ(hidden, 3u);  // alive1, nopid1, .notes-dead01

  MakeStageDir(out / ".s2.restore-dead03", dead);
  {
    auto opened = Store::Open(Options{}, (out / "s2").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  }
  EXPECT_FALSE(fs::exists(out / ".s2.restore-dead03"));
  EXPECT_TRUE(fs::exists(out / ".b1.backup-alive1"));
}

}  // namespace
}  // namespace evlog
