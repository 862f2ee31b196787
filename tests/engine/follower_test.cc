// Follower: a read-only store in this process follows writers in other
// processes, and its change feed delivers every commit exactly once and in
// order however the writers come and go: a process per append (whose close
// flushes and deletes its WAL, and whose open writes a new MANIFEST), and
// writers killed with SIGKILL once their append is acknowledged (#21).

#include <rocksdb/file_system.h>
#include <signal.h>
#include <sys/wait.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "db.h"
#include "evlog/change_feed.h"
#include "testutil/child_process.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog {
namespace {

using std::chrono::seconds;

// A file system whose next listing of one directory, once armed, waits
// until it is released: it holds a read-only store's catch-up between its
// reading of the writer's MANIFEST and its listing of the writer's WAL files,
// while writers in other processes come and go.
class PausedListingFs : public rocksdb::FileSystemWrapper {
 public:
  PausedListingFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  static const char* kClassName() { return "evlog.PausedListingFs"; }
  const char* Name() const override { return kClassName(); }

  void Arm(const std::string& dir) {
    std::lock_guard<std::mutex> lock(mu_);
    dir_ = dir;
    state_ = State::kArmed;
  }
  // Waits until an armed listing has begun and is waiting.
  void WaitPaused() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return state_ == State::kPaused; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = State::kReleased;
    cv_.notify_all();
  }

  rocksdb::IOStatus GetChildren(const std::string& dir, const rocksdb::IOOptions& options,
                                std::vector<std::string>* result,
                                rocksdb::IODebugContext* dbg) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (state_ == State::kArmed && dir == dir_) {
        state_ = State::kPaused;
        cv_.notify_all();
        cv_.wait(lock, [&] { return state_ == State::kReleased; });
      }
    }
    return FileSystemWrapper::GetChildren(dir, options, result, dbg);
  }

 private:
  enum class State { kIdle, kArmed, kPaused, kReleased };
  std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kIdle;
  std::string dir_;
};

class FollowerTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.Sub("store"); }

  // Runs a writer process that opens the store, appends one event to
  // "child-1" and then closes the store and exits, or — `kill` — is killed
  // with SIGKILL once it has acknowledged the append.
  void WriteOneInAnotherProcess(bool kill) {
    std::vector<std::string> argv = {STORE_WRITER_CHILD, path(), "1"};
    if (!kill) argv.push_back("close");
    auto child = testutil::ChildProcess::Start(argv);
    ASSERT_NE(child, nullptr);
    char line[64] = {};
    ASSERT_NE(std::fgets(line, sizeof(line), child->out()), nullptr) << "writer ended early";
    ASSERT_EQ(std::string(line), "ready 1\n");
    if (kill) {
      int status = child->KillAndWait(SIGKILL);
      ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with " << status;
    } else {
      int status = child->Wait();
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer failed: " << status;
    }
  }

  // Opens a read-only follower of the store (on `fs` if given) and its feed
  // from the latest event, at position 1 (one writer came and went).
  void FollowFromLatest(std::shared_ptr<rocksdb::FileSystem> fs = nullptr) {
    if (fs != nullptr) SetFileSystemForTesting(fs);
    auto follower = Store::Open(Options{.read_only = true}, path());
    if (fs != nullptr) SetFileSystemForTesting(nullptr);
    ASSERT_OK(follower.status());
    follower_ = std::move(follower).value();
    auto feed = follower_->OpenFeed({.start = FeedStart::Latest()});
    ASSERT_OK(feed.status());
    feed_ = std::move(feed).value();
    ASSERT_EQ(feed_->position(), Position(1));
  }

  // Takes the feed's events into `seen` while writers come and go, up to
  // position `last`; stops early on an error, or when nothing arrives for a
  // long while (a missed commit never arrives).
  Status Collect(uint64_t last, std::vector<OwnedEvent>* seen) {
    while (feed_->position().value() < last) {
      FeedBatch batch;
      const Position before = feed_->position();
      if (Status s = feed_->Next(std::chrono::seconds(20), &batch); !s.ok()) return s;
      if (batch.events.empty() && batch.position == before) return Status::OK();
      for (OwnedEvent& e : batch.events) seen->push_back(std::move(e));
    }
    return Status::OK();
  }

  testutil::TempDir dir_;
  std::unique_ptr<Store> follower_;
  std::unique_ptr<ChangeFeed> feed_;
};

using Follower = FollowerTest;

TEST_F(Follower, SeesEveryCommitOfWritersThatComeAndGo) {
  constexpr uint64_t kRounds = 24;
  WriteOneInAnotherProcess(/*kill=*/false);
  ASSERT_NO_FATAL_FAILURE(FollowFromLatest());

  std::vector<OwnedEvent> seen;
  Status error;
  std::thread follow([&] { error = Collect(1 + kRounds, &seen); });
  for (uint64_t round = 0; round < kRounds; ++round) {
    WriteOneInAnotherProcess(/*kill=*/round % 4 == 3);
    if (HasFatalFailure()) break;
  }
  follow.join();
  ASSERT_OK(error);
  ASSERT_EQ(seen.size(), kRounds) << "the feed stopped at " << feed_->position().value();
  for (uint64_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].position, Position(i + 2));
    EXPECT_EQ(seen[i].version, Version(i + 2));
  }
}

// The race behind #21, made certain: the follower's catch-up reads the
// MANIFEST, then two writers come and go before it lists the WAL files: the
// first one's WAL is flushed and deleted at its close, the second one's
// (killed) is there. Replaying it alone showed the store's head (the
// second event) with the first event missing below it: the feed delivered
// the second and skipped the first for good.
TEST_F(Follower, SeesACommitWhoseWalWasDeletedWhileItCaughtUp) {
  WriteOneInAnotherProcess(/*kill=*/false);
  auto fs = std::make_shared<PausedListingFs>();
  ASSERT_NO_FATAL_FAILURE(FollowFromLatest(fs));

  fs->Arm(path());
  std::vector<OwnedEvent> seen;
  Status error;
  std::thread follow([&] { error = Collect(3, &seen); });
  fs->WaitPaused();
  WriteOneInAnotherProcess(/*kill=*/false);
  WriteOneInAnotherProcess(/*kill=*/true);
  fs->Release();
  follow.join();
  ASSERT_OK(error);
  ASSERT_EQ(seen.size(), 2u) << "the feed stopped at " << feed_->position().value();
  EXPECT_EQ(seen[0].position, Position(2));
  EXPECT_EQ(seen[1].position, Position(3));
}

// RocksDB 7.8's secondary instance keeps what it replayed from a WAL in its
// memtable after the writer flushed and deleted that WAL, and a point read
// finds the memtable's value first: once a writer killed after its append
// (its WAL replayed here) is followed by a writer process that opens (its
// recovery flushes the killed one's WAL), appends and closes, with no WAL
// left to replay, the counter of the last position reads as the killed
// writer's for good. The feed stopped there (#21: "the counter stays at 11
// through the next two writers").
TEST_F(Follower, SeesACommitFlushedAfterItReplayedTheWriterBeforeIt) {
  WriteOneInAnotherProcess(/*kill=*/false);
  ASSERT_NO_FATAL_FAILURE(FollowFromLatest());

  WriteOneInAnotherProcess(/*kill=*/true);
  FeedBatch batch;
  ASSERT_OK(feed_->Next(seconds(5), &batch));
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].position, Position(2));

  WriteOneInAnotherProcess(/*kill=*/false);
  batch = FeedBatch();
  ASSERT_OK(feed_->Next(seconds(5), &batch));
  ASSERT_EQ(batch.events.size(), 1u) << "the feed stopped at " << feed_->position().value();
  EXPECT_EQ(batch.events[0].position, Position(3));
}

}  // namespace
}  // namespace evlog
