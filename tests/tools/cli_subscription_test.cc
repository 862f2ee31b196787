// `evlog subscription create|delete` and `evlog consume` on an embedded
// store: consumers that print and acknowledge, --count leaving the rest,
// --exec acking on exit 0 and parking what keeps failing.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cli_fixture.h"

namespace evlog {
namespace {

using CliSubscription = CliTest;

std::set<int> Positions(const std::vector<nlohmann::ordered_json>& lines) {
  std::set<int> out;
  for (const auto& line : lines) out.insert(line["position"].get<int>());
  return out;
}

TEST_F(CliSubscription, ConsumePrintsTheMatchingEventsAndAcknowledgesThem) {
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "A", "--data", "1"}).exit_code, 0);
  ASSERT_EQ(Evlog({"append", "user-1", "--type", "B", "--data", "2"}).exit_code, 0);
  ASSERT_EQ(Evlog({"append", "order-2", "--type", "C", "--data", "{\"n\":3}"}).exit_code, 0);
  auto created = Evlog({"subscription", "create", "billing", "--category", "order"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(created.Lines().size(), 1u);
  EXPECT_EQ(created.Lines()[0]["checkpoint"], 0);

  auto listed = Evlog({"subscriptions"}).Lines();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["name"], "billing");
  EXPECT_EQ(listed[0]["lag"], 2);  // only the order events
  EXPECT_EQ(listed[0]["parked"], 0);

  auto consumed = Evlog({"consume", "billing"});
  ASSERT_EQ(consumed.exit_code, 0) << consumed.err;
  auto lines = consumed.Lines();
  ASSERT_EQ(lines.size(), 2u);
  // The same event JSON as `evlog read`.
  EXPECT_EQ(lines[1], Evlog({"read", "order-2"}).Lines()[0]);

  listed = Evlog({"subscriptions"}).Lines();
  EXPECT_EQ(listed[0]["checkpoint"], 3);
  EXPECT_EQ(listed[0]["lag"], 0);
  EXPECT_TRUE(Evlog({"consume", "billing"}).Lines().empty());
}

TEST_F(CliSubscription, CountLeavesTheRestForTheNextConsumer) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Evlog({"append", "a-" + std::to_string(i), "--type", "T", "--data", "1"}).exit_code,
              0);
  }
  ASSERT_EQ(Evlog({"subscription", "create", "billing"}).exit_code, 0);
  auto first = Evlog({"consume", "billing", "--count", "2"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Positions(first.Lines()), (std::set<int>{1, 2}));
  auto rest = Evlog({"consume", "billing"});
  EXPECT_EQ(Positions(rest.Lines()), (std::set<int>{3, 4, 5}));
}

TEST_F(CliSubscription, ExecAcknowledgesOnExitZeroAndParksWhatKeepsFailing) {
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  ASSERT_EQ(Evlog({"subscription", "create", "ok", "--max-attempts", "2"}).exit_code, 0);
  ASSERT_EQ(Evlog({"subscription", "create", "failing", "--max-attempts", "2"}).exit_code, 0);
  const std::string out = dir_.Sub("handled.jsonl");
  auto handled = Evlog({"consume", "ok", "--exec", "cat > '" + out + "'"});
  ASSERT_EQ(handled.exit_code, 0) << handled.err;
  FILE* f = fopen(out.c_str(), "r");
  ASSERT_NE(f, nullptr);
  char buffer[4096] = {};
  const size_t n = fread(buffer, 1, sizeof(buffer) - 1, f);
  fclose(f);
  EXPECT_EQ(std::string(buffer, n), Evlog({"read", "a-1"}).out);

  auto failed = Evlog({"consume", "failing", "--exec", "exit 3"});
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  auto parked = Evlog({"parked", "failing"}).Lines();
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(parked[0]["position"], 1);
  EXPECT_NE(parked[0]["error"].get<std::string>().find("--exec exited 3"), std::string::npos);
  for (const auto& info : Evlog({"subscriptions"}).Lines()) {
    // Both are past the event; "failing" also read its parked copy (not
    // delivered), which "ok" counts in its unfiltered lag.
    EXPECT_GE(info["checkpoint"].get<int>(), 1) << info;
    if (info["name"] == "failing") {
      EXPECT_EQ(info["lag"], 0) << info;
    }
  }
}

TEST_F(CliSubscription, CreateIsIdempotentAndDeleteRemovesIt) {
  // Like every verb but append, create does not make a new store.
  EXPECT_EQ(Evlog({"subscription", "create", "billing"}).exit_code, 4);
  ASSERT_EQ(Evlog({"append", "a-1", "--type", "T", "--data", "1"}).exit_code, 0);
  ASSERT_EQ(Evlog({"subscription", "create", "billing", "--type", "Paid"}).exit_code, 0);
  EXPECT_EQ(Evlog({"subscription", "create", "billing", "--type", "Paid"}).exit_code, 0);
  auto other = Evlog({"subscription", "create", "billing", "--type", "Other"});
  EXPECT_NE(other.exit_code, 0);
  EXPECT_NE(other.err.find("already exists"), std::string::npos) << other.err;
  EXPECT_EQ(Evlog({"subscription", "create", "x", "--from", "soon"}).exit_code, 2);

  auto deleted = Evlog({"subscription", "delete", "billing"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_TRUE(Evlog({"subscriptions"}).Lines().empty());
  EXPECT_EQ(Evlog({"subscription", "delete", "billing"}).exit_code, 4);
  EXPECT_EQ(Evlog({"consume", "billing"}).exit_code, 4);
}

}  // namespace
}  // namespace evlog
