#include "migrate_swap.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <rocksdb/db.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "backup.h"
#include "db.h"

namespace evlog {

namespace fs = std::filesystem;
using migrate::kKeptSuffix;
using migrate::kMarkerName;
using migrate::kStageInfix;

namespace migrate {

namespace {

constexpr std::string_view kReady = "evlog-migrate 1\nready\n";
constexpr std::string_view kKeepOld = "keep-old\n";

std::string ReadWhole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// Renames and syncs the parent: the rename is durable when this returns.
Status RenameDurably(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Errno("cannot rename '" + from.string() + "' to '" + to.string() + "'");
  }
  return SyncPath(to.parent_path(), true);
}

// Writes the marker and syncs it and the stage.
Status WriteMarker(const fs::path& stage, bool keep_old) {
  const fs::path file = stage / kMarkerName;
  const std::string text = std::string(kReady) + (keep_old ? std::string(kKeepOld) : "");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!(out << text).flush()) return Status::IOError("cannot write '" + file.string() + "'");
  }
  if (Status s = SyncPath(file, false); !s.ok()) return s;
  return SyncPath(stage, true);
}

// The old store of a finished swap: `stage`/old (the fallback), or
// `stage`/new when that is not a format-2 store (RENAME_EXCHANGE put the
// old one there). Empty if neither.
fs::path OldStoreIn(const fs::path& stage) {
  std::error_code ec;
  if (fs::exists(stage / "old", ec)) return stage / "old";
  const fs::path swapped = stage / "new";
  if (!fs::exists(swapped / "CURRENT", ec)) return {};
  rocksdb::DBOptions options;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(options, swapped.string(), &names).ok()) return {};
  const bool format2 =
      std::find(names.begin(), names.end(), Db::kFamilyNames[Db::kIds]) != names.end();
  return format2 ? fs::path() : swapped;
}

// Moves the old store out of the stage to `dir`.format1 (keep_old), then
// removes the stage.
Status FinishStage(const fs::path& dir, const fs::path& stage, bool keep_old,
                   std::string* old_store) {
  if (keep_old) {
    const fs::path old = OldStoreIn(stage);
    const fs::path kept = dir.string() + std::string(kKeptSuffix);
    std::error_code ec;
    if (!old.empty() && !fs::exists(kept, ec)) {
      if (Status s = RenameDurably(old, kept); !s.ok()) return s;
      if (old_store != nullptr) *old_store = kept.string();
    }
  }
  // `pid` goes last: a stage a kill left half removed still names its
  // owner, so the next RecoverMigration finishes removing it.
  std::error_code ec;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(stage, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->path().filename() != "pid") entries.push_back(it->path());
  }
  for (const fs::path& entry : entries) {
    if (!ec) fs::remove_all(entry, ec);
  }
  if (!ec) fs::remove_all(stage, ec);
  if (ec) return Status::IOError("cannot remove '" + stage.string() + "': " + ec.message());
  return Status::OK();
}

Result<uint64_t> FreeBytes(const std::string& dir) {
  struct statvfs fs_stat = {};
  if (::statvfs(dir.c_str(), &fs_stat) != 0) {
    return Errno("cannot tell the free space of '" + dir + "'");
  }
  return static_cast<uint64_t>(fs_stat.f_bavail) * fs_stat.f_frsize;
}

// The bytes of the regular files under `dir` but RocksDB's info logs
// (`LOG`, `LOG.old.*`: not copied into the new store); symbolic links not
// followed. A file removed while it is listed (the store is not locked
// yet: a running writer deletes WAL and table files) is not counted.
Result<uint64_t> TreeBytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec) || it->is_symlink(entry_ec)) continue;
    const std::string name = it->path().filename().string();
    if (name == "LOG" || name.starts_with("LOG.old")) continue;
    const uintmax_t size = it->file_size(entry_ec);
    if (entry_ec == std::errc::no_such_file_or_directory) continue;
    if (entry_ec) {
      return Status::IOError("cannot read the size of '" + it->path().string() +
                             "': " + entry_ec.message());
    }
    total += size;
  }
  if (ec) return Status::IOError("cannot list '" + dir.string() + "': " + ec.message());
  return total;
}

// "N bytes (M.m MiB)".
std::string Bytes(uint64_t n) {
  char mib[32];
  std::snprintf(mib, sizeof mib, "%.1f", static_cast<double>(n) / (1 << 20));
  return std::to_string(n) + " bytes (" + mib + " MiB)";
}

}  // namespace

Status CheckFreeSpace(const fs::path& dir, const MigrateHooks& hooks) {
  Result<uint64_t> size = TreeBytes(dir);
  if (!size.ok()) return size.status();
  const std::string parent = dir.parent_path().string();
  Result<uint64_t> available = hooks.free_bytes ? hooks.free_bytes(parent) : FreeBytes(parent);
  if (!available.ok()) return available.status();
  const uint64_t needed = MigrateSpaceNeeded(*size);
  if (*available >= needed) return Status::OK();
  return Status::IOError("not enough free space to migrate store '" + dir.string() +
                         "': its files take " + Bytes(*size) +
                         " and the new store is built beside it, so the file system of '" +
                         parent + "' needs " + Bytes(needed) + " free, but has " +
                         Bytes(*available) +
                         "; nothing was changed: free space and run `evlog migrate` again");
}

fs::path NormalPath(std::string_view path) {
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(path), ec).lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

Status SyncTree(const fs::path& dir) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    const bool directory = it->is_directory(type_ec);
    if (!directory && !it->is_regular_file(type_ec)) continue;
    if (Status s = SyncPath(it->path(), directory); !s.ok()) return s;
  }
  if (ec) return Status::IOError("cannot list '" + dir.string() + "': " + ec.message());
  return SyncPath(dir, true);
}

Status SwapIn(const fs::path& dir, const fs::path& stage, format1::Format1Store& old,
              bool keep_old, const MigrateHooks& hooks, std::string* old_store) {
  // Every writable open writes a new MANIFEST and CURRENT names it: a
  // writer that opens the store once it is closed here changes CURRENT.
  const std::string current = ReadWhole(dir / "CURRENT");
  if (Status s = old.Close(); !s.ok()) return s;
  hooks.At("closed");
  // An OFD lock conflicts with RocksDB's classic fcntl lock in another
  // process, and closing another descriptor of the file does not drop it.
  const int lock = ::open((dir / "LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) return Errno("cannot open '" + (dir / "LOCK").string() + "'");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{lock};
  struct flock whole = {};
  whole.l_type = F_WRLCK;
  whole.l_whence = SEEK_SET;
  const Status slipped = Status::Busy("a process opened store '" + dir.string() +
                                      "' while it was migrated; nothing was swapped: stop it and "
                                      "run `evlog migrate` again");
  if (::fcntl(lock, F_OFD_SETLK, &whole) != 0) {
    if (errno == EAGAIN || errno == EACCES) return slipped;
    return Errno("cannot lock '" + (dir / "LOCK").string() + "'");
  }
  if (ReadWhole(dir / "CURRENT") != current) return slipped;
  hooks.At("locked");
  if (Status s = WriteMarker(stage, keep_old); !s.ok()) return s;
  hooks.At("marked");

  const fs::path built = stage / "new";
  bool exchanged = false;
  if (!hooks.without_rename_exchange) {
    auto swapped = ExchangeDirectories(built, dir);
    if (!swapped.ok()) return swapped.status();
    exchanged = *swapped;
  }
  if (!exchanged) {
    // Between these two renames there is no store at `dir`: the marker is
    // what lets RecoverMigration finish the second.
    if (Status s = RenameDurably(dir, stage / "old"); !s.ok()) return s;
    hooks.At("renamed-old");
    if (Status s = RenameDurably(built, dir); !s.ok()) return s;
  }
  hooks.At("swapped");
  closer.fd = -1;
  ::close(lock);
  return FinishStage(dir, stage, keep_old, old_store);
}

}  // namespace migrate

uint64_t MigrateSpaceNeeded(uint64_t store_bytes) {
  constexpr uint64_t kMinMargin = uint64_t{64} << 20;
  return store_bytes + std::max(kMinMargin, store_bytes / 10);
}

Status RecoverMigration(const std::string& path) {
  const fs::path dir = migrate::NormalPath(path);
  const std::string prefix = "." + dir.filename().string() + std::string(kStageInfix);
  std::error_code ec;
  std::vector<fs::path> stages;
  for (fs::directory_iterator it(dir.parent_path(), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::error_code type_ec;
    if (it->path().filename().string().starts_with(prefix) && it->is_directory(type_ec) &&
        !it->is_symlink(type_ec)) {
      stages.push_back(it->path());
    }
  }
  for (const fs::path& stage : stages) {
    std::ifstream in(stage / "pid");
    pid_t owner = 0;
    if (!(in >> owner) || owner <= 0) continue;
    if (::kill(owner, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours
    const std::string marker = migrate::ReadWhole(stage / kMarkerName);
    const bool ready = marker.starts_with(migrate::kReady);
    if (!fs::exists(fs::symlink_status(dir, ec))) {
      // Killed between the fallback's two renames: roll forward.
      if (!ready || !fs::exists(stage / "new" / "CURRENT", ec)) continue;
      if (Status s = migrate::RenameDurably(stage / "new", dir); !s.ok()) return s;
    }
    const bool keep_old = ready && marker.find(migrate::kKeepOld) != std::string::npos;
    if (Status s = migrate::FinishStage(dir, stage, keep_old, nullptr); !s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace evlog
