// Child process for ViewCrash: appends events and runs the counting view,
// printing one line per applied position, until its parent kills it.
//   view_crash_child STORE_DIR

#include <cstdio>

#include "evlog/store.h"
#include "view_counter.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto store = evlog::Store::Open(evlog::Options{}, argv[1]);
  if (!store.ok()) return 1;
  auto view = (*store)->OpenView({.name = "counter", .feed = {.max_batch_events = 7}},
                                 evlog::testutil::CountEvents);
  if (!view.ok()) return 1;
  for (uint64_t i = 0;; ++i) {
    auto r = (*store)->Append("s-" + std::to_string(i % 5), evlog::ExpectedVersion::Any(),
                              {evlog::EventData{.type = "T", .data = "x"}},
                              evlog::Durability::kBuffered);
    if (!r.ok()) return 1;
    if (!(*view)->WaitFor(r->streams[0].last_position, std::chrono::seconds(30)).ok()) return 1;
    std::printf("%llu\n", static_cast<unsigned long long>(r->streams[0].last_position.value()));
    std::fflush(stdout);
  }
}
