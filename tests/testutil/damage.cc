#include "testutil/damage.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <fstream>
#include <memory>

namespace evlog::testutil {

std::vector<std::filesystem::path> FilesEndingWith(const std::string& dir,
                                                   const std::string& suffix) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().ends_with(suffix)) out.push_back(entry.path());
  }
  return out;
}

std::vector<std::filesystem::path> TableFilesOf(const std::string& dir, const std::string& family) {
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok()) return {};
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, families, &handles, &raw).ok()) {
    return {};
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<rocksdb::LiveFileMetaData> files;
  db->GetLiveFilesMetaData(&files);
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.smallestkey < b.smallestkey; });
  std::vector<std::filesystem::path> out;
  for (const auto& f : files) {
    if (f.column_family_name == family)
      out.push_back(std::filesystem::path(dir) / f.relative_filename);
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db->Close().PermitUncheckedError();
  return out;
}

bool TruncateFile(const std::filesystem::path& file, uint64_t size) {
  std::error_code ec;
  std::filesystem::resize_file(file, size, ec);
  return !ec;
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
