// Child process: opens a store for writing in another process, appends
// COUNT events to "child-1" (synced) and prints "ready COUNT". Then, by
// default, waits until its parent kills it (StoreOpen: the store stays
// locked; Follower: a writer killed after its append was acknowledged);
// with "close", closes the store and exits 0 (Follower: a writer process
// per append, whose close flushes and deletes its WAL).
//   store_writer_child STORE_DIR COUNT [close]

#include <unistd.h>

#include <cstdio>
#include <string>

#include "evlog/store.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) return 2;
  const bool close = argc == 4 && std::string(argv[3]) == "close";
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
  if (close) {
    store->reset();
    return 0;
  }
  for (;;) pause();
}
