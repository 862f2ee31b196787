// A backup is a RocksDB checkpoint (hard links to the immutable table files,
// copies of the rest) plus the store's own files (view rebuild requests) and
// a manifest listing every file with its size. The checkpoint holds all
// column families at one sequence number, and every group commit writes its
// events and the last-position counter in one WriteBatch: the backup ends at
// a group boundary, and the counter read back from it is that boundary.
//
// Restore trusts nothing in a backup: it copies only the files the manifest
// lists, and refuses any name that could lead outside the backup or the
// destination ("..", absolute names, symbolic links on the way).

#include "backup.h"

#include <fcntl.h>
#include <rocksdb/utilities/checkpoint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "db.h"
#include "keys.h"
#include "owned_dir.h"

namespace evlog {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kManifestHeader = "evlog-backup 1";
// Beside the store directory, the directory holding view rebuild requests
// (view.cc, RebuildRequestPath).
constexpr std::string_view kRequestsDir = "requests";

struct ManifestFile {
  std::string name;  // relative, '/'-separated
  uint64_t size = 0;
};

struct Manifest {
  Position position;
  std::vector<ManifestFile> files;
};

Status ErrorStatus(std::string_view what, const std::error_code& ec) {
  return Status::IOError(std::string(what) + ": " + ec.message());
}

// `path` made absolute and normal, without a trailing separator.
fs::path Normal(std::string_view path) {
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(path), ec).lexically_normal();
  if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

// True if `inner` is `outer` or lies below it (lexically).
bool Within(const fs::path& inner, const fs::path& outer) {
  if (outer.empty() || inner.empty()) return false;
  auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return o == outer.end();
}

// A fresh hidden directory beside `target`: ".<name>.<what>-XXXXXX",
// naming its owner (owned_dir.h). Stages a killed process left in the same
// place are removed first.
Result<fs::path> MakeStage(const fs::path& target, std::string_view what) {
  RemoveAbandonedStages(target);
  return MakeOwnedDir(target.parent_path(),
                      "." + target.filename().string() + "." + std::string(what) + "-");
}

// Removes `path` with everything in it when it goes out of scope: a stage,
// whether what was built in it has been renamed into place or not.
struct RemovedAtExit {
  fs::path path;
  ~RemovedAtExit() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// Checks that `target` may become a new directory: it does not exist, or is
// an empty directory (not a symbolic link), and its parent exists.
Status CheckNewDirectory(const fs::path& target, std::string_view role, bool* exists) {
  std::error_code ec;
  fs::file_status st = fs::symlink_status(target, ec);
  *exists = fs::exists(st);
  if (*exists) {
    if (fs::is_symlink(st)) {
      return Status::InvalidArgument(std::string(role) + " '" + target.string() +
                                     "' is a symbolic link");
    }
    if (!fs::is_directory(st)) {
      return Status::InvalidArgument(std::string(role) + " '" + target.string() +
                                     "' exists and is not a directory");
    }
  }
  if (!fs::is_directory(target.parent_path(), ec)) {
    return Status::NotFound("the parent directory of " + std::string(role) + " '" +
                            target.string() + "' does not exist");
  }
  return Status::OK();
}

bool IsEmptyDirectory(const fs::path& dir) {
  std::error_code ec;
  return fs::is_empty(dir, ec) && !ec;
}

// Reads the position the store in `dir` had committed, opening it read-only;
// this also checks that it is an evlog store this build can read.
Result<Position> ReadStorePosition(const fs::path& dir) {
  Options options;
  options.read_only = true;
  options.create_if_missing = false;
  options.block_cache_bytes = 1 << 20;
  auto db = Db::Open(options, dir.string());
  if (!db.ok()) return db.status();
  uint64_t last = 0;
  if (Status s = (*db)->ReadCounter(keys::kLastPosition, 0, &last); !s.ok()) return s;
  return Position(last);
}

// Every regular file under `root`, relative names sorted, with sizes.
Result<std::vector<ManifestFile>> ListFiles(const fs::path& root) {
  std::vector<ManifestFile> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec)) {
      return Status::IOError("unexpected symbolic link '" + it->path().string() + "'");
    }
    if (!it->is_regular_file(ec)) continue;
    uint64_t size = it->file_size(ec);
    if (ec) break;
    out.push_back({it->path().lexically_relative(root).generic_string(), size});
  }
  if (ec) return ErrorStatus("cannot list '" + root.string() + "'", ec);
  std::sort(out.begin(), out.end(),
            [](const ManifestFile& a, const ManifestFile& b) { return a.name < b.name; });
  return out;
}

Status WriteManifest(const fs::path& dir, const Manifest& manifest) {
  const fs::path file = dir / kBackupManifest;
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << kManifestHeader << '\n' << "position " << manifest.position.value() << '\n';
    for (const ManifestFile& f : manifest.files) out << "file " << f.size << ' ' << f.name << '\n';
    out.flush();
    if (!out) return Status::IOError("cannot write '" + file.string() + "'");
  }
  return SyncPath(file, false);
}

// A relative name that stays inside the directory it is resolved in: no
// empty, ".", ".." component, not absolute, no NUL or newline.
bool SafeRelativeName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\0') != std::string_view::npos ||
      name.find('\n') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = slash + 1;
  }
  return true;
}

Result<Manifest> ReadManifest(const fs::path& dir) {
  const fs::path file = dir / kBackupManifest;
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(file, ec))) {
    return Status::InvalidArgument("'" + dir.string() + "' is not an evlog backup (it has no " +
                                   std::string(kBackupManifest) + ")");
  }
  std::ifstream in(file, std::ios::binary);
  std::string line;
  if (!std::getline(in, line) || line != kManifestHeader) {
    if (line.starts_with("evlog-backup ")) {
      return Status::NotSupported("'" + file.string() + "' is a backup format newer than this " +
                                  "build of evlog reads ('" + line + "')");
    }
    return Status::Corruption("'" + file.string() + "' does not start with '" +
                              std::string(kManifestHeader) + "'");
  }
  Manifest manifest;
  bool have_position = false;
  for (size_t n = 2; std::getline(in, line); ++n) {
    auto bad = [&] {
      return Status::Corruption("'" + file.string() + "' line " + std::to_string(n) +
                                " is malformed");
    };
    auto number = [](std::string_view text, uint64_t* out) {
      auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), *out);
      return err == std::errc() && ptr != text.data();
    };
    if (line.starts_with("position ")) {
      uint64_t p = 0;
      std::string_view rest = std::string_view(line).substr(9);
      if (!number(rest, &p) || rest.find(' ') != std::string_view::npos) return bad();
      manifest.position = Position(p);
      have_position = true;
    } else if (line.starts_with("file ")) {
      std::string_view rest = std::string_view(line).substr(5);
      size_t space = rest.find(' ');
      ManifestFile f;
      if (space == std::string_view::npos || !number(rest.substr(0, space), &f.size)) return bad();
      f.name = std::string(rest.substr(space + 1));
      if (!SafeRelativeName(f.name) || f.name == kBackupManifest) {
        return Status::InvalidArgument("backup file name '" + f.name +
                                       "' escapes the backup directory");
      }
      manifest.files.push_back(std::move(f));
    } else {
      return bad();
    }
  }
  if (!have_position) return Status::Corruption("'" + file.string() + "' names no position");
  return manifest;
}

// Checks one listed file of the backup in `dir`: no component is a symbolic
// link, it is a regular file of the listed size.
Status CheckBackupFile(const fs::path& dir, const ManifestFile& f) {
  std::error_code ec;
  fs::path at = dir;
  for (const fs::path& part : fs::path(f.name)) {
    at /= part;
    if (fs::is_symlink(fs::symlink_status(at, ec))) {
      return Status::InvalidArgument("backup file '" + f.name +
                                     "' leads through a symbolic link; it could escape the backup");
    }
  }
  if (!fs::is_regular_file(fs::symlink_status(at, ec))) {
    return Status::Corruption("backup file '" + f.name + "' is missing");
  }
  uint64_t size = fs::file_size(at, ec);
  if (ec || size != f.size) {
    return Status::Corruption("backup file '" + f.name + "' has " + std::to_string(size) +
                              " bytes, the manifest says " + std::to_string(f.size));
  }
  return Status::OK();
}

// Replaces `target` (absent, empty, or an old store when overwriting) by
// `staged`, a complete directory on the same file system. An old store is
// exchanged with `staged` in one step, so that `target` is never without a
// store, and is then removed with the stage; where the file system cannot
// exchange, it is moved aside first (hooks.without_rename_exchange too).
Status MoveIntoPlace(const fs::path& staged, const fs::path& target, const fs::path& stage_root,
                     const RestoreHooks& hooks = {}) {
  std::error_code ec;
  const bool exists = fs::exists(fs::symlink_status(target, ec));
  if (exists && !IsEmptyDirectory(target)) {
    if (!hooks.without_rename_exchange) {
      auto exchanged = ExchangeDirectories(staged, target);
      if (!exchanged.ok()) return exchanged.status();
      if (*exchanged) return Status::OK();
    }
    // rename(2) replaces only an empty directory: move the old one aside.
    fs::rename(target, stage_root / "old", ec);
    if (ec) return ErrorStatus("cannot move '" + target.string() + "' aside", ec);
    hooks.At("moved-aside");
  }
  fs::rename(staged, target, ec);
  if (ec) return ErrorStatus("cannot rename into '" + target.string() + "'", ec);
  return SyncPath(target.parent_path(), true);
}

}  // namespace

Status SyncPath(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open '" + path.string() + "' to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IOError("cannot sync '" + path.string() + "'");
  return Status::OK();
}

Result<bool> ExchangeDirectories(const fs::path& a, const fs::path& b) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno == EINVAL || errno == ENOSYS) return false;
    return Status::IOError("cannot swap '" + a.string() + "' into '" + b.string() +
                           "' (a mount point cannot be swapped): " + std::strerror(errno));
  }
  if (Status s = SyncPath(b.parent_path(), true); !s.ok()) return s;
  return true;
}

void RemoveAbandonedStages(const fs::path& target) {
  RemoveAbandonedDirs(Normal(target.string()).parent_path(), [](std::string_view name) {
    return name.starts_with(".") && (name.find(".backup-") != std::string_view::npos ||
                                     name.find(".restore-") != std::string_view::npos);
  });
}

Result<BackupInfo> WriteBackup(Db& db, std::string_view dest_arg) {
  if (db.read_only) {
    return Status::ReadOnly("a backup needs the store open for writing (a checkpoint)");
  }
  if (dest_arg.empty()) return Status::InvalidArgument("the backup destination is empty");
  const fs::path dest = Normal(dest_arg);
  const fs::path store = Normal(db.path);
  std::error_code ec;
  const fs::path real_store = fs::weakly_canonical(store, ec);
  const fs::path real_dest = fs::weakly_canonical(dest, ec);
  if (Within(real_dest, real_store) || Within(dest, store)) {
    return Status::InvalidArgument("the backup destination '" + dest.string() +
                                   "' is inside the store directory '" + store.string() + "'");
  }
  bool exists = false;
  if (Status s = CheckNewDirectory(dest, "the backup destination", &exists); !s.ok()) return s;
  if (exists && !IsEmptyDirectory(dest)) {
    return Status::InvalidArgument("the backup destination '" + dest.string() +
                                   "' is not empty; name a new or empty directory");
  }

  auto stage = MakeStage(dest, "backup");
  if (!stage.ok()) return stage.status();
  const RemovedAtExit remove_stage{*stage};
  const fs::path staged = *stage / "backup";

  rocksdb::Checkpoint* raw = nullptr;
  if (Status s = FromRocks(rocksdb::Checkpoint::Create(db.db.get(), &raw)); !s.ok()) {
    return s;
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: flush every column family first, so the backup is
  // mostly table files (hard links) and little WAL to replay.
  if (Status s = FromRocks(checkpoint->CreateCheckpoint(staged.string(), 0)); !s.ok()) {
    return s;
  }

  // The store's own files: pending view rebuild requests.
  const fs::path requests = store / kRequestsDir;
  if (fs::is_directory(requests, ec)) {
    fs::create_directory(staged / kRequestsDir, ec);
    for (const auto& entry : fs::directory_iterator(requests, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      const fs::path to = staged / kRequestsDir / entry.path().filename();
      std::error_code copy_ec;
      // A request consumed meanwhile is simply not in the backup.
      if (fs::copy_file(entry.path(), to, copy_ec)) {
        if (Status s = SyncPath(to, false); !s.ok()) return s;
      }
    }
  }

  auto position = ReadStorePosition(staged);
  if (!position.ok()) return position.status();
  auto files = ListFiles(staged);
  if (!files.ok()) return files.status();
  Manifest manifest{*position, std::move(files).value()};
  if (Status s = WriteManifest(staged, manifest); !s.ok()) return s;
  if (Status s = SyncPath(staged, true); !s.ok()) return s;
  if (Status s = MoveIntoPlace(staged, dest, *stage); !s.ok()) return s;

  BackupInfo info;
  info.position = manifest.position;
  info.files = manifest.files.size();
  for (const ManifestFile& f : manifest.files) info.bytes += f.size;
  return info;
}

Result<BackupInfo> RestoreBackup(std::string_view backup_arg, std::string_view path_arg,
                                 const RestoreOptions& options, const RestoreHooks& hooks) {
  if (backup_arg.empty()) return Status::InvalidArgument("the backup path is empty");
  if (path_arg.empty()) return Status::InvalidArgument("the store path is empty");
  const fs::path src = Normal(backup_arg);
  const fs::path dst = Normal(path_arg);
  std::error_code ec;
  if (!fs::is_directory(src, ec)) return Status::NotFound("no backup at '" + src.string() + "'");
  const fs::path real_src = fs::weakly_canonical(src, ec);
  const fs::path real_dst = fs::weakly_canonical(dst, ec);
  if (Within(real_dst, real_src) || Within(real_src, real_dst) || Within(dst, src) ||
      Within(src, dst)) {
    return Status::InvalidArgument("the store directory '" + dst.string() + "' and the backup '" +
                                   src.string() + "' overlap");
  }

  auto manifest = ReadManifest(src);
  if (!manifest.ok()) return manifest.status();
  bool has_current = false;
  for (const ManifestFile& f : manifest->files) {
    if (Status s = CheckBackupFile(src, f); !s.ok()) return s;
    has_current = has_current || f.name == "CURRENT";
  }
  if (!has_current) return Status::Corruption("the backup lists no CURRENT file");

  bool exists = false;
  if (Status s = CheckNewDirectory(dst, "the store directory", &exists); !s.ok()) return s;
  if (exists && !IsEmptyDirectory(dst)) {
    if (!options.overwrite) {
      return Status::InvalidArgument("the store directory '" + dst.string() +
                                     "' is not empty; restore replaces it only when told to "
                                     "overwrite (evlog restore --force)");
    }
    if (!fs::exists(dst / "CURRENT", ec)) {
      return Status::InvalidArgument("'" + dst.string() +
                                     "' is not empty and not an evlog store; restore overwrites "
                                     "only a store");
    }
    // Refuse a store some process has open: it would go on writing into the
    // replaced directory.
    Options probe;
    probe.create_if_missing = false;
    probe.block_cache_bytes = 1 << 20;
    auto db = Db::Open(probe, dst.string());
    if (!db.ok() && db.status().IsBusy()) return db.status();
  }

  auto stage = MakeStage(dst, "restore");
  if (!stage.ok()) return stage.status();
  const RemovedAtExit remove_stage{*stage};
  const fs::path staged = *stage / "store";
  BackupInfo info;
  info.position = manifest->position;
  for (const ManifestFile& f : manifest->files) {
    const fs::path to = staged / fs::path(f.name);
    fs::create_directories(to.parent_path(), ec);
    if (ec || !fs::copy_file(src / fs::path(f.name), to, ec) || ec) {
      return ErrorStatus("cannot copy backup file '" + f.name + "'", ec);
    }
    if (Status s = SyncPath(to, false); !s.ok()) return s;
    ++info.files;
    info.bytes += f.size;
  }
  auto position = ReadStorePosition(staged);
  if (!position.ok()) return position.status();
  if (*position != manifest->position) {
    return Status::Corruption("the backup holds position " + std::to_string(position->value()) +
                              ", its manifest says " + std::to_string(manifest->position.value()));
  }
  if (Status s = SyncPath(staged, true); !s.ok()) return s;
  hooks.At("copied");
  if (Status s = MoveIntoPlace(staged, dst, *stage, hooks); !s.ok()) return s;
  hooks.At("in-place");
  return info;
}

}  // namespace evlog
