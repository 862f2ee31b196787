#include "synced_mark.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace evlog {

namespace {

// "<position, 20 digits> <FNV-1a of those digits, 16 hex digits>\n": fixed
// length, so each write replaces the whole record in place; the hash tells a
// torn one.
constexpr size_t kRecordBytes = 20 + 1 + 16 + 1;

uint64_t Fnv(const char* data, size_t n) {
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string PathOf(const std::string& dir) {
  return (std::filesystem::path(dir) / SyncedMark::kFileName).string();
}

}  // namespace

Result<std::unique_ptr<SyncedMark>> SyncedMark::Open(std::shared_ptr<rocksdb::FileSystem> fs,
                                                     const std::string& dir, uint64_t start) {
  const std::string path = PathOf(dir);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = fs->NewWritableFile(path, rocksdb::FileOptions(), &file, nullptr);
  if (!s.ok()) return Status::IOError("cannot create " + path + ": " + s.ToString());
  return std::unique_ptr<SyncedMark>(new SyncedMark(std::move(fs), std::move(file), start));
}

SyncedMark::~SyncedMark() { file_->Close(rocksdb::IOOptions(), nullptr).PermitUncheckedError(); }

void SyncedMark::Advance(uint64_t position) {
  std::lock_guard<std::mutex> lock(mu_);
  if (position <= mark_) return;
  char record[kRecordBytes + 1];
  std::snprintf(record, 21, "%020llu", static_cast<unsigned long long>(position));
  std::snprintf(record + 20, kRecordBytes - 19, " %016llx\n",
                static_cast<unsigned long long>(Fnv(record, 20)));
  // In place: one pwrite, no fsync.
  if (file_
          ->PositionedAppend(rocksdb::Slice(record, kRecordBytes), 0, rocksdb::IOOptions(), nullptr)
          .ok()) {
    mark_ = position;
  }
}

uint64_t ReadSyncedMark(const std::string& dir) {
  int fd = ::open(PathOf(dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char record[kRecordBytes];
  const ssize_t n = ::pread(fd, record, kRecordBytes, 0);
  ::close(fd);
  if (n != static_cast<ssize_t>(kRecordBytes) || record[20] != ' ' ||
      record[kRecordBytes - 1] != '\n') {
    return 0;
  }
  uint64_t position = 0, hash = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (record[i] < '0' || record[i] > '9') return 0;
    position = position * 10 + static_cast<uint64_t>(record[i] - '0');
  }
  for (size_t i = 21; i < 37; ++i) {
    const char c = record[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return 0;
    hash = hash << 4 | static_cast<uint64_t>(digit);
  }
  return hash == Fnv(record, 20) ? position : 0;
}

Status CheckSyncedMark(const std::string& dir, uint64_t mark, uint64_t last_position) {
  if (mark <= last_position) return Status::OK();
  return Status::Corruption("the store's log ends at position " + std::to_string(last_position) +
                            ", but events up to position " + std::to_string(mark) +
                            " were synced: its write-ahead log was cut short and " +
                            std::to_string(mark - last_position) +
                            " acknowledged events are lost. To open what is left anyway, remove " +
                            PathOf(dir));
}

}  // namespace evlog
