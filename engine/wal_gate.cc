#include "wal_gate.h"

#include <atomic>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

namespace evlog {

namespace {

std::mutex hooks_mu;
WalGate::TestHooks hooks;  // guarded by hooks_mu
std::atomic<bool> has_hooks{false};

void RunHook(std::function<void()> WalGate::TestHooks::*which) {
  if (!has_hooks.load(std::memory_order_relaxed)) return;
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(hooks_mu);
    hook = hooks.*which;
  }
  if (hook) hook();
}

// The number of a WAL file ("/dir/000042.log" is 42), or nothing.
std::optional<uint64_t> WalNumber(std::string_view fname) {
  constexpr std::string_view kSuffix = ".log";
  if (fname.size() <= kSuffix.size() || !fname.ends_with(kSuffix)) return std::nullopt;
  fname.remove_suffix(kSuffix.size());
  const size_t slash = fname.find_last_of('/');
  if (slash != std::string_view::npos) fname.remove_prefix(slash + 1);
  uint64_t number = 0;
  auto [end, ec] = std::from_chars(fname.data(), fname.data() + fname.size(), number);
  if (ec != std::errc() || end != fname.data() + fname.size()) return std::nullopt;
  return number;
}

class WalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  WalFile(std::unique_ptr<rocksdb::FSWritableFile> file, WalGate* gate, uint64_t number)
      : FSWritableFileOwnerWrapper(std::move(file)), gate_(gate), number_(number) {}

  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* dbg) override {
    gate_->WalSyncStarting(number_);
    return target()->Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    gate_->WalSyncStarting(number_);
    return target()->Fsync(options, dbg);
  }

 private:
  WalGate* const gate_;
  const uint64_t number_;
};

class WalFileSystem : public rocksdb::FileSystemWrapper {
 public:
  WalFileSystem(std::shared_ptr<rocksdb::FileSystem> base, std::shared_ptr<WalGate> gate)
      : FileSystemWrapper(std::move(base)), gate_(std::move(gate)) {}

  static const char* kClassName() { return "evlog.WalFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    return Wrap(fname, target()->NewWritableFile(fname, options, result, dbg), result);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    return Wrap(fname, target()->ReopenWritableFile(fname, options, result, dbg), result);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    return Wrap(fname, target()->ReuseWritableFile(fname, old_fname, options, result, dbg),
                result);
  }

 private:
  rocksdb::IOStatus Wrap(const std::string& fname, rocksdb::IOStatus s,
                         std::unique_ptr<rocksdb::FSWritableFile>* result) {
    if (!s.ok()) return s;
    if (std::optional<uint64_t> number = WalNumber(fname)) {
      gate_->WalOpened(*number);
      *result = std::make_unique<WalFile>(std::move(*result), gate_.get(), *number);
    }
    return s;
  }

  std::shared_ptr<WalGate> gate_;
};

}  // namespace

void WalGate::BeginWrite() {
  std::unique_lock<std::mutex> lock(mu_);
  if (armed_) {
    lock.unlock();
    RunHook(&TestHooks::writer_waits);
    lock.lock();
  }
  cv_.wait(lock, [this] { return !armed_; });
  writing_ = true;
}

void WalGate::EndWrite(bool failed) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (failed) write_failed_ = true;
  }
  cv_.notify_all();
}

void WalGate::ClearFailure() {
  std::lock_guard<std::mutex> lock(mu_);
  write_failed_ = false;
}

bool WalGate::Arm() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !writing_ && !armed_; });
    if (write_failed_) return false;
    armed_ = true;
    arming_thread_ = std::this_thread::get_id();
  }
  RunHook(&TestHooks::armed);
  return true;
}

void WalGate::Disarm() {
  std::unique_lock<std::mutex> lock(mu_);
  Open(lock);
}

void WalGate::WalOpened(uint64_t number) {
  std::lock_guard<std::mutex> lock(mu_);
  if (number > newest_wal_) newest_wal_ = number;
}

void WalGate::WalSyncStarting(uint64_t number) {
  std::unique_lock<std::mutex> lock(mu_);
  // SyncWAL syncs the oldest WAL first; once the newest one's sync starts,
  // every check a failed write could trip has passed. A writer's own synced
  // write (another thread) changes nothing here.
  if (armed_ && arming_thread_ == std::this_thread::get_id() && number >= newest_wal_) {
    Open(lock);
  }
}

void WalGate::Open(std::unique_lock<std::mutex>& lock) {
  if (!armed_) return;
  armed_ = false;
  arming_thread_ = std::thread::id();
  lock.unlock();
  cv_.notify_all();
}

void WalGate::SetTestHooksForTesting(TestHooks test_hooks) {
  std::lock_guard<std::mutex> lock(hooks_mu);
  hooks = std::move(test_hooks);
  has_hooks.store(hooks.armed != nullptr || hooks.writer_waits != nullptr);
}

std::shared_ptr<rocksdb::FileSystem> NewWalFileSystem(std::shared_ptr<rocksdb::FileSystem> base,
                                                      std::shared_ptr<WalGate> gate) {
  return std::make_shared<WalFileSystem>(std::move(base), std::move(gate));
}

}  // namespace evlog
