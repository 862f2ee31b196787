// evlog::Client reconnecting to a restarted evlogd and retrying what was
// unanswered, with the same event ids.

#include <signal.h>
#include <sys/wait.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "client.h"
#include "evlog/store.h"
#include "integration/daemon_fixture.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog::testutil {
namespace {

TEST(Reconnect, AppendsRetriedAcrossADaemonCrashAreAppliedExactlyOnce) {
  TempDir dir;
  const std::string db = dir.Sub("store");
  uint16_t port = 0;
  std::unique_ptr<ChildProcess> daemon = StartEvlogd(db, "127.0.0.1:0", port);
  ASSERT_NE(daemon, nullptr);
  Result<std::unique_ptr<Client>> c =
      Client::Connect({.port = port, .reconnect_for = std::chrono::seconds(20)});
  ASSERT_TRUE(c.ok()) << c.status().ToString();

  constexpr int kAppends = 4000;
  std::mutex mu;
  std::condition_variable cv;
  int ok = 0, deduplicated = 0;
  std::vector<std::string> failures;
  std::set<uint64_t> positions;
  for (int i = 0; i < kAppends; ++i) {
    AppendRequest r;
    r.streams.push_back(
        StreamAppend{"retry-" + std::to_string(i % 8), ExpectedVersion::Any(), {Ev("T")}});
    r.durability = Durability::kBuffered;  // survives a process crash
    (*c)->AppendAsync(std::move(r), [&](Result<AppendResult> result) {
      std::lock_guard lock(mu);
      if (result.ok()) {
        ++ok;
        if (result->deduplicated) ++deduplicated;
        positions.insert(result->streams[0].first_position.value());
      } else {
        failures.push_back(result.status().ToString());
      }
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return ok >= 500; }));
  }
  daemon->KillAndWait(SIGKILL);
  uint16_t same_port = 0;
  daemon = StartEvlogd(db, "127.0.0.1:" + std::to_string(port), same_port);
  ASSERT_NE(daemon, nullptr);
  ASSERT_EQ(same_port, port);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20),
                            [&] { return ok + static_cast<int>(failures.size()) == kAppends; }));
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  EXPECT_EQ(ok, kAppends);
  EXPECT_EQ(positions.size(), static_cast<size_t>(kAppends)) << "two appends got one position";
  c->reset();
  const int status = daemon->KillAndWait(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  Result<std::unique_ptr<Store>> store = Store::Open(Options{.create_if_missing = false}, db);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::set<Uuid> ids;
  uint64_t stored = 0;
  for (auto it = (*store)->ReadAll(); it->Valid(); it->Next()) {
    ++stored;
    ids.insert(it->event().id);
    EXPECT_EQ(positions.count(it->event().position.value()), 1u);
  }
  EXPECT_EQ(stored, static_cast<uint64_t>(kAppends)) << "lost or doubled appends";
  EXPECT_EQ(ids.size(), static_cast<size_t>(kAppends));
  std::printf("%d appends, %d answered as deduplicated after the crash\n", kAppends, deduplicated);
}

TEST(Reconnect, WithoutReconnectALostDaemonFailsPendingCallsWithIOError) {
  TempDir dir;
  uint16_t port = 0;
  std::unique_ptr<ChildProcess> daemon = StartEvlogd(dir.Sub("store"), "127.0.0.1:0", port);
  ASSERT_NE(daemon, nullptr);
  Result<std::unique_ptr<Client>> c = Client::Connect({.port = port});
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Stats().ok());
  daemon->KillAndWait(SIGKILL);
  const Status s = (*c)->Stats().status();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE((*c)->connected());
}

}  // namespace
}  // namespace evlog::testutil
