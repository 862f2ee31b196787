#include "testutil/damage.h"

#include <fstream>

namespace evlog::testutil {

std::vector<std::filesystem::path> FilesEndingWith(const std::string& dir,
                                                   const std::string& suffix) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().ends_with(suffix)) out.push_back(entry.path());
  }
  return out;
}

bool FlipBytes(const std::filesystem::path& file, uint64_t offset, size_t count) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) return false;
  std::string bytes(count, '\0');
  f.seekg(static_cast<std::streamoff>(offset));
  f.read(bytes.data(), static_cast<std::streamsize>(count));
  for (char& c : bytes) c = static_cast<char>(~c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(count));
  return static_cast<bool>(f);
}

bool CopyAsCrashed(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive, ec);
  return !ec;
}

}  // namespace evlog::testutil
