// A real full disk: the store lives on a 16 MiB tmpfs that a filler file
// fills. Appends must fail with IOError (never abort the process: Debian's
// librocksdb, built with assertions, used to, through its info log), resume
// once the filler is removed, without a reopen, and lose nothing that was
// acknowledged. Needs root for mount(2), as in CI; skipped otherwise.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "testutil/store_fixture.h"
#include "testutil/temp_dir.h"

namespace evlog::testutil {
namespace {

// Mounts a 16 MiB tmpfs on `dir`; false if not permitted.
bool MountTmpfs(const std::string& dir) {
  return mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=16m") == 0;
}

class FullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    // The work runs in a child (EXPECT_EXIT, re-executed: RocksDB's thread
    // pools do not survive a plain fork), which mounts and unmounts its own
    // tmpfs; here only whether mounting is permitted.
    if (!MountTmpfs(dir_.path())) {
      GTEST_SKIP() << "cannot mount a tmpfs on " << dir_.path() << " (" << std::strerror(errno)
                   << "): the full-disk tests need root, as in CI";
    }
    ASSERT_EQ(umount2(dir_.path().c_str(), MNT_DETACH), 0) << std::strerror(errno);
  }

  TempDir dir_;
};

// Writes a file of zeros at `path` until the file system of `dir` has at
// most `leave` bytes free (or is full).
void Fill(const std::string& dir, const std::string& path, uint64_t leave) {
  std::ofstream out(path, std::ios::binary);
  const std::string chunk(64 << 10, '\0');
  for (;;) {
    struct statvfs st {};
    if (statvfs(dir.c_str(), &st) != 0) return;
    const uint64_t free = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    if (free <= leave) return;
    const uint64_t n = std::min<uint64_t>(chunk.size(), free - leave);
    if (!out.write(chunk.data(), static_cast<std::streamsize>(n)).flush()) return;
  }
}

struct Acked {
  Position position;
  std::string data;
};

// Appends 2 KB events until one fails, at most `limit`; returns the
// failure (OK if none failed).
Status AppendUntilFailure(Store& store, Durability durability, int limit,
                          std::vector<Acked>* acked) {
  for (int i = 0; i < limit; ++i) {
    std::string data = "event-" + std::to_string(acked->size()) + std::string(2000, 'x');
    auto r = store.Append("item-1", ExpectedVersion::Any(), {Ev("Added", data)}, durability);
    if (!r.ok()) return r.status();
    acked->push_back({r->streams[0].first_position, std::move(data)});
  }
  return Status::OK();
}

// Each failed step returns its own code.
int FillAppendFreeAppendOnTmpfs(const std::string& dir, Durability durability) {
  const std::string path = dir + "/store", filler = dir + "/filler";
  const Options options{.write_buffer_bytes = 1 << 20};
  std::vector<Acked> acked;
  {
    auto store = Store::Open(options, path);
    if (!store.ok()) return 2;
    if (!AppendUntilFailure(**store, durability, 50, &acked).ok()) return 3;
    Fill(dir, filler, 256 << 10);
    Status full = AppendUntilFailure(**store, durability, 20'000, &acked);
    if (!full.IsIOError()) return 4;
    // Still full: still refused, each append retrying the resume.
    for (int i = 0; i < 3; ++i) {
      if (!AppendUntilFailure(**store, durability, 1, &acked).IsIOError()) return 5;
    }
    std::filesystem::remove(filler);
    if (!AppendUntilFailure(**store, durability, 20, &acked).ok()) return 6;
  }
  auto store = Store::Open(options, path);
  if (!store.ok()) return 7;
  auto it = (*store)->ReadAll().value();
  size_t i = 0;
  uint64_t last = 0;
  for (; it->Valid(); it->Next(), ++i) {
    const RecordedEvent& e = it->event();
    if (e.position.value() != last + 1) return 8;  // gapless
    last = e.position.value();
    if (i < acked.size() &&
        (e.position != acked[i].position || std::string(e.data) != acked[i].data)) {
      return 9;
    }
  }
  if (!it->status().ok() || i < acked.size()) return 10;
  return 0;
}

void FillAppendFreeAppend(const std::string& dir, Durability durability) {
  if (!MountTmpfs(dir)) _exit(11);
  int code = FillAppendFreeAppendOnTmpfs(dir, durability);
  if (umount2(dir.c_str(), MNT_DETACH) != 0) code = 12;
  std::error_code ignored;
  std::filesystem::remove(dir, ignored);  // this child's TempDir
  _exit(code);
}

TEST_F(FullDisk, SyncedAppendsFailWithIOErrorThenResumeWhenSpaceIsFreed) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(FillAppendFreeAppend(dir_.path(), Durability::kSync), ::testing::ExitedWithCode(0),
              "");
}

TEST_F(FullDisk, BufferedAppendsFailWithIOErrorThenResumeWhenSpaceIsFreed) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(FillAppendFreeAppend(dir_.path(), Durability::kBuffered),
              ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace evlog::testutil
