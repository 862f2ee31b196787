// `evlog subscription create|delete` and `evlog consume`, in both forms
// (embedded, and --connect to an evlogd hosting the subscriptions):
// consumers that print and acknowledge, --count leaving the rest, --exec
// acking on exit 0 and parking what keeps failing, and a consumer killed
// with its batch unacknowledged leaving that batch to the next.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cli_fixture.h"

namespace evlog {
namespace {

class CliSubscription : public CliFormTest {};
INSTANTIATE_TEST_SUITE_P(BothForms, CliSubscription, ::testing::ValuesIn(CliForms()), CliFormName);

std::set<int> Positions(const std::vector<nlohmann::ordered_json>& lines) {
  std::set<int> out;
  for (const auto& line : lines) out.insert(line["position"].get<int>());
  return out;
}

TEST_P(CliSubscription, ConsumePrintsTheMatchingEventsAndAcknowledgesThem) {
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

TEST_P(CliSubscription, CreatingTheSameDefinitionAgainSaysItExisted) {
  ASSERT_EQ(Evlog({"append", "order-1", "--type", "A", "--data", "1"}).exit_code, 0);
  auto first = Evlog({"subscription", "create", "billing", "--category", "order"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(first.Lines().size(), 1u);
  EXPECT_EQ(first.Lines()[0]["created"], true);
  auto again = Evlog({"subscription", "create", "billing", "--category", "order"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  ASSERT_EQ(again.Lines().size(), 1u);
  EXPECT_EQ(again.Lines()[0]["created"], false);
  auto other = Evlog({"subscription", "create", "billing", "--category", "user"});
  EXPECT_EQ(other.exit_code, 1) << other.out;
}

TEST_P(CliSubscription, CountLeavesTheRestForTheNextConsumer) {
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

TEST_P(CliSubscription, ExecAcknowledgesOnExitZeroAndParksWhatKeepsFailing) {
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

TEST_P(CliSubscription, CreateIsIdempotentAndDeleteRemovesIt) {
  // Like every verb but append, create does not make a new store (evlogd
  // has made it already).
  if (!remote()) {
    EXPECT_EQ(Evlog({"subscription", "create", "billing"}).exit_code, 4);
  }
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

// The consumer is killed (SIGKILL) while it prints a batch: its stdout, a
// pipe the test does not drain, fills before the batch is out, so it never
// acknowledges it. Embedded, the store reopens with the batch unacknowledged;
// through evlogd, the consumer's session ends and detaches it. Either way
// the next consumer prints every event.
TEST_P(CliSubscription, AKilledConsumersUnacknowledgedBatchGoesToTheNextConsumer) {
  constexpr int kEvents = 40;
  std::string input;
  const std::string data(8000, 'x');  // 40 events of 8 KB: more than a pipe holds
  for (int i = 0; i < kEvents; ++i) {
    input += R"({"type":"T","data":")" + data + "\"}\n";
  }
  ASSERT_EQ(Evlog({"append", "big-1", "--each"}, input).exit_code, 0);
  ASSERT_EQ(Evlog({"subscription", "create", "billing"}).exit_code, 0);

  auto killed = testutil::CliProcess::Start(
      ArgvWithDb({"consume", "billing", "--batch", std::to_string(kEvents)}));
  ASSERT_NE(killed, nullptr);
  // Its first line: it holds the batch and is blocked printing the rest.
  ASSERT_TRUE(killed->ReadLine(std::chrono::seconds(30)).has_value());
  killed.reset();  // SIGKILL, reaped

  // Through evlogd the session's end may lag the kill a little: --follow
  // waits for the batch to come back rather than stop at once.
  auto next = testutil::CliProcess::Start(
      ArgvWithDb({"consume", "billing", "--follow", "--count", std::to_string(kEvents)}));
  ASSERT_NE(next, nullptr);
  std::set<int> positions;
  for (int i = 0; i < kEvents; ++i) {
    auto line = next->ReadLine(std::chrono::seconds(30));
    ASSERT_TRUE(line.has_value()) << "after " << i << " events";
    positions.insert(nlohmann::ordered_json::parse(*line)["position"].get<int>());
  }
  const testutil::CliOutcome rest = next->Finish();
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(positions.size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(*positions.begin(), 1);
  EXPECT_EQ(*positions.rbegin(), kEvents);
}

}  // namespace
}  // namespace evlog
