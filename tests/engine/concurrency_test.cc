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

TEST_F(Concurrency, SyncAndAsyncAppendersReportWhatWasStored) {
  // Four threads append synchronously, four pipeline asynchronous appends;
  // every acknowledged result must name the stream, version and position the
  // log holds.
  constexpr int kThreads = 8, kAppends = 200;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<StreamAppendResult> acked;
  int failed = 0;
  auto record = [&](const Result<AppendResult>& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (r.ok()) {
      acked.push_back(r->streams[0]);
    } else {
      ++failed;
    }
    cv.notify_all();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        AppendRequest request;
        const int events = 1 + (i % 3);
        request.streams.push_back({"mix-" + std::to_string((t + i) % 5), ExpectedVersion::Any(),
                                   std::vector<EventData>(events, Ev("T"))});
        request.durability = Durability::kBuffered;
        if (t % 2 == 0) {
          record(store_->Append(std::move(request)));
        } else {
          store_->AppendAsync(std::move(request), record);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return acked.size() + failed == size_t{kThreads} * kAppends; });
  }
  ASSERT_EQ(failed, 0);

  std::vector<OwnedEvent> all = ReadAll();
  ASSERT_EQ(store_->LastPosition(), Position(all.size()));
  std::vector<int> claimed(all.size() + 1, 0);
  for (const StreamAppendResult& r : acked) {
    ASSERT_GE(r.first_position.value(), 1u);
    ASSERT_LE(r.last_position.value(), all.size());
    ASSERT_EQ(r.last_position.value() - r.first_position.value(),
              r.last_version.value() - r.first_version.value());
    for (uint64_t p = r.first_position.value(); p <= r.last_position.value(); ++p) {
      const OwnedEvent& e = all[p - 1];
      ASSERT_EQ(e.position.value(), p);
      ASSERT_EQ(e.stream, r.stream);
      ASSERT_EQ(e.version.value(), r.first_version.value() + (p - r.first_position.value()));
      ++claimed[p];
    }
  }
  for (size_t p = 1; p < claimed.size(); ++p) ASSERT_EQ(claimed[p], 1) << "position " << p;
}

TEST_F(Concurrency, ReadersNeverSeeAGap) {
  // While writers append, every snapshot a reader takes is a prefix 1..k of
  // the log, and LastPosition never runs ahead of what reads can see.
  constexpr int kWriters = 3, kAppends = 300;
  std::atomic<int> writers_done{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        auto r = store_->Append("w-" + std::to_string(t), ExpectedVersion::Any(),
                                {Ev("T"), Ev("T")}, Durability::kBuffered);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
      }
      ++writers_done;
    });
  }
  // No ASSERT while the writers run: returning early would destroy joinable
  // threads.
  int snapshots = 0;
  bool last_round = false, gap = false;
  while (!last_round && !gap) {
    last_round = writers_done.load() == kWriters;
    const Position announced = store_->LastPosition();
    auto it = store_->ReadAll().value();
    uint64_t expected = 1;
    for (; it->Valid() && !gap; it->Next(), ++expected) {
      gap = it->event().position.value() != expected;
      EXPECT_FALSE(gap) << "snapshot " << snapshots << " has position "
                        << it->event().position.value() << " where " << expected << " belongs";
    }
    EXPECT_OK(it->status());
    if (!gap) {
      gap = expected - 1 < announced.value();
      EXPECT_FALSE(gap) << "snapshot " << snapshots << " ends at " << expected - 1
                        << " but LastPosition() said " << announced.value();
    }
    ++snapshots;
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(store_->LastPosition(), Position(uint64_t{kWriters} * kAppends * 2));
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
