// A Backup request makes evlogd write only under its --backup-dir (issue
// #14): a relative destination lands in it; "..", another absolute path or
// a symbolic link out of it is refused with nothing written; without the
// directory remote backup is refused. In-process server on 127.0.0.1.

#include <unistd.h>

#include <filesystem>

#include "backup_dest.h"
#include "integration/daemon_fixture.h"

namespace evlog::testutil {
namespace {

namespace fs = std::filesystem;

class BackupRemote : public DaemonTest {
 protected:
  void SetUp() override {}
  void Start(bool with_dir) {
    fs::create_directories(backups());
    server::ServerOptions options;
    if (with_dir) options.dispatcher.backup_dir = fs::canonical(backups()).string();
    StartServer(options);
    auto r = store_->Append("s", ExpectedVersion::Any(), {EventData{.type = "T", .data = "1"}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  std::string backups() const { return dir_.Sub("backups"); }
  Result<BackupInfo> Backup(const std::string& dest) {
    auto client = Connect();
    if (!client.ok()) return client.status();
    return (*client)->Backup(dest);
  }
};

TEST_F(BackupRemote, ARelativeDestinationLandsUnderTheBackupDir) {
  Start(/*with_dir=*/true);
  Result<BackupInfo> info = Backup("nightly");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->position.value(), 1u);
  EXPECT_TRUE(fs::exists(backups() + "/nightly/EVLOG-BACKUP"));
}

TEST_F(BackupRemote, DestinationsOutsideTheBackupDirAreRefusedAndNothingIsWritten) {
  Start(/*with_dir=*/true);
  fs::create_directories(dir_.Sub("elsewhere"));
  ASSERT_EQ(symlink(dir_.Sub("elsewhere").c_str(), (backups() + "/link").c_str()), 0);
  for (const std::string& dest :
       {backups() + "/../up", dir_.Sub("absolute"), std::string("link/b")}) {
    Result<BackupInfo> info = Backup(dest);
    EXPECT_TRUE(info.status().IsInvalidArgument()) << dest << ": " << info.status().ToString();
    EXPECT_NE(info.status().message().find("outside --backup-dir"), std::string::npos)
        << info.status().ToString();
  }
  EXPECT_FALSE(fs::exists(dir_.Sub("up")));
  EXPECT_FALSE(fs::exists(dir_.Sub("absolute")));
  EXPECT_TRUE(fs::is_empty(dir_.Sub("elsewhere")));
}

TEST_F(BackupRemote, ARelativeDestinationWithDotDotIsRefused) {
  Start(/*with_dir=*/true);
  const std::string name = "evlog-escaped-" + std::to_string(getpid());
  Result<BackupInfo> info = Backup("../" + name);
  EXPECT_TRUE(info.status().IsInvalidArgument()) << info.status().ToString();
  EXPECT_FALSE(fs::exists(dir_.Sub(name)));
  std::error_code ignored;
  fs::remove_all(fs::current_path() / ".." / name, ignored);  // where an unchecked evlogd wrote
}

TEST_F(BackupRemote, WithoutABackupDirRemoteBackupIsRefused) {
  Start(/*with_dir=*/false);
  Result<BackupInfo> info = Backup(backups() + "/b");
  EXPECT_TRUE(info.status().IsNotSupported()) << info.status().ToString();
  EXPECT_EQ(info.status().message(), server::kRemoteBackupDisabled);
  EXPECT_FALSE(fs::exists(backups() + "/b"));
}

}  // namespace
}  // namespace evlog::testutil
