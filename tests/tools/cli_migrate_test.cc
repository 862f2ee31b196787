// `evlog migrate --db DIR [--keep-old]`: a format-1 store is refused by
// every verb with not_supported naming the command, migrate converts it
// (a second run says it is format 2 already), and the verbs then read it.

#include <gtest/gtest.h>

#include <filesystem>

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

}  // namespace
}  // namespace evlog
