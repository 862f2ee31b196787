#include "fault_fs.h"

#include <filesystem>
#include <system_error>

namespace evlog::testutil {

using rocksdb::FileOptions;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

namespace {

class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file, FaultFs* fs, std::string name,
                    uint64_t size)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), name_(std::move(name)), size_(size) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (fs_->powered_off()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultFs::Op::kWrite, name_); !s.ok()) return s;
    IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) Advance(size_ + data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    if (fs_->powered_off()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultFs::Op::kWrite, name_); !s.ok()) return s;
    IOStatus s = target()->Append(data, options, info, dbg);
    if (s.ok()) Advance(size_ + data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* dbg) override {
    if (fs_->powered_off()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultFs::Op::kWrite, name_); !s.ok()) return s;
    IOStatus s = target()->PositionedAppend(data, offset, options, dbg);
    if (s.ok()) Advance(offset + data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            const rocksdb::DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    if (fs_->powered_off()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultFs::Op::kWrite, name_); !s.ok()) return s;
    IOStatus s = target()->PositionedAppend(data, offset, options, info, dbg);
    if (s.ok()) Advance(offset + data.size());
    return s;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& options, IODebugContext* dbg) override {
    if (fs_->powered_off()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultFs::Op::kWrite, name_); !s.ok()) return s;
    IOStatus s = target()->Truncate(size, options, dbg);
    if (s.ok()) {
      size_ = size;
      fs_->Truncated(name_, size);
    }
    return s;
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (fs_->powered_off()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultFs::Op::kSync, name_); !s.ok()) return s;
    IOStatus s = target()->Sync(options, dbg);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (fs_->powered_off()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultFs::Op::kSync, name_); !s.ok()) return s;
    IOStatus s = target()->Fsync(options, dbg);
    if (s.ok()) fs_->Synced(name_);
    return s;
  }
  // A range sync makes no promise about the file's metadata: it does not
  // count as synced, but it can fail like one.
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options,
                     IODebugContext* dbg) override {
    if (fs_->powered_off()) return IOStatus::OK();
    if (IOStatus s = fs_->Check(FaultFs::Op::kSync, name_); !s.ok()) return s;
    return target()->RangeSync(offset, nbytes, options, dbg);
  }

 private:
  void Advance(uint64_t end) {
    if (end > size_) size_ = end;
    fs_->Written(name_, size_);
  }

  FaultFs* fs_;
  std::string name_;
  uint64_t size_;
};

class FaultRandomAccessFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultRandomAccessFile(std::unique_ptr<rocksdb::FSRandomAccessFile> file, FaultFs* fs,
                        std::string name)
      : FSRandomAccessFileOwnerWrapper(std::move(file)), fs_(fs), name_(std::move(name)) {}

  IOStatus Read(uint64_t offset, size_t n, const IOOptions& options, Slice* result, char* scratch,
                IODebugContext* dbg) const override {
    if (IOStatus s = fs_->Check(FaultFs::Op::kRead, name_); !s.ok()) return s;
    return target()->Read(offset, n, options, result, scratch, dbg);
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs, const IOOptions& options,
                     IODebugContext* dbg) override {
    if (IOStatus s = fs_->Check(FaultFs::Op::kRead, name_); !s.ok()) {
      for (size_t i = 0; i < num_reqs; ++i) reqs[i].status = s;
      return s;
    }
    return target()->MultiRead(reqs, num_reqs, options, dbg);
  }

 private:
  FaultFs* fs_;
  std::string name_;
};

class FaultSequentialFile : public rocksdb::FSSequentialFileOwnerWrapper {
 public:
  FaultSequentialFile(std::unique_ptr<rocksdb::FSSequentialFile> file, FaultFs* fs,
                      std::string name)
      : FSSequentialFileOwnerWrapper(std::move(file)), fs_(fs), name_(std::move(name)) {}

  IOStatus Read(size_t n, const IOOptions& options, Slice* result, char* scratch,
                IODebugContext* dbg) override {
    if (IOStatus s = fs_->Check(FaultFs::Op::kRead, name_); !s.ok()) return s;
    return target()->Read(n, options, result, scratch, dbg);
  }
  IOStatus PositionedRead(uint64_t offset, size_t n, const IOOptions& options, Slice* result,
                          char* scratch, IODebugContext* dbg) override {
    if (IOStatus s = fs_->Check(FaultFs::Op::kRead, name_); !s.ok()) return s;
    return target()->PositionedRead(offset, n, options, result, scratch, dbg);
  }

 private:
  FaultFs* fs_;
  std::string name_;
};

// Where a file created after the power went writes: nowhere.
class DiscardFile : public rocksdb::FSWritableFile {
 public:
  IOStatus Append(const Slice& data, const IOOptions&, IODebugContext*) override {
    size_ += data.size();
    return IOStatus::OK();
  }
  IOStatus Append(const Slice& data, const IOOptions&, const rocksdb::DataVerificationInfo&,
                  IODebugContext*) override {
    size_ += data.size();
    return IOStatus::OK();
  }
  IOStatus Close(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus Flush(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  IOStatus Sync(const IOOptions&, IODebugContext*) override { return IOStatus::OK(); }
  uint64_t GetFileSize(const IOOptions&, IODebugContext*) override { return size_; }

 private:
  uint64_t size_ = 0;
};

const char* OpName(FaultFs::Op op) {
  switch (op) {
    case FaultFs::Op::kWrite:
      return "write";
    case FaultFs::Op::kSync:
      return "sync";
    case FaultFs::Op::kRead:
      return "read";
  }
  return "?";
}

}  // namespace

FaultFs::FaultFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

void FaultFs::Inject(const Fault& fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_[fault.op] = fault;
}

void FaultFs::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

void FaultFs::PowerOff() { powered_off_.store(true); }

bool FaultFs::Matches(Kind kind, const std::string& fname) {
  std::string base = std::filesystem::path(fname).filename().string();
  switch (kind) {
    case Kind::kAny:
      return true;
    case Kind::kWal:
      return base.ends_with(".log");
    case Kind::kTable:
      return base.ends_with(".sst");
    case Kind::kManifest:
      return base.starts_with("MANIFEST-");
  }
  return false;
}

IOStatus FaultFs::Check(Op op, const std::string& fname) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = faults_.find(op);
  if (it == faults_.end() || !Matches(it->second.kind, fname)) return IOStatus::OK();
  Fault& fault = it->second;
  if (fault.after > 0) {
    --fault.after;
    return IOStatus::OK();
  }
  ++failures_;
  std::string what = std::string("injected ") + OpName(op) + " fault on " + fname;
  IOStatus s = fault.error == Error::kNoSpace ? IOStatus::NoSpace(what) : IOStatus::IOError(what);
  if (fault.times > 0 && --fault.times == 0) faults_.erase(it);
  return s;
}

void FaultFs::Written(const std::string& fname, uint64_t end_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& state = files_[fname];
  state.size = std::max(state.size, end_offset);
}

void FaultFs::Truncated(const std::string& fname, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& state = files_[fname];
  state.size = size;
  state.synced = std::min(state.synced, size);
}

void FaultFs::Synced(const std::string& fname) {
  std::lock_guard<std::mutex> lock(mu_);
  FileState& state = files_[fname];
  state.synced = state.size;
}

IOStatus FaultFs::DropUnsyncedData(double keep_unsynced) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, state] : files_) {
    std::error_code ec;
    uint64_t actual = std::filesystem::file_size(name, ec);
    if (ec) continue;  // deleted since
    if (actual > state.synced) {
      const auto keep =
          static_cast<uint64_t>(static_cast<double>(actual - state.synced) * keep_unsynced);
      std::filesystem::resize_file(name, state.synced + keep, ec);
      if (ec) return IOStatus::IOError("cannot truncate " + name + ": " + ec.message());
      dropped_bytes_ += actual - state.synced - keep;
    }
  }
  files_.clear();
  faults_.clear();
  powered_off_.store(false);
  return IOStatus::OK();
}

IOStatus FaultFs::NewWritableFile(const std::string& fname, const FileOptions& options,
                                  std::unique_ptr<rocksdb::FSWritableFile>* result,
                                  IODebugContext* dbg) {
  if (powered_off()) {
    *result = std::make_unique<DiscardFile>();
    return IOStatus::OK();
  }
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->NewWritableFile(fname, options, &file, dbg);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files_[fname] = FileState();
  }
  *result = std::make_unique<FaultWritableFile>(std::move(file), this, fname, 0);
  return s;
}

IOStatus FaultFs::ReopenWritableFile(const std::string& fname, const FileOptions& options,
                                     std::unique_ptr<rocksdb::FSWritableFile>* result,
                                     IODebugContext* dbg) {
  if (powered_off()) {
    *result = std::make_unique<DiscardFile>();
    return IOStatus::OK();
  }
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->ReopenWritableFile(fname, options, &file, dbg);
  if (!s.ok()) return s;
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(fname, ec);
  if (ec) size = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // What was there before we saw it counts as synced.
    files_.try_emplace(fname, FileState{size, size});
  }
  *result = std::make_unique<FaultWritableFile>(std::move(file), this, fname, size);
  return s;
}

IOStatus FaultFs::ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                    const FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    IODebugContext* dbg) {
  if (powered_off()) {
    *result = std::make_unique<DiscardFile>();
    return IOStatus::OK();
  }
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->ReuseWritableFile(fname, old_fname, options, &file, dbg);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files_.erase(old_fname);
    files_[fname] = FileState();
  }
  *result = std::make_unique<FaultWritableFile>(std::move(file), this, fname, 0);
  return s;
}

IOStatus FaultFs::NewRandomAccessFile(const std::string& fname, const FileOptions& options,
                                      std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                      IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSRandomAccessFile> file;
  IOStatus s = target()->NewRandomAccessFile(fname, options, &file, dbg);
  if (!s.ok()) return s;
  *result = std::make_unique<FaultRandomAccessFile>(std::move(file), this, fname);
  return s;
}

IOStatus FaultFs::NewSequentialFile(const std::string& fname, const FileOptions& options,
                                    std::unique_ptr<rocksdb::FSSequentialFile>* result,
                                    IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSSequentialFile> file;
  IOStatus s = target()->NewSequentialFile(fname, options, &file, dbg);
  if (!s.ok()) return s;
  *result = std::make_unique<FaultSequentialFile>(std::move(file), this, fname);
  return s;
}

IOStatus FaultFs::RenameFile(const std::string& src, const std::string& target_name,
                             const IOOptions& options, IODebugContext* dbg) {
  if (powered_off()) return IOStatus::OK();
  IOStatus s = target()->RenameFile(src, target_name, options, dbg);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(target_name);
  if (auto it = files_.find(src); it != files_.end()) {
    files_[target_name] = it->second;
    files_.erase(src);
  }
  return s;
}

IOStatus FaultFs::DeleteFile(const std::string& fname, const IOOptions& options,
                             IODebugContext* dbg) {
  if (powered_off()) return IOStatus::OK();
  IOStatus s = target()->DeleteFile(fname, options, dbg);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(fname);
  return s;
}

}  // namespace evlog::testutil
