// Appends one event to a new store and reads it back; exits 0 on success.
#include <evlog/store.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto store = evlog::Store::Open(evlog::Options{}, argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  auto r = (*store)->Append("greeting-1", evlog::ExpectedVersion::NoStream(),
                            {evlog::EventData{.type = "Said", .data = "hello"}});
  if (!r.ok()) return 1;
  auto it = (*store)->ReadStream("greeting-1");
  if (!it.ok() || !(*it)->Valid() || (*it)->event().data != "hello") return 1;
  std::printf("read back '%s' at position %llu\n", std::string((*it)->event().data).c_str(),
              static_cast<unsigned long long>((*it)->event().position.value()));
  return 0;
}
