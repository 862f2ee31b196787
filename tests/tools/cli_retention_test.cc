// The evlog CLI's retention verbs in both forms (embedded and --connect):
// `metadata --clear` and `--force`, the refusals, and `trim` exiting 3 with
// the reason when it removes nothing (docs/cli.md "Retention").

#include <gtest/gtest.h>

#include "cli_fixture.h"
#include "evlog/store.h"

namespace evlog {
namespace {

using Json = nlohmann::ordered_json;

// One error line naming `code` and saying `says`, exit `exit_code`, and
// nothing on stdout.
void ExpectFailure(const CliOutcome& r, int exit_code, const std::string& code,
                   const std::string& says) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_TRUE(r.Error().is_object()) << r.err;
  EXPECT_EQ(r.Error()["error"], code) << r.err;
  EXPECT_NE(r.Error()["message"].get<std::string>().find(says), std::string::npos) << r.err;
}

class CliRetention : public CliFormTest {
 protected:
  void AppendN(const std::string& stream, int n) {
    for (int i = 1; i <= n; ++i) {
      ASSERT_EQ(Evlog({"append", stream, "--type", "T", "--data", std::to_string(i)}).exit_code, 0);
    }
  }
  size_t Readable(const std::string& stream) { return Evlog({"read", stream}).Lines().size(); }
  // Stores a durable consumer's checkpoint, beside the daemon if any.
  void SetCheckpoint(const std::string& name, uint64_t position) {
    StopDaemon();
    {
      auto store = Store::Open(Options{}, db());
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      ASSERT_TRUE((*store)->SetCheckpoint(name, Position(position)).ok());
    }
    StartDaemon();
  }
};
INSTANTIATE_TEST_SUITE_P(Forms, CliRetention, ::testing::ValuesIn(CliForms()), CliFormName);

TEST_P(CliRetention, MetadataClearUnsetsARuleWithoutBringingEventsBack) {
  AppendN("a-1", 5);
  Json set = Json::parse(Evlog({"metadata", "a-1", "--max-count", "2", "--max-age", "3600"}).out);
  EXPECT_EQ(set["max_count"], 2);
  EXPECT_EQ(Readable("a-1"), 2u);
  CliOutcome cleared = Evlog({"metadata", "a-1", "--clear", "max-count", "--clear", "max-age"});
  ASSERT_EQ(cleared.exit_code, 0) << cleared.err;
  Json j = Json::parse(cleared.out);
  EXPECT_TRUE(j["max_count"].is_null());
  EXPECT_TRUE(j["max_age"].is_null());
  EXPECT_EQ(j["truncate_before"], 4);  // what max-count hid stays hidden
  EXPECT_EQ(Readable("a-1"), 2u);
  AppendN("a-1", 3);
  EXPECT_EQ(Readable("a-1"), 5u);
  ASSERT_EQ(Evlog({"compact"}).exit_code, 0);
  EXPECT_EQ(Readable("a-1"), 5u);

  ExpectFailure(Evlog({"metadata", "a-1", "--clear", "truncate-before"}), 1, "invalid_argument",
                "only moves forward");
  ExpectFailure(Evlog({"metadata", "a-1", "--truncate-before", "2"}), 1, "invalid_argument",
                "only moves forward");
  ExpectFailure(Evlog({"metadata", "a-1", "--max-count", "0"}), 1, "invalid_argument",
                "max_count must be at least 1");
  ExpectFailure(Evlog({"metadata", "a-1", "--max-count", "3", "--clear", "max-count"}), 2, "usage",
                "both set and cleared");
  EXPECT_EQ(Evlog({"metadata", "a-1", "--clear", "max-cont"}).exit_code, 2);
  EXPECT_EQ(Readable("a-1"), 5u);
}

TEST_P(CliRetention, MetadataCanBeSetBeforeTheStreamsFirstEventInBothForms) {
  // Embedded, no store exists yet (the daemon's always does): setting a rule
  // creates it, as an append would, so both forms agree.
  CliOutcome set = Evlog({"metadata", "a-1", "--max-count", "2"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out,
            "{\"stream\":\"a-1\",\"max_count\":2,\"max_age\":null,\"truncate_before\":null,"
            "\"deleted\":null}\n");
  AppendN("a-1", 3);
  EXPECT_EQ(Readable("a-1"), 2u);
}

TEST_P(CliRetention, MaxAgeZeroIsRefusedAsMaxCountZeroIs) {
  AppendN("a-1", 2);
  ExpectFailure(Evlog({"metadata", "a-1", "--max-age", "0"}), 1, "invalid_argument",
                "max_age must be at least 1");
  EXPECT_EQ(Readable("a-1"), 2u);
  EXPECT_TRUE(Json::parse(Evlog({"metadata", "a-1"}).out)["max_age"].is_null());
}

TEST_P(CliRetention, ARuleHidingUnprocessedEventsNeedsForce) {
  AppendN("a-1", 6);  // positions 1..6
  SetCheckpoint("billing", 2);
  ExpectFailure(Evlog({"metadata", "a-1", "--max-count", "2"}), 3, "condition_failed",
                "subscription 'billing'");
  ExpectFailure(Evlog({"metadata", "a-1", "--truncate-before", "5"}), 3, "condition_failed",
                "subscription 'billing'");
  EXPECT_EQ(Readable("a-1"), 6u);
  CliOutcome within = Evlog({"metadata", "a-1", "--truncate-before", "3"});
  ASSERT_EQ(within.exit_code, 0) << within.err;
  EXPECT_EQ(Readable("a-1"), 4u);
  CliOutcome forced = Evlog({"metadata", "a-1", "--max-count", "2", "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(Json::parse(forced.out)["max_count"], 2);
  EXPECT_EQ(Readable("a-1"), 2u);
}

TEST_P(CliRetention, TrimThatRemovesNothingExitsThreeSayingWhy) {
  AppendN("a-1", 6);
  ExpectFailure(Evlog({"trim", "a-1", "--before", "4"}), 3, "condition_failed",
                "no snapshot covers version 1");
  StopDaemon();
  {
    auto store = Store::Open(Options{}, db());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->SaveSnapshot("a-1", Version(5), "{}").ok());
    ASSERT_TRUE((*store)->SetCheckpoint("billing", Position(0)).ok());
  }
  StartDaemon();
  ExpectFailure(Evlog({"trim", "a-1", "--before", "4"}), 3, "condition_failed",
                "held by subscription 'billing'");
  SetCheckpoint("billing", 6);
  CliOutcome trimmed = Evlog({"trim", "a-1", "--before", "4"});
  ASSERT_EQ(trimmed.exit_code, 0) << trimmed.err;
  Json j = Json::parse(trimmed.out);
  EXPECT_EQ(j["truncate_before"], 4);
  EXPECT_EQ(j["removed"], 3);
  EXPECT_EQ(j["stopped_by"], "none");
  EXPECT_EQ(Readable("a-1"), 3u);
  ExpectFailure(Evlog({"trim", "a-1", "--before", "4"}), 3, "condition_failed", "nothing to trim");
  EXPECT_EQ(Readable("a-1"), 3u);
}

}  // namespace
}  // namespace evlog
