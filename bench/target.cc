#include "target.h"

#include <charconv>
#include <cstring>

namespace evlog::bench {

std::unique_ptr<Target> OpenEvlogTarget(const std::string& dir, const TargetOptions& options);
std::unique_ptr<Target> OpenRocksDbTarget(const std::string& dir, const TargetOptions& options);
std::unique_ptr<Target> OpenSqliteTarget(const std::string& dir, const TargetOptions& options);

namespace {
// Each system with its name on the command line and in reports.
constexpr std::pair<System, const char*> kSystems[] = {
    {System::kEvlog, "evlog"},
    {System::kRocksDbRaw, "rocksdb-raw"},
    {System::kSqlite, "sqlite"},
};
}  // namespace

const char* SystemName(System system) {
  for (const auto& [s, name] : kSystems) {
    if (s == system) return name;
  }
  return "?";
}

bool ParseSystem(const std::string& name, System* system) {
  for (const auto& [s, system_name] : kSystems) {
    if (name == system_name) {
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

namespace {

// splitmix64's finalizer after adding a constant: a bijection of the
// 64-bit integers (each step is), whose outputs look random. Mix(n) == 0
// only for n == 2^64 - 0x9e3779b97f4a7c15.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::array<uint8_t, 16> EventId(uint64_t n, uint64_t version) {
  // Distinct for every (n, version): the high half determines n (Mix is a
  // bijection) and, for one n, the low half determines the version. Never
  // nil (which means "no id" to the engine): the high half is 0 only for
  // an n no run reaches.
  const uint64_t high = Mix(n);
  const uint64_t low = Mix(high ^ version);
  std::array<uint8_t, 16> id;
  for (size_t i = 0; i < 8; ++i) {
    id[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    id[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
  }
  return id;
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
