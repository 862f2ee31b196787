#include "target.h"

#include <charconv>
#include <cstring>

namespace evlog::bench {

std::unique_ptr<Target> OpenEvlogTarget(const std::string& dir, const TargetOptions& options);
std::unique_ptr<Target> OpenRocksDbTarget(const std::string& dir, const TargetOptions& options);
std::unique_ptr<Target> OpenSqliteTarget(const std::string& dir, const TargetOptions& options);

const char* SystemName(System system) {
  switch (system) {
    case System::kEvlog:
      return "evlog";
    case System::kRocksDbRaw:
      return "rocksdb-raw";
    case System::kSqlite:
      return "sqlite";
  }
  return "?";
}

bool ParseSystem(const std::string& name, System* system) {
  for (System s : {System::kEvlog, System::kRocksDbRaw, System::kSqlite}) {
    if (name == SystemName(s)) {
      *system = s;
      return true;
    }
  }
  return false;
}

void StreamName(uint64_t n, std::string* out) {
  char digits[20];
  auto end = std::to_chars(digits, digits + sizeof(digits), n).ptr;
  out->assign("stream-");
  out->append(digits, end);
}

std::unique_ptr<Target> OpenTarget(System system, const std::string& dir,
                                   const TargetOptions& options) {
  switch (system) {
    case System::kEvlog:
      return OpenEvlogTarget(dir, options);
    case System::kRocksDbRaw:
      return OpenRocksDbTarget(dir, options);
    case System::kSqlite:
      return OpenSqliteTarget(dir, options);
  }
  return nullptr;
}

}  // namespace evlog::bench
