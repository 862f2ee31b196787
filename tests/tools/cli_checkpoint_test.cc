// `evlog checkpoint get|set NAME` in both forms (embedded and --connect):
// the cursor of a consumer that reads the feed itself, stored in the store,
// listed by `subscriptions` (docs/cli.md "Change feed, subscriptions").

#include <gtest/gtest.h>

#include "cli_fixture.h"

namespace evlog {
namespace {

using Json = nlohmann::ordered_json;
EVLOG_CLI_FORMS_SUITE(CliCheckpoint);

TEST_P(CliCheckpoint, SetStoresTheCursorThatGetAndSubscriptionsPrint) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Evlog({"append", "order-1", "--type", "Placed", "--data", "{}"}).exit_code, 0);
  }
  CliOutcome none = Evlog({"checkpoint", "get", "mailer"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "{\"name\":\"mailer\",\"checkpoint\":0}\n");

  CliOutcome set = Evlog({"checkpoint", "set", "mailer", "2"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "{\"name\":\"mailer\",\"checkpoint\":2}\n");
  CliOutcome got = Evlog({"checkpoint", "get", "mailer"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, set.out);

  const std::vector<Json> subs = Evlog({"subscriptions"}).Lines();
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0]["name"], "mailer");
  EXPECT_EQ(subs[0]["checkpoint"], 2);
  EXPECT_EQ(subs[0]["lag"], 1);

  // It may move back: the consumer reprocesses.
  ASSERT_EQ(Evlog({"checkpoint", "set", "mailer", "0"}).exit_code, 0);
  EXPECT_EQ(Json::parse(Evlog({"checkpoint", "get", "mailer"}).out)["checkpoint"], 0);
}

TEST_P(CliCheckpoint, BadNamesAndPositionsAreRefusedAndNothingIsStored) {
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "Placed", "--data", "{}"}).exit_code, 0);
  // A position past the last committed one.
  CliOutcome past = Evlog({"checkpoint", "set", "mailer", "2"});
  EXPECT_EQ(past.exit_code, 1) << past.err;
  EXPECT_EQ(past.Error()["error"], "invalid_argument") << past.err;
  EXPECT_TRUE(past.out.empty()) << past.out;
  // A name the store cannot hold.
  CliOutcome bad = Evlog({"checkpoint", "set", "a/b", "1"});
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_EQ(bad.Error()["error"], "invalid_argument") << bad.err;
  EXPECT_EQ(Evlog({"checkpoint", "get", "a/b"}).exit_code, 1);
  // Usage: no position, not a number, no action.
  EXPECT_EQ(Evlog({"checkpoint", "set", "mailer"}).exit_code, 2);
  EXPECT_EQ(Evlog({"checkpoint", "set", "mailer", "-1"}).exit_code, 2);
  EXPECT_EQ(Evlog({"checkpoint", "mailer"}).exit_code, 2);
  EXPECT_TRUE(Evlog({"subscriptions"}).out.empty());
}

TEST(CliCheckpointEmbedded, AMissingStoreIsNotFoundAndNotCreated) {
  testutil::TempDir dir;
  const std::string db = dir.Sub("none");
  CliOutcome get = testutil::CliProcess::Run({EVLOG_CLI_PATH, "--db", db, "checkpoint", "get", "m"});
  EXPECT_EQ(get.exit_code, 4) << get.err;
  CliOutcome set =
      testutil::CliProcess::Run({EVLOG_CLI_PATH, "--db", db, "checkpoint", "set", "m", "0"});
  EXPECT_EQ(set.exit_code, 4) << set.err;
  EXPECT_FALSE(std::filesystem::exists(db));
}

}  // namespace
}  // namespace evlog
