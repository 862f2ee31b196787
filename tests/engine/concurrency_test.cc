// Concurrency: gapless positions and contiguous versions under concurrent
// appenders, and pipelined asynchronous appends.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using Concurrency = testutil::StoreTest;

TEST_F(Concurrency, EightThreadsGetGaplessPositionsAndContiguousVersions) {
  constexpr int kThreads = 8, kAppends = 250;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string own = "own-" + std::to_string(t);
      for (int i = 0; i < kAppends; ++i) {
        // Half the appends go to two shared streams with exact versions,
        // retried on conflict: the optimistic-concurrency loop.
        if (i % 2 == 0) {
          std::string shared = "shared-" + std::to_string(i % 4 / 2);
          for (;;) {
            auto v = store_->StreamVersion(shared);
            ASSERT_TRUE(v.ok());
            auto r = store_->Append(shared, ExpectedVersion::Exact(*v), {Ev("S")},
                                    Durability::kBuffered);
            if (r.ok()) break;
            ASSERT_TRUE(r.status().IsWrongExpectedVersion()) << r.status().ToString();
            ++conflicts;
          }
        } else {
          auto r = store_->Append(own, ExpectedVersion::Any(), {Ev("O"), Ev("O")},
                                  Durability::kBuffered);
          ASSERT_TRUE(r.ok()) << r.status().ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  const uint64_t expected_events = kThreads * (kAppends / 2) * 3;
  std::vector<OwnedEvent> all = ReadAll();
  ASSERT_EQ(all.size(), expected_events);
  std::map<std::string, uint64_t> last_version;
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].position.value(), i + 1);
    ASSERT_EQ(all[i].version.value(), last_version[all[i].stream] + 1) << all[i].stream;
    last_version[all[i].stream] = all[i].version.value();
  }
  EXPECT_EQ(last_version["shared-0"] + last_version["shared-1"], kThreads * (kAppends / 2u));
  EXPECT_EQ(store_->LastPosition(), Position(expected_events));
}

TEST_F(Concurrency, PipelinedAsyncAppendsCompleteInQueueOrder) {
  constexpr int kAppends = 5000;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> positions;
  for (int i = 0; i < kAppends; ++i) {
    AppendRequest request;
    request.streams.push_back(
        {"s-" + std::to_string(i % 10), ExpectedVersion::Exact(Version(i / 10)), {Ev("T")}});
    request.durability = Durability::kBuffered;
    store_->AppendAsync(std::move(request), [&](Result<AppendResult> r) {
      std::lock_guard<std::mutex> lock(mu);
      positions.push_back(r.ok() ? r->streams[0].first_position.value() : 0);
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return positions.size() == kAppends; });
  for (int i = 0; i < kAppends; ++i) ASSERT_EQ(positions[i], static_cast<uint64_t>(i + 1));
}

TEST_F(Concurrency, DurableAppendsFromManyThreadsShareSyncs) {
  constexpr int kThreads = 16, kAppends = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        auto r = store_->Append("d-" + std::to_string(t), ExpectedVersion::Exact(Version(i)),
                                {Ev("T")}, Durability::kSync);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  Reopen();
  EXPECT_EQ(ReadAll().size(), static_cast<size_t>(kThreads * kAppends));
}

TEST_F(Concurrency, ClosingCompletesQueuedAppends) {
  std::atomic<int> ok{0};
  for (int i = 0; i < 1000; ++i) {
    AppendRequest request;
    request.streams.push_back({"s-1", ExpectedVersion::Any(), {Ev("T")}});
    request.durability = Durability::kBuffered;
    store_->AppendAsync(std::move(request), [&](Result<AppendResult> r) {
      if (r.ok()) ++ok;
    });
  }
  store_.reset();
  EXPECT_EQ(ok.load(), 1000);
  Reopen();
  EXPECT_EQ(store_->LastPosition(), Position(1000));
}

}  // namespace
}  // namespace evlog
