// ResolveBackupDest: a remote Backup writes only under --backup-dir.

#include "backup_dest.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "testutil/temp_dir.h"

namespace evlog::server {
namespace {

namespace fs = std::filesystem;

class BackupDest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(base());
    base_ = fs::canonical(base()).string();
  }
  std::string base() const { return dir_.Sub("backups"); }

  testutil::TempDir dir_;
  std::string base_;
};

TEST_F(BackupDest, ARelativeDestinationIsResolvedUnderTheDirectory) {
  Result<std::string> path = ResolveBackupDest(base_, "nightly/1");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, base_ + "/nightly/1");
  Result<std::string> slash = ResolveBackupDest(base_, "b/");
  ASSERT_TRUE(slash.ok()) << slash.status().ToString();
  EXPECT_EQ(*slash, base_ + "/b");
}

TEST_F(BackupDest, AnAbsoluteDestinationInsideTheDirectoryIsTaken) {
  Result<std::string> path = ResolveBackupDest(base_, base_ + "/b");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, base_ + "/b");
}

TEST_F(BackupDest, DestinationsOutsideTheDirectoryAreInvalidArguments) {
  for (const std::string& dest :
       {std::string("../x"), std::string("a/../../x"), std::string("/tmp/x"), std::string("."),
        std::string(""), base_, base_ + "/..", dir_.Sub("x")}) {
    Result<std::string> path = ResolveBackupDest(base_, dest);
    EXPECT_TRUE(path.status().IsInvalidArgument()) << dest << ": " << path.status().ToString();
  }
}

TEST_F(BackupDest, ASymbolicLinkLeadingOutsideIsRefused) {
  fs::create_directories(dir_.Sub("elsewhere"));
  ASSERT_EQ(symlink(dir_.Sub("elsewhere").c_str(), (base_ + "/link").c_str()), 0);
  Result<std::string> through = ResolveBackupDest(base_, "link/b");
  EXPECT_TRUE(through.status().IsInvalidArgument()) << through.status().ToString();
  EXPECT_NE(through.status().message().find("symbolic link"), std::string::npos);
  Result<std::string> itself = ResolveBackupDest(base_, "link");
  EXPECT_TRUE(itself.status().IsInvalidArgument()) << itself.status().ToString();
}

TEST_F(BackupDest, WithoutADirectoryRemoteBackupIsDisabled) {
  Result<std::string> path = ResolveBackupDest("", "b");
  EXPECT_TRUE(path.status().IsNotSupported());
  EXPECT_EQ(path.status().message(), kRemoteBackupDisabled);
}

}  // namespace
}  // namespace evlog::server
