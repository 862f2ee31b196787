// Options::low_priority_background: RocksDB's flush and compaction threads
// run at nice 19 once they have worked for a store opened with it; without
// it they keep the process's own priority. The setting is process-wide and
// cannot be undone, so each case runs in a child of its own (EXPECT_EXIT,
// re-executed: RocksDB's thread pools do not survive a plain fork).

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog::testutil {
namespace {

struct ThreadNice {
  std::string name;
  int nice = 0;
};

// RocksDB's background threads of this process ("rocksdb:low",
// "rocksdb:high", ...) and their nice values, from /proc.
std::vector<ThreadNice> RocksDbThreads() {
  std::vector<ThreadNice> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (!name.starts_with("rocksdb:")) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    // Fields after the name, which ends at the last ')': state is field 3,
    // nice field 19.
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i < 19; ++i) rest >> field;
    ThreadNice t{.name = name};
    rest >> t.nice;
    out.push_back(t);
  }
  return out;
}

// In the child: opens a store with `low`, makes both pools work (Compact
// flushes on the high-priority pool and compacts on the low one), then
// checks every RocksDB thread's nice value. Exits 0 when they are as
// expected, with a code naming the failed step otherwise.
void OpenWorkAndCheck(const std::string& dir, bool low) {
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, 0);
  if (errno != 0) _exit(2);
  {
    auto store = Store::Open(Options{.low_priority_background = low}, dir + "/store");
    if (!store.ok()) _exit(3);
    for (int i = 0; i < 100; ++i) {
      if (!(*store)->Append("item-" + std::to_string(i % 10), ExpectedVersion::Any(),
                            {Ev("Added", "{}")})
               .ok()) {
        _exit(4);
      }
    }
    if (!(*store)->Compact().ok()) _exit(5);
    const std::vector<ThreadNice> threads = RocksDbThreads();
    bool low_pool = false, high_pool = false;
    for (const ThreadNice& t : threads) {
      const bool is_high = t.name.starts_with("rocksdb:high");
      (is_high ? high_pool : low_pool) = true;
      // A thread lowers itself when it takes its first job: both pools
      // have had one by now.
      if (t.nice != (low ? 19 : own)) _exit(is_high ? 6 : 7);
    }
    if (!low_pool || !high_pool) _exit(8);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);  // this child's TempDir
  _exit(0);
}

TEST(BackgroundPriority, LowPriorityBackgroundRunsFlushesAndCompactionsAtNice19) {
  TempDir dir;
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(OpenWorkAndCheck(dir.path(), true), ::testing::ExitedWithCode(0), "");
}

TEST(BackgroundPriority, BackgroundThreadsKeepTheProcessPriorityByDefault) {
  TempDir dir;
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(OpenWorkAndCheck(dir.path(), false), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace evlog::testutil
