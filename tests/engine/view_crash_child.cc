// Child process for the view crash tests, killed by its parent with SIGKILL.
//
//   view_crash_child STORE_DIR
//     appends events and runs the counting view, printing one line per
//     applied position, until killed.
//   view_crash_child STORE_DIR replay K VIEW
//     runs the counting view VIEW over the store's log (far behind, so its
//     batches grow: 7 events, up to 500) and, once the handler has run for
//     the K-th batch, prints "<position before the batch> <events in it>"
//     and waits to be killed before that batch commits.

#include <unistd.h>

#include <cstdio>
#include <string>

#include "evlog/store.h"
#include "view_counter.h"

namespace {

int AppendAndApply(evlog::Store& store) {
  auto view = store.OpenView({.name = "counter", .feed = {.max_batch_events = 7}},
                             evlog::testutil::CountEvents);
  if (!view.ok()) return 1;
  for (uint64_t i = 0;; ++i) {
    auto r = store.Append("s-" + std::to_string(i % 5), evlog::ExpectedVersion::Any(),
                          {evlog::EventData{.type = "T", .data = "x"}},
                          evlog::Durability::kBuffered);
    if (!r.ok()) return 1;
    if (!(*view)->WaitFor(r->streams[0].last_position, std::chrono::seconds(30)).ok()) return 1;
    std::printf("%llu\n", static_cast<unsigned long long>(r->streams[0].last_position.value()));
    std::fflush(stdout);
  }
}

int ReplayUntilBatch(evlog::Store& store, int k, const std::string& name) {
  int batches = 0;
  auto view = store.OpenView(
      {.name = name, .feed = {.max_batch_events = 7}, .max_catch_up_batch_events = 500},
      [&](const std::vector<evlog::OwnedEvent>& events, evlog::ViewWriter& out) {
        evlog::Status s = evlog::testutil::CountEvents(events, out);
        if (++batches == k) {
          std::printf("%llu %zu\n",
                      static_cast<unsigned long long>(events.front().position.value() - 1),
                      events.size());
          std::fflush(stdout);
          for (;;) pause();  // killed here: the batch's rows are not written
        }
        return s;
      });
  if (!view.ok()) return 1;
  (void)(*view)->WaitFor(store.LastPosition(), std::chrono::minutes(5));
  return 3;  // the replay ended before batch K
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 5 && std::string(argv[2]) == "replay")) return 2;
  auto store = evlog::Store::Open(evlog::Options{}, argv[1]);
  if (!store.ok()) return 1;
  if (argc == 5) return ReplayUntilBatch(**store, std::stoi(argv[3]), argv[4]);
  return AppendAndApply(**store);
}
