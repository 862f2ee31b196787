// Child process for StoreOpen: holds a store open for writing in another
// process. Appends COUNT events to "child-1" (synced), prints "ready COUNT",
// then waits until its parent kills it.
//   store_writer_child STORE_DIR COUNT

#include <unistd.h>

#include <cstdio>
#include <string>

#include "evlog/store.h"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  auto store = evlog::Store::Open(evlog::Options{}, argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  const int count = std::stoi(argv[2]);
  for (int i = 0; i < count; ++i) {
    auto r = (*store)->Append("child-1", evlog::ExpectedVersion::Any(),
                              {evlog::EventData{.type = "T", .data = "x"}});
    if (!r.ok()) return 1;
  }
  std::printf("ready %d\n", count);
  std::fflush(stdout);
  for (;;) pause();
}
