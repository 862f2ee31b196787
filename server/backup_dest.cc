// Invariant: the path returned is, after following every symbolic link that
// exists when it is returned, strictly inside the real --backup-dir.

#include "backup_dest.h"

#include <filesystem>
#include <system_error>

namespace evlog::server {

namespace fs = std::filesystem;

namespace {

// Whether `path` is strictly below `base` (both normal, absolute).
bool StrictlyInside(const fs::path& base, const fs::path& path) {
  const fs::path rel = path.lexically_relative(base);
  if (rel.empty() || rel == ".") return false;
  return *rel.begin() != "..";
}

// Without the trailing separator lexically_normal leaves ("a/b/" -> "a/b").
fs::path Normal(const fs::path& path) {
  fs::path out = path.lexically_normal();
  if (!out.has_filename() && out.has_parent_path() && out != out.root_path()) {
    out = out.parent_path();
  }
  return out;
}

}  // namespace

Result<std::string> ResolveBackupDest(const std::string& backup_dir, std::string_view dest) {
  if (backup_dir.empty()) return Status::NotSupported(kRemoteBackupDisabled);
  if (dest.empty()) return Status::InvalidArgument("the backup destination is empty");
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(fs::absolute(backup_dir, ec), ec);
  if (ec) {
    return Status::IOError("cannot resolve --backup-dir " + backup_dir + ": " + ec.message());
  }
  const fs::path given(dest);
  const fs::path joined = Normal(given.is_absolute() ? given : base / given);
  const fs::path real = Normal(fs::weakly_canonical(joined, ec));
  if (ec) {
    return Status::IOError("cannot resolve the backup destination '" + std::string(dest) +
                           "': " + ec.message());
  }
  if (!StrictlyInside(base, real)) {
    // What the file system says decides; the words say why.
    return Status::InvalidArgument(
        "the backup destination '" + std::string(dest) + "' is outside --backup-dir " +
        base.string() + (StrictlyInside(base, joined) ? " (through a symbolic link)" : ""));
  }
  return real.string();
}

}  // namespace evlog::server
