// `evlog --connect HOST:PORT`: its own flags and exit codes, and one script
// of verbs run in both forms whose outputs must be identical.

#include <gtest/gtest.h>

#include <fstream>

#include "both_forms.h"
#include "cli_fixture.h"

#ifdef EVLOGD_PATH

namespace evlog {
namespace {

using Json = nlohmann::ordered_json;
using testutil::CliOutcome;

class CliConnect : public CliTest {
 protected:
  void TearDown() override {
    if (daemon_ != nullptr) daemon_->KillAndWait(SIGTERM);
  }

  // Starts evlogd on `db` with `flags`; returns HOST:PORT.
  std::string StartDaemon(const std::string& db, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> argv = {EVLOGD_PATH, "--db", db, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    daemon_ = testutil::ChildProcess::Start(argv);
    if (daemon_ == nullptr) return "";
    char line[256];
    if (fgets(line, sizeof(line), daemon_->out()) == nullptr) return "";
    const std::string text(line);
    return text.substr(20, text.find_last_not_of("\r\n") - 19);
  }

  std::unique_ptr<testutil::ChildProcess> daemon_;
};

TEST_F(CliConnect, FlagsThatDoNotGoTogetherAreUsageErrors) {
  ExpectError(EvlogWithoutDb({"--db", db(), "--connect", "127.0.0.1:7411", "stats"}), 2, "usage");
  ExpectError(EvlogWithoutDb({"--db", db(), "--token-file", "/dev/null", "stats"}), 2, "usage");
  for (const std::string bad :
       {"localhost", "127.0.0.1:", ":7411", "127.0.0.1:http", "127.0.0.1:0", "127.0.0.1:70000",
        // An IPv6 address goes in brackets: "::1" is not host ":" port 1.
        "::1", "::1:7411"}) {
    SCOPED_TRACE(bad);
    ExpectError(EvlogWithoutDb({"--connect", bad, "stats"}), 2, "usage");
  }
  const std::string empty = dir_.Sub("empty-token");
  std::ofstream(empty) << "\n";
  ExpectError(EvlogWithoutDb({"--connect", "127.0.0.1:7411", "--token-file", empty, "stats"}), 2,
              "usage");
  ExpectError(EvlogWithoutDb({"--connect", "127.0.0.1:7411", "--token-file",
                              dir_.Sub("missing-token"), "stats"}),
              2, "usage");
}

TEST_F(CliConnect, AnUnreachableDaemonExitsSeven) {
  // Take a free port, then close it: nobody listens there.
  const std::string address = StartDaemon(db());
  ASSERT_FALSE(address.empty());
  daemon_->KillAndWait(SIGTERM);
  daemon_.reset();
  CliOutcome r = EvlogWithoutDb({"--connect", address, "stats"});
  ExpectError(r, 7, "io_error");
}

TEST_F(CliConnect, VerifyThroughTheDaemonPrintsWhatTheEmbeddedFormPrints) {
  const std::string address = StartDaemon(db());
  ASSERT_FALSE(address.empty());
  for (const char* stream : {"order-1", "order-1", "cart-1"}) {
    CliOutcome a =
        EvlogWithoutDb({"--connect", address, "append", stream, "--type", "A", "--data", "1"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
  }
  CliOutcome remote = EvlogWithoutDb({"--connect", address, "verify"});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_EQ(Json::parse(remote.out)["ok"], true);
  EXPECT_EQ(Json::parse(remote.out)["events"], 3);
  daemon_->KillAndWait(SIGTERM);
  daemon_.reset();
  CliOutcome embedded = Evlog({"verify"});
  ASSERT_EQ(embedded.exit_code, 0) << embedded.err;
  EXPECT_EQ(remote.out, embedded.out);
}

TEST_F(CliConnect, TheTokenFileAuthenticates) {
  const std::string token = dir_.Sub("token");
  std::ofstream(token) << "s3cret\n";
  const std::string wrong = dir_.Sub("wrong");
  std::ofstream(wrong) << "guess";
  const std::string address = StartDaemon(db(), {"--token-file", token});
  ASSERT_FALSE(address.empty());
  CliOutcome ok = EvlogWithoutDb({"--connect", address, "--token-file", token, "stats"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(Json::parse(ok.out)["events"], 0);
    ExpectError(EvlogWithoutDb({"--connect", address, "--token-file", wrong, "stats"}), 7,
              "unauthenticated");
  ExpectError(EvlogWithoutDb({"--connect", address, "stats"}), 7, "unauthenticated");
}

TEST_F(CliConnect, TheSameScriptPrintsTheSameInBothForms) {
  // What differs between two runs of the same script by nature: commit
  // times, random event ids, store sizes (and metrics, see Normalized).
  const auto kMasked = {"time", "id", "disk_bytes"};
  const std::vector<std::pair<std::vector<std::string>, std::string>> script = {
      {{"append", "product-1", "--type", "Created", "--data", R"({"name":"w"})", "--id",
        "5b4fa1a2-7c2e-4e0b-9d38-0e1f2a3b4c5d"},
       ""},
      {{"append", "product-1", "--expect", "1"},
       "{\"type\":\"Restocked\",\"data\":{\"q\":5},\"metadata\":{\"by\":\"x\"}}\n"
       "{\"type\":\"Reserved\",\"data\":{\"q\":1}}\n"},
      {{"append", "order-1", "--each", "--durability", "buffered"},
       "{\"type\":\"Placed\",\"data\":1}\n{\"type\":\"Paid\",\"data\":2}\n"},
      {{"append", "product-1", "--type", "Created", "--data", R"({"name":"w"})", "--id",
        "5b4fa1a2-7c2e-4e0b-9d38-0e1f2a3b4c5d"},
       ""},
      {{"append", "product-1", "--type", "T", "--data", "1", "--expect", "no-stream"}, ""},
      {{"append", "product-2", "--type", "T", "--data", "{oops"}, ""},
      {{"append", "$all", "--type", "T", "--data", "1"}, ""},
      {{"read", "product-1"}, ""},
      {{"read", "product-1", "--backward", "--count", "2"}, ""},
      {{"read", "product-1", "--from", "2", "--count", "0"}, ""},
      {{"read", "nope-1"}, ""},
      {{"read-all"}, ""},
      {{"read-all", "--from", "2", "--count", "3"}, ""},
      {{"read-all", "--type", "Paid"}, ""},
      {{"read-all", "--category", "order"}, ""},
      {{"streams"}, ""},
      {{"streams", "--category", "product"}, ""},
      {{"stats"}, ""},
      {{"tail"}, ""},
      {{"tail", "--from", "3", "--category", "product", "--type", "Reserved"}, ""},
      {{"tail", "--from", "latest"}, ""},
      // Hosted subscriptions: the daemon hosts them through --connect.
      {{"subscription", "create", "billing", "--category", "order"}, ""},
      {{"subscription", "create", "billing", "--category", "order"}, ""},
      {{"subscription", "create", "billing", "--category", "product"}, ""},
      {{"subscription", "create", "late", "--from", "latest", "--max-attempts", "2"}, ""},
      {{"consume", "billing", "--count", "1"}, ""},
      {{"subscriptions"}, ""},
      {{"views"}, ""},
      {{"consume", "billing", "--batch", "1"}, ""},
      {{"consume", "billing"}, ""},
      {{"consume", "nobody"}, ""},
      {{"subscription", "delete", "billing"}, ""},
      {{"subscription", "delete", "billing"}, ""},
      {{"consume", "billing"}, ""},
      {{"subscriptions"}, ""},
      {{"read", "product-1", "--sideways"}, ""},
  };
  const std::string embedded_db = dir_.Sub("embedded");
  const std::string address = StartDaemon(dir_.Sub("remote"));
  ASSERT_FALSE(address.empty());
  for (const auto& [args, input] : script) {
    std::vector<std::string> embedded = {"--db", embedded_db};
    std::vector<std::string> remote = {"--connect", address};
    embedded.insert(embedded.end(), args.begin(), args.end());
    remote.insert(remote.end(), args.begin(), args.end());
    ExpectSameInBothForms(args, EvlogWithoutDb(embedded, input), EvlogWithoutDb(remote, input),
                          kMasked);
  }
}

}  // namespace
}  // namespace evlog

#endif  // EVLOGD_PATH
