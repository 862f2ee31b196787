#include "harness/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace evlog::harness {

TempDir::TempDir(const std::string& parent, const std::string& prefix) {
  namespace fs = std::filesystem;
  const fs::path where = parent.empty() ? fs::temp_directory_path() : fs::path(parent);
  std::error_code ec;
  fs::create_directories(where, ec);
  std::string pattern = (where / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot make a directory in " + where.string() + ": " +
                             std::strerror(errno));
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool TempStoreUnlessGiven(const std::string& prefix, std::string* db,
                          std::unique_ptr<TempDir>* temp) {
  if (!db->empty()) return true;
  try {
    *temp = std::make_unique<TempDir>("", prefix);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return false;
  }
  *db = (*temp)->Sub("store");
  return true;
}

}  // namespace evlog::harness
