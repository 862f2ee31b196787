// evlogd as a child process: SIGTERM while appends are in flight.

#include <signal.h>
#include <sys/wait.h>

#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>

#include "client.h"
#include "evlog/store.h"
#include "integration/daemon_fixture.h"
#include "testutil/child_process.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog::testutil {
namespace {

using Drain = EvlogdProcessTest;

TEST_F(Drain, SigtermFinishesInFlightAppendsExitsZeroAndLosesNoAcknowledgedAppend) {
  const std::string db = store();
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  Result<std::unique_ptr<Client>> c = ConnectToDaemon();
  ASSERT_TRUE(c.ok()) << c.status().ToString();

  constexpr int kAppends = 4000;
  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, std::pair<std::string, uint64_t>> acked;  // position -> (stream, version)
  int answered = 0, refused = 0;
  for (int i = 0; i < kAppends; ++i) {
    AppendRequest r;
    r.streams.push_back(
        StreamAppend{"drain-" + std::to_string(i % 16), ExpectedVersion::Any(), {Ev("T")}});
    r.durability = i % 2 == 0 ? Durability::kSync : Durability::kBuffered;
    (*c)->AppendAsync(std::move(r), [&](Result<AppendResult> result) {
      std::lock_guard lock(mu);
      ++answered;
      if (result.ok()) {
        const StreamAppendResult& s = result->streams[0];
        acked[s.first_position.value()] = {s.stream, s.first_version.value()};
      } else {
        ++refused;
      }
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return acked.size() >= 500; }));
  }
  const int status = daemon_->KillAndWait(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << "evlogd did not exit by itself: " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return answered == kAppends; }));
  }
  c->reset();

  Result<std::unique_ptr<Store>> store = Store::Open(Options{.create_if_missing = false}, db);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::map<uint64_t, std::pair<std::string, uint64_t>> stored;
  for (auto it = (*store)->ReadAll().value(); it->Valid(); it->Next()) {
    const RecordedEvent& e = it->event();
    stored[e.position.value()] = {std::string(e.stream), e.version.value()};
  }
  for (const auto& [position, where] : acked) {
    auto found = stored.find(position);
    ASSERT_NE(found, stored.end()) << "acknowledged position " << position << " was lost";
    EXPECT_EQ(found->second, where);
  }
  // Finishing in-flight requests means every append evlogd took was answered
  // and the answer reached the client before the session closed.
  EXPECT_EQ(stored.size(), acked.size()) << "committed appends whose answer was lost";
  std::printf("acknowledged %zu, refused or cut off %d, stored %zu\n", acked.size(), refused,
              stored.size());
}

}  // namespace
}  // namespace evlog::testutil
