// V1: the view is the engine's (view.h); its handler counts a batch's events
// per stream in memory first, so each batch reads and writes one row per
// stream it touches, as an application's counter would.

#include "view_workload.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_util.h"
#include "target.h"

namespace evlog::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Events per batch while the view keeps up: as F1's feeds (a view's default
// is a Lambda's 25). Behind (the replay), batches grow to ViewOptions'
// catch-up bounds, left at their defaults.
constexpr size_t kViewBatch = 1000;
constexpr auto kCatchUpTimeout = std::chrono::minutes(5);

Status CountPerStream(const std::vector<OwnedEvent>& events, ViewWriter& out) {
  std::unordered_map<std::string_view, int64_t> batch;
  for (const OwnedEvent& e : events) ++batch[e.stream];
  std::string key;
  for (const auto& [stream, n] : batch) {
    key.assign("count/").append(stream);
    auto current = out.Get(key);
    if (!current.ok()) return current.status();
    const int64_t before = current->has_value() ? std::stoll(**current) : 0;
    out.Put(key, std::to_string(before + n));
  }
  return Status::OK();
}

std::unique_ptr<View> OpenCounter(Store& store, const std::string& name) {
  auto view =
      store.OpenView({.name = name, .feed = {.max_batch_events = kViewBatch}}, CountPerStream);
  if (!view.ok()) throw std::runtime_error("V1: " + view.status().ToString());
  return std::move(view).value();
}

void WaitFor(View& view, Position last) {
  if (Status s = view.WaitFor(
          last, std::chrono::duration_cast<std::chrono::milliseconds>(kCatchUpTimeout));
      !s.ok()) {
    throw std::runtime_error("V1: the view did not catch up: " + s.ToString());
  }
}

// Every stream of W1's round-robin has its count, and they add up.
void CheckCounts(View& view, int64_t appends) {
  auto rows = view.Scan("count/");
  if (!rows.ok()) throw std::runtime_error("V1: " + rows.status().ToString());
  const int64_t streams = std::min<int64_t>(appends, kStreams);
  if (static_cast<int64_t>(rows->size()) != streams) {
    throw std::runtime_error("V1: " + std::to_string(rows->size()) + " counters, expected " +
                             std::to_string(streams));
  }
  std::string name;
  for (int64_t i = 0; i < streams; ++i) {
    StreamName(static_cast<uint64_t>(i), &name);
    auto value = view.Get("count/" + name);
    const int64_t expected = appends / kStreams + (i < appends % kStreams ? 1 : 0);
    if (!value.ok() || !value->has_value() || std::stoll(**value) != expected) {
      throw std::runtime_error("V1: wrong count for " + name);
    }
  }
}

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

Measurement ViewApply(Store& store, int64_t appends, const std::function<void()>& write) {
  Measurement m{.events = appends};
  {
    std::unique_ptr<View> view = OpenCounter(store, "counts");
    const auto start = Clock::now();
    write();
    const auto written = Clock::now();
    const Position at_end = view->position();
    const Position last = store.LastPosition();
    WaitFor(*view, last);
    const auto caught_up = Clock::now();
    if (last.value() != static_cast<uint64_t>(appends)) {
      throw std::runtime_error("V1: W1 left the log at " + std::to_string(last.value()));
    }
    m.seconds = Seconds(start, caught_up);
    m.lag_ms = Seconds(written, caught_up) * 1e3;
    m.lag_events = static_cast<int64_t>(last.value() - at_end.value());
    view->Stop();
    CheckCounts(*view, appends);
  }
  const auto start = Clock::now();
  std::unique_ptr<View> replay = OpenCounter(store, "counts-replay");
  WaitFor(*replay, store.LastPosition());
  m.replay_events_per_s = static_cast<double>(appends) / Seconds(start, Clock::now());
  replay->Stop();
  CheckCounts(*replay, appends);
  return m;
}

}  // namespace evlog::bench
