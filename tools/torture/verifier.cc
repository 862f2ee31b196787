#include "torture/verifier.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <set>

#include "evlog/subscription.h"
#include "evlog/view.h"
#include "torture/child.h"

namespace evlog::torture {
namespace {

// The count of every stream in the view, by stream name.
std::map<std::string, uint64_t> ViewCounts(Store& store, Verification& v) {
  std::map<std::string, uint64_t> counts;
  auto rows = store.ViewScan(kViewName, "count/");
  if (!rows.ok()) {
    if (!rows.status().IsNotFound()) {
      v.problems.push_back("view scan: " + rows.status().ToString());
    }
    return counts;
  }
  for (const auto& [key, value] : *rows) counts[key.substr(6)] = std::stoull(value);
  return counts;
}

void CompareCounts(const std::map<std::string, uint64_t>& view,
                   const std::map<std::string, uint64_t>& log, const std::string& when,
                   Verification& v) {
  for (const auto& [stream, n] : log) {
    auto it = view.find(stream);
    const uint64_t got = it == view.end() ? 0 : it->second;
    if (got != n && v.problems.size() < 20) {
      v.problems.push_back("view " + when + ": " + stream + " counted " + std::to_string(got) +
                           " times, the log has " + std::to_string(n) +
                           (got > n ? " (applied twice)" : " (skipped)"));
    }
  }
  for (const auto& [stream, n] : view) {
    if (!log.contains(stream) && v.problems.size() < 20) {
      v.problems.push_back("view " + when + ": counts " + std::to_string(n) + " events of " +
                           stream + ", which has none there");
    }
  }
}

}  // namespace

Position VerifyViewAtRest(Store& store, Verification& v) {
  Position position;
  auto progress = store.GetViewProgress(kViewName);
  if (progress.ok()) {
    position = progress->position;
  } else if (!progress.status().IsNotFound()) {
    v.problems.push_back("view progress: " + progress.status().ToString());
    return position;
  }
  if (position > store.LastPosition()) {
    v.problems.push_back("view at position " + std::to_string(position.value()) +
                         ", beyond the log's last " + std::to_string(store.LastPosition().value()));
  }
  std::map<std::string, uint64_t> log;
  uint64_t total = 0;
  if (position.value() > 0) {
    Result<std::unique_ptr<EventIterator>> opened = store.ReadAll({.max_count = position.value()});
    if (!opened.ok()) {
      v.problems.push_back("reading the log: " + opened.status().ToString());
    } else {
      EventIterator& all = **opened;
      for (; all.Valid(); all.Next()) {
        ++log[std::string(all.event().stream)];
        ++total;
      }
      if (!all.status().ok()) v.problems.push_back("reading the log: " + all.status().ToString());
    }
  }
  CompareCounts(ViewCounts(store, v), log, "at rest", v);
  auto stored_total = store.ViewGet(kViewName, "total");
  const uint64_t counted =
      stored_total.ok() && stored_total->has_value() ? std::stoull(**stored_total) : 0;
  if (counted != total) {
    v.problems.push_back("view at rest: total " + std::to_string(counted) + " at position " +
                         std::to_string(position.value()) + ", the log has " +
                         std::to_string(total) + " events up to there");
  }
  return position;
}

void VerifyViewCaughtUp(Store& store, Verification& v) {
  auto view = store.OpenView(CounterViewOptions(), CountEvents);
  if (!view.ok()) {
    v.problems.push_back("view reopen: " + view.status().ToString());
    return;
  }
  if (Status s = (*view)->WaitFor(store.LastPosition(), std::chrono::seconds(60)); !s.ok()) {
    v.problems.push_back("view catch-up: " + s.ToString());
    return;
  }
  (*view)->Stop();
  std::map<std::string, uint64_t> heads;
  auto streams = store.ListStreams();
  for (const StreamInfo& s : streams.ok() ? *streams : std::vector<StreamInfo>{}) {
    heads[s.name] = s.version.value();
  }
  CompareCounts(ViewCounts(store, v), heads, "caught up", v);
}

std::vector<std::string> CheckSubscriptionRun(const SubscriptionRun& run) {
  std::vector<std::string> problems;
  uint64_t expected = run.checkpoint_before + 1;
  for (uint64_t p : run.handled) {
    if (p != expected) {
      problems.push_back("subscription handled position " + std::to_string(p) + " where " +
                         std::to_string(expected) + " was next (checkpoint before the run " +
                         std::to_string(run.checkpoint_before) + ")" +
                         (p > expected ? ": skipped" : ": out of order"));
      break;
    }
    ++expected;
  }
  const uint64_t reached = run.handled.empty() ? run.checkpoint_before : run.handled.back();
  if (run.checkpoint_after < run.checkpoint_before) {
    problems.push_back("subscription checkpoint went back from " +
                       std::to_string(run.checkpoint_before) + " to " +
                       std::to_string(run.checkpoint_after));
  }
  if (run.checkpoint_after > reached) {
    problems.push_back("subscription checkpoint " + std::to_string(run.checkpoint_after) +
                       " is beyond the last handled position " + std::to_string(reached) +
                       ": positions were skipped");
  }
  if (run.checkpoint_after > run.last_position) {
    problems.push_back("subscription checkpoint " + std::to_string(run.checkpoint_after) +
                       " is beyond the log's last position " + std::to_string(run.last_position));
  }
  return problems;
}

std::vector<uint64_t> ReadHandled(const std::string& path) {
  std::vector<uint64_t> positions;
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = text.substr(start, end - start);
    if (line.empty() || line.find_first_not_of("0123456789") != std::string::npos) {
      positions.push_back(0);  // never a position: CheckSubscriptionRun reports it
      continue;
    }
    positions.push_back(std::stoull(line));
  }
  return positions;
}

uint64_t SubscriptionCheckpoint(Store& store, std::vector<std::string>& problems) {
  auto subs = store.ListSubscriptions();
  if (!subs.ok()) {
    problems.push_back("listing subscriptions: " + subs.status().ToString());
    return 0;
  }
  for (const SubscriptionInfo& s : *subs) {
    if (s.name == kSubscriptionName) return s.checkpoint.value();
  }
  return 0;
}

Verification Verify(Store& store, const std::map<uint64_t, Ack>& acks, int retries) {
  Verification v;
  auto problem = [&](std::string what) {
    if (v.problems.size() < 20) v.problems.push_back(std::move(what));
  };

  // The global log: positions 1..N without gaps, no id twice.
  const uint64_t last = store.LastPosition().value();
  std::set<Uuid> ids;
  uint64_t expected_position = 1;
  Result<std::unique_ptr<EventIterator>> opened = store.ReadAll();
  if (!opened.ok()) {
    problem("reading the log: " + opened.status().ToString());
    return v;
  }
  EventIterator* all = opened->get();
  for (; all->Valid(); all->Next()) {
    const RecordedEvent& e = all->event();
    if (e.position.value() != expected_position) {
      problem("gap: position " + std::to_string(e.position.value()) + " follows " +
              std::to_string(expected_position - 1));
      expected_position = e.position.value();
    }
    ++expected_position;
    if (!ids.insert(e.id).second) problem("event id " + e.id.ToString() + " appears twice");
    ++v.events;
  }
  if (!all->status().ok()) problem("reading the log: " + all->status().ToString());
  if (v.events != last) {
    problem("the log holds " + std::to_string(v.events) + " events, the last position is " +
            std::to_string(last));
  }

  // Every stream: versions 1..head without a hole. Each stream is read once,
  // here: the acknowledged events are checked against what it held (one
  // ReadStream per acknowledged append made each round O(acks) reads).
  std::map<std::string, std::vector<std::pair<Position, Uuid>>> stream_events;
  auto streams = store.ListStreams();
  if (!streams.ok()) problem("listing streams: " + streams.status().ToString());
  for (const StreamInfo& s : streams.ok() ? *streams : std::vector<StreamInfo>{}) {
    auto it = store.ReadStream(s.name);
    if (!it.ok()) {
      problem("reading " + s.name + ": " + it.status().ToString());
      continue;
    }
    uint64_t version = 0;
    auto& events = stream_events[s.name];
    for (; (*it)->Valid(); (*it)->Next()) {
      if ((*it)->event().version.value() != ++version) {
        problem(s.name + ": version " + std::to_string((*it)->event().version.value()) + " where " +
                std::to_string(version) + " belongs");
        break;
      }
      events.emplace_back((*it)->event().position, (*it)->event().id);  // at version - 1
    }
    if (version != s.version.value()) {
      problem(s.name + ": " + std::to_string(version) + " events, head at " +
              std::to_string(s.version.value()));
    }
  }

  // Every acknowledged event where it was acknowledged.
  const std::vector<std::pair<Position, Uuid>> none;
  for (const auto& [op, ack] : acks) {
    uint32_t k = 0;
    for (const AckedStream& s : ack.streams) {
      auto held = stream_events.find(s.stream);
      const auto& events = held == stream_events.end() ? none : held->second;
      const uint64_t count = s.last_version.value() - s.first_version.value() + 1;
      uint64_t found = 0;
      for (; found < count && s.first_version.value() + found <= events.size(); ++found, ++k) {
        const auto& [position, id] = events[s.first_version.value() + found - 1];
        if (position.value() != s.first_position.value() + found || id != EventId(op, k)) {
          problem("op " + std::to_string(op) + ": " + s.stream + " v" +
                  std::to_string(s.first_version.value() + found) +
                  " is not the acknowledged event");
          break;
        }
        ++v.acked_events;
      }
      if (found != count) {
        problem("LOST: op " + std::to_string(op) + " acknowledged " + s.stream + " v" +
                std::to_string(s.first_version.value()) + ".." +
                std::to_string(s.last_version.value()) + ", found " + std::to_string(found));
        k += static_cast<uint32_t>(count - found);
      }
    }
  }

  // Retries of acknowledged appends are answered from the dedup index.
  if (retries > 0 && !acks.empty()) {
    const size_t step = std::max<size_t>(1, acks.size() / static_cast<size_t>(retries));
    size_t i = 0;
    for (const auto& [op, ack] : acks) {
      if (i++ % step != 0) continue;
      auto r = store.Append(RebuildAppend(ack));
      if (!r.ok() || !r->deduplicated || !SameResult(AckOf(op, *r), ack)) {
        problem("retry of op " + std::to_string(op) + " was not answered as a duplicate: " +
                (r.ok() ? "written again" : r.status().ToString()));
      }
      ++v.retries_checked;
    }
  }
  return v;
}

}  // namespace evlog::torture
