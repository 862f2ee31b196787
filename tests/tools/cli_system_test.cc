// System streams ("$meta-<stream>", "$parked-<name>") in the evlog CLI:
// read-all, tail and streams hide them unless --system; a read by name
// still finds them. Both forms: embedded and --connect.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cli_fixture.h"
#include "testutil/eventually.h"
#include "testutil/json_fields.h"

namespace evlog {
namespace {

using Json = nlohmann::ordered_json;
using testutil::FieldOf;
// tail --follow (remotely a pushed subscription) from the latest position
// while each round changes live-1's metadata and then appends to it.
class CliSystem : public CliFormTest {
 protected:
  // The streams of the lines `evlog <args>` prints, up to the first of
  // stream `until`.
  std::vector<std::string> FollowUntil(const std::vector<std::string>& args,
                                       const std::string& until) {
    std::vector<std::string> seen;
    // Before the follower's start: a stream to set metadata on.
    EXPECT_EQ(Evlog({"append", "live-1", "--type", "Live", "--data", "0"}).exit_code, 0);
    auto child = testutil::CliProcess::Start(ArgvWithDb(args));
    EXPECT_NE(child, nullptr);
    if (child == nullptr) return seen;
    EXPECT_TRUE(testutil::Eventually([&] {
      const std::string n = std::to_string(++round_ + 10);
      EXPECT_EQ(Evlog({"metadata", "live-1", "--max-count", n}).exit_code, 0);
      EXPECT_EQ(Evlog({"append", "live-1", "--type", "Live", "--data", n}).exit_code, 0);
      while (std::optional<std::string> line = child->ReadLine(std::chrono::milliseconds(200))) {
        seen.push_back(Json::parse(*line)["stream"].get<std::string>());
        if (seen.back() == until) return true;
      }
      return false;
    })) << "tail --follow never printed an event of " << until;
    return seen;
  }

  int round_ = 0;
};
INSTANTIATE_TEST_SUITE_P(Forms, CliSystem, ::testing::ValuesIn(CliForms()), CliFormName);

// order-1 at 1 (parked by "billing"), its parked copy at 2, a-1 at 3, the
// metadata change "$meta-a-1" at 4, a-1 at 5.
class CliSystemStore : public CliSystem {
 protected:
  void SetUp() override {
    CliSystem::SetUp();
    ParkOneEventOfBilling();
    ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
    ASSERT_EQ(Evlog({"metadata", "a-1", "--max-count", "5"}).exit_code, 0);
    ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "2"}).exit_code, 0);
  }
};
INSTANTIATE_TEST_SUITE_P(Forms, CliSystemStore, ::testing::ValuesIn(CliForms()), CliFormName);

TEST_P(CliSystemStore, ReadAllHidesSystemStreamsUnlessAskedWithSystem) {
  EXPECT_EQ(FieldOf<std::string>(Evlog({"read-all"}).Lines(), "stream"),
            (std::vector<std::string>{"order-1", "a-1", "a-1"}));
  EXPECT_EQ(FieldOf<std::string>(Evlog({"read-all", "--system"}).Lines(), "stream"),
            (std::vector<std::string>{"order-1", "$parked-billing", "a-1", "$meta-a-1", "a-1"}));
  // A hidden event does not take a place of --count.
  auto page = Evlog({"read-all", "--from", "2", "--count", "1"}).Lines();
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0]["position"], 3);
  EXPECT_TRUE(Evlog({"read-all", "--type", "$metadata"}).Lines().empty());
  EXPECT_EQ(Evlog({"read-all", "--type", "$metadata", "--system"}).Lines().size(), 1u);
}

TEST_P(CliSystemStore, TailHidesSystemStreamsUnlessAskedWithSystem) {
  EXPECT_EQ(FieldOf<std::string>(Evlog({"tail"}).Lines(), "stream"),
            (std::vector<std::string>{"order-1", "a-1", "a-1"}));
  EXPECT_EQ(FieldOf<std::string>(Evlog({"tail", "--system", "--from", "2"}).Lines(), "stream"),
            (std::vector<std::string>{"$parked-billing", "a-1", "$meta-a-1", "a-1"}));
}

TEST_P(CliSystemStore, StreamsHidesSystemStreamsUnlessAskedWithSystem) {
  EXPECT_EQ(FieldOf<std::string>(Evlog({"streams"}).Lines(), "stream"), (std::vector<std::string>{"a-1", "order-1"}));
  EXPECT_EQ(FieldOf<std::string>(Evlog({"streams", "--system"}).Lines(), "stream"),
            (std::vector<std::string>{"$meta-a-1", "$parked-billing", "a-1", "order-1"}));
}

TEST_P(CliSystemStore, ASystemStreamStillReadsByName) {
  auto meta = Evlog({"read", "$meta-a-1"}).Lines();
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0]["type"], "$metadata");
  EXPECT_EQ(Evlog({"read", "$parked-billing"}).Lines().size(), 1u);
}

TEST_P(CliSystem, TailFollowHidesSystemStreamsUnlessAskedWithSystem) {
  std::vector<std::string> hidden = FollowUntil({"tail", "--follow", "--from", "latest"}, "live-1");
  EXPECT_EQ(hidden, (std::vector<std::string>{"live-1"}));
  std::vector<std::string> shown =
      FollowUntil({"tail", "--follow", "--from", "latest", "--system"}, "$meta-live-1");
  EXPECT_FALSE(shown.empty());
}

}  // namespace
}  // namespace evlog
