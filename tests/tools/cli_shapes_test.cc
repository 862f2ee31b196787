// The shapes test of issue #17: every verb that prints, run in the embedded
// form (`--db`) and then in the remote form (`--connect` to an evlogd on the
// same store), prints the same lines, the same errors and exits with the
// same code. The store holds what makes forms disagree if anything does:
// stream metadata, a truncated and compacted stream, a soft delete, system
// streams, tags, a consumer checkpoint and a parked event.

#include <gtest/gtest.h>


#include "both_forms.h"
#include "cli_fixture.h"

#ifdef EVLOGD_PATH

namespace evlog {
namespace {

using testutil::CliOutcome;

// The fixture's daemon runs only when a test starts it: the test is the
// remote form's (one instance), and runs the embedded form first.
class CliShapes : public CliFormTest {
 protected:
  void SetUp() override {}
};
INSTANTIATE_TEST_SUITE_P(BothForms, CliShapes, ::testing::Values(CliForm::kRemote), CliFormName);

TEST_P(CliShapes, EveryVerbThatPrintsPrintsTheSameInBothForms) {
  // One store, two processes serving it: only its size on disk differs by
  // nature (the daemon's open store has a WAL and LOG the read-only CLI open
  // does not), and the metrics (see Normalized).
  const auto kMasked = {"disk_bytes"};
  auto append = [&](const std::string& stream, const std::string& type,
                    std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"append", stream, "--type", type, "--data", R"({"n":1})"};
    args.insert(args.end(), more.begin(), more.end());
    CliOutcome r = Evlog(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  // A rule set before the stream's first event, and then its events.
  ASSERT_EQ(Evlog({"metadata", "counted-1", "--max-count", "2"}).exit_code, 0);
  for (int i = 0; i < 3; ++i) append("counted-1", "Counted");
  for (int i = 0; i < 4; ++i) append("product-1", i == 0 ? "Created" : "Restocked", {"--tag", "p1"});
  append("order-1", "Placed", {"--metadata", R"({"by":"x"})"});
  append("order-2", "Placed");
  ASSERT_EQ(Evlog({"metadata", "product-1", "--truncate-before", "3"}).exit_code, 0);
  ASSERT_EQ(Evlog({"delete", "order-2"}).exit_code, 0);
  ASSERT_EQ(Evlog({"compact"}).exit_code, 0);
  ASSERT_EQ(Evlog({"checkpoint", "set", "mailer", "4"}).exit_code, 0);
  ParkOneEventOfBilling();  // appends order-1's second event, starts evlogd
  StopDaemon();
  ASSERT_TRUE(connect_.empty());

  const std::vector<std::vector<std::string>> verbs = {
      {"stats"},
      {"verify"},
      {"streams"},
      {"streams", "--system"},
      {"streams", "--category", "product"},
      {"read", "product-1"},
      {"read", "product-1", "--backward", "--count", "1"},
      {"read", "counted-1"},
      {"read", "order-2"},
      {"read", "nope-1"},
      {"read", "$meta-product-1"},
      {"read-all"},
      {"read-all", "--system"},
      {"read-all", "--from", "4", "--count", "3"},
      {"read-all", "--category", "product"},
      {"read-all", "--type", "Placed"},
      {"tail"},
      {"tail", "--system"},
      {"tail", "--from", "5", "--category", "order", "--type", "P"},
      {"tail", "--from", "latest"},
      {"query", "--tag", "p1"},
      {"query", "--type", "Placed", "--backward", "--count", "1"},
      {"subscriptions"},
      {"parked", "billing"},
      {"parked", "nobody"},
      {"checkpoint", "get", "mailer"},
      {"checkpoint", "get", "nobody"},
      {"checkpoint", "get", "a/b"},
      {"metadata", "product-1"},
      {"metadata", "counted-1"},
      {"metadata", "order-2"},
      {"metadata", "nope-1"},
      {"snapshot", "product-1"},
      {"view", "stock", "get", "k"},
      {"view", "stock", "scan", ""},
  };
  std::vector<CliOutcome> embedded;
  for (const auto& args : verbs) embedded.push_back(Evlog(args));
  StartDaemon();
  ASSERT_FALSE(connect_.empty());
  for (size_t i = 0; i < verbs.size(); ++i) {
    ExpectSameInBothForms(verbs[i], embedded[i], Evlog(verbs[i]), kMasked);
  }
}

}  // namespace
}  // namespace evlog

#endif  // EVLOGD_PATH
