#include "owned_dir.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <system_error>

namespace evlog {

namespace fs = std::filesystem;

Result<fs::path> MakeOwnedDir(const fs::path& parent, std::string_view prefix) {
  std::string dir = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (mkdtemp(dir.data()) == nullptr) {
    return Status::IOError("cannot create a temporary directory in '" + parent.string() + "'");
  }
  if (!(std::ofstream(fs::path(dir) / "pid") << getpid()).flush()) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return Status::IOError("cannot write " + dir + "/pid");
  }
  return fs::path(dir);
}

void RemoveAbandonedDirs(const fs::path& parent,
                         const std::function<bool(std::string_view name)>& ours) {
  std::error_code ec;
  fs::directory_iterator it(parent, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (!ours(it->path().filename().string())) continue;
    std::error_code type_ec;
    if (!it->is_directory(type_ec) || it->is_symlink(type_ec)) continue;
    std::ifstream in(it->path() / "pid");
    pid_t owner = 0;
    if (!(in >> owner) || owner <= 0) continue;
    if (kill(owner, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

}  // namespace evlog
