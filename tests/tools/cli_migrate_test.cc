// `evlog migrate --db DIR [--keep-old]`: a format-1 store is refused by
// every verb with not_supported naming the command, migrate converts it
// (a second run says it is format 2 already), and the verbs then read it.

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "cli_fixture.h"

namespace evlog {
namespace {

namespace fs = std::filesystem;

class CliMigrate : public CliTest {
 protected:
  void SetUp() override {
    fs::copy(fs::path(FORMAT1_FIXTURE_DIR) / "store", db(), fs::copy_options::recursive);
  }
};

TEST_F(CliMigrate, AFormat1StoreIsRefusedNamingMigrateThenMigratesAndReads) {
  CliOutcome refused = Evlog({"read-all"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_EQ(refused.Error()["error"], "not_supported") << refused.err;
  EXPECT_NE(refused.Error()["message"].get<std::string>().find("run `evlog migrate --db " + db()),
            std::string::npos)
      << refused.err;

  CliOutcome m = EvlogWithoutDb({"migrate", "--db", db(), "--keep-old"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  ASSERT_EQ(m.Lines().size(), 1u) << m.out;
  EXPECT_EQ(m.Lines()[0]["migrated"], db());
  EXPECT_EQ(m.Lines()[0]["format"], 2);
  EXPECT_EQ(m.Lines()[0]["converted"], true);
  EXPECT_EQ(m.Lines()[0]["last_position"], 146);
  EXPECT_EQ(m.Lines()[0]["old_store"], db() + ".format1");
  EXPECT_TRUE(fs::exists(db() + ".format1"));

  CliOutcome again = Evlog({"migrate"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.Lines()[0]["converted"], false);

  CliOutcome v = Evlog({"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  CliOutcome read = Evlog({"read", "order-1"});
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_FALSE(read.Lines().empty());
}

TEST_F(CliMigrate, WithConnectItIsAUsageError) {
  CliOutcome m = EvlogWithoutDb({"--connect", "127.0.0.1:1", "migrate"});
  EXPECT_EQ(m.exit_code, 2) << m.err;
  EXPECT_EQ(m.Error()["error"], "usage");
}

TEST_F(CliMigrate, AMissingStoreIsNotFound) {
  CliOutcome m = EvlogWithoutDb({"migrate", "--db", dir_.Sub("nothing")});
  EXPECT_EQ(m.exit_code, 4) << m.err;
  EXPECT_EQ(m.Error()["error"], "not_found");
}

// Every file under `dir` with its size: what "nothing changed" compares.
std::map<std::string, uintmax_t> FilesUnder(const fs::path& dir) {
  std::map<std::string, uintmax_t> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = e.file_size();
  }
  return files;
}

// On a 16 MiB tmpfs the new store (the old one's size plus at least
// 64 MiB) cannot be built: migrate refuses before it starts, names what it
// needs, and leaves the old store and its directory as they were. Needs
// root for mount(2), as in CI; skipped otherwise.
TEST_F(CliMigrate, WithoutTheFreeSpaceItNeedsMigrateRefusesAndChangesNothing) {
  const std::string small = dir_.Sub("small");
  fs::create_directories(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=16m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs on " << small << " (" << std::strerror(errno)
                 << "): this test needs root, as in CI";
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{small};
  const fs::path store = fs::path(small) / "store";
  fs::copy(fs::path(FORMAT1_FIXTURE_DIR) / "store", store, fs::copy_options::recursive);
  const auto before = FilesUnder(small);

  CliOutcome m = EvlogWithoutDb({"migrate", "--db", store.string()});
  EXPECT_EQ(m.exit_code, 1) << m.err;
  EXPECT_EQ(m.Error()["error"], "io_error") << m.err;
  const std::string message = m.Error()["message"].get<std::string>();
  EXPECT_NE(message.find("not enough free space"), std::string::npos) << message;
  EXPECT_NE(message.find("nothing was changed"), std::string::npos) << message;
  EXPECT_EQ(FilesUnder(small), before);

  CliOutcome refused = EvlogWithoutDb({"--db", store.string(), "read-all"});
  EXPECT_EQ(refused.Error()["error"], "not_supported") << refused.err;
}

}  // namespace
}  // namespace evlog
