#include "info_log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string_view>
#include <vector>

namespace evlog {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kOldPrefix = "LOG.old.";

int64_t NowMicros() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

}  // namespace

InfoLog::InfoLog(std::string dir, size_t keep_old, uint64_t max_bytes)
    : dir_(std::move(dir)), keep_old_(keep_old), max_bytes_(max_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  Roll();
}

InfoLog::~InfoLog() {
  if (fd_ >= 0) close(fd_);
}

void InfoLog::Roll() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  bytes_ = 0;
  std::error_code ec;
  const fs::path log = fs::path(dir_) / "LOG";
  if (fs::exists(log, ec)) {
    fs::rename(log, fs::path(dir_) / (std::string(kOldPrefix) + std::to_string(NowMicros())), ec);
  }
  // Old logs are named by time: sorted by name (same length for centuries),
  // the oldest come first.
  std::vector<fs::path> old;
  for (fs::directory_iterator it(dir_, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().filename().string().starts_with(kOldPrefix)) old.push_back(it->path());
  }
  std::sort(old.begin(), old.end());
  for (size_t i = 0; i + keep_old_ < old.size(); ++i) fs::remove(old[i], ec);
  fd_ = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

void InfoLog::Logv(const char* format, va_list ap) {
  char line[4096];
  timeval tv{};
  gettimeofday(&tv, nullptr);
  const time_t seconds = tv.tv_sec;
  tm t{};
  localtime_r(&seconds, &t);
  int n = snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %ld ", t.tm_year + 1900,
                   t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                   static_cast<long>(tv.tv_usec), static_cast<long>(gettid()));
  size_t size = static_cast<size_t>(std::max(n, 0));
  if (size < sizeof(line)) {
    va_list copy;
    va_copy(copy, ap);
    const int m = vsnprintf(line + size, sizeof(line) - size, format, copy);
    va_end(copy);
    if (m > 0) size += static_cast<size_t>(m);
  }
  // A longer line is cut; the last byte is kept for the newline.
  size = std::min(size, sizeof(line) - 1);
  if (size == 0 || line[size - 1] != '\n') line[size++] = '\n';

  std::lock_guard<std::mutex> lock(mu_);
  if (bytes_ >= max_bytes_) Roll();
  if (fd_ < 0) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // One write(2) per line, with O_APPEND: a short write (the disk filled
  // mid-line) leaves a partial line, which the next line follows.
  const ssize_t written = write(fd_, line, size);
  if (written < 0 || static_cast<size_t>(written) != size) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  if (written > 0) bytes_ += static_cast<uint64_t>(written);
}

size_t InfoLog::GetLogFileSize() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(bytes_);
}

}  // namespace evlog
