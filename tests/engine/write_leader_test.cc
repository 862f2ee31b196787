// WriteLeader: synchronous appends commit on the callers' threads, one caller
// leading each group (engine/writer.h); asynchronous appends queued among them
// keep their order, and nothing queued is lost or written twice.

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using WriteLeader = testutil::StoreTest;

AppendRequest OneEvent(const std::string& stream, ExpectedVersion expected) {
  AppendRequest request;
  request.streams.push_back({stream, expected, {Ev("T")}});
  request.durability = Durability::kBuffered;
  return request;
}

TEST_F(WriteLeader, ASyncAppendQueuedBehindGroupsOfOneLandsAfterEverythingQueuedBeforeIt) {
  // Groups of one append: a caller that leads behind a long queue commits
  // group after group until its own append is done.
  Options options;
  options.max_group_bytes = 1;
  Reopen(options);
  constexpr int kAsync = 2000;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  for (int i = 0; i < kAsync; ++i) {
    store_->AppendAsync(OneEvent("queued", ExpectedVersion::Exact(Version(i))),
                        [&](Result<AppendResult> r) {
                          EXPECT_TRUE(r.ok()) << r.status().ToString();
                          std::lock_guard<std::mutex> lock(mu);
                          ++done;
                          cv.notify_all();
                        });
  }
  auto r = store_->Append(OneEvent("sync", ExpectedVersion::NoStream()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == kAsync; });
  }
  // Every asynchronous append was queued before the synchronous one.
  EXPECT_EQ(r->streams[0].first_position, Position(kAsync + 1));
  EXPECT_EQ(store_->LastPosition(), Position(kAsync + 1));
}

TEST_F(WriteLeader, AsyncCallbacksKeepQueueOrderWhileSyncCallersLead) {
  constexpr int kAsync = 3000, kSyncThreads = 3, kSync = 300;
  std::vector<uint64_t> positions;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::thread> threads;
  for (int t = 0; t < kSyncThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSync; ++i) {
        auto r = store_->Append(OneEvent("sync-" + std::to_string(t),
                                         ExpectedVersion::Exact(Version(i))));
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
    });
  }
  for (int i = 0; i < kAsync; ++i) {
    store_->AppendAsync(OneEvent("async", ExpectedVersion::Exact(Version(i))),
                        [&](Result<AppendResult> r) {
                          std::lock_guard<std::mutex> lock(mu);
                          positions.push_back(r.ok() ? r->streams[0].first_position.value() : 0);
                          cv.notify_all();
                        });
  }
  for (auto& t : threads) t.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return positions.size() == kAsync; });
  }
  for (size_t i = 0; i < positions.size(); ++i) {
    ASSERT_NE(positions[i], 0u) << "async append " << i << " failed";
    if (i > 0) {
      ASSERT_GT(positions[i], positions[i - 1]) << "callback " << i << " out of order";
    }
  }
  EXPECT_EQ(store_->LastPosition(), Position(kAsync + kSyncThreads * kSync));
}

}  // namespace
}  // namespace evlog
