// The change-feed verbs: tail, subscriptions, parked, replay-parked, view.

#include <charconv>
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/event_json.h"

namespace evlog::cli {

namespace {

bool ParseStart(const std::string& text, FeedStart* out) {
  if (text == "oldest") {
    *out = FeedStart::Oldest();
    return true;
  }
  if (text == "latest") {
    *out = FeedStart::Latest();
    return true;
  }
  uint64_t p = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, p);
  if (ec != std::errc() || ptr != end || text.empty()) return false;
  *out = FeedStart::At(Position(p));
  return true;
}

}  // namespace

int RunTail(const std::string& db, const TailArgs& args) {
  FeedStart start = FeedStart::Oldest();
  if (!ParseStart(args.from, &start)) {
    return ReportUsage("--from must be oldest, latest or a position, not '" + args.from + "'");
  }
  auto store = OpenStore(db, /*write=*/false);
  if (!store.ok()) return ReportError(store.status());
  auto feed = (*store)->OpenFeed({.start = start,
                                  .category = args.category,
                                  .event_type = args.type,
                                  .max_batch_events = 256});
  if (!feed.ok()) return ReportError(feed.status());
  FeedBatch batch;
  for (;;) {
    // Without --follow, print what is committed now and stop.
    auto timeout = args.follow ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0);
    const Position before = (*feed)->position();
    if (Status s = (*feed)->Next(timeout, &batch); !s.ok()) return ReportError(s);
    for (const OwnedEvent& e : batch.events) {
      std::cout << Dump(EventToJson(e.view())) << '\n';
    }
    std::cout.flush();
    // An empty batch that moved the position only skipped filtered events.
    if (batch.events.empty() && !args.follow && batch.position == before) return kExitOk;
  }
}

int RunSubscriptions(const std::string& db) {
  auto store = OpenStore(db, /*write=*/false);
  if (!store.ok()) return ReportError(store.status());
  auto subs = (*store)->ListSubscriptions();
  if (!subs.ok()) return ReportError(subs.status());
  for (const SubscriptionInfo& info : *subs) {
    Json j;
    j["name"] = info.name;
    j["checkpoint"] = info.checkpoint.value();
    j["lag"] = info.lag;
    j["parked"] = info.parked;
    std::cout << Dump(j) << '\n';
  }
  std::cout.flush();
  return kExitOk;
}

int RunParked(const std::string& db, const std::string& name) {
  auto store = OpenStore(db, /*write=*/false);
  if (!store.ok()) return ReportError(store.status());
  auto parked = (*store)->ListParked(name);
  if (!parked.ok()) return ReportError(parked.status());
  for (const ParkedEvent& p : *parked) {
    Json j = EventToJson(p.event.view());
    j["error"] = p.error;
    j["replayed"] = p.replayed;
    std::cout << Dump(j) << '\n';
  }
  std::cout.flush();
  return kExitOk;
}

int RunReplayParked(const std::string& db, const std::string& name) {
  auto store = OpenStore(db, /*write=*/true);
  if (!store.ok()) return ReportError(store.status());
  auto queued = (*store)->ReplayParked(name);
  if (!queued.ok()) return ReportError(queued.status());
  Json j;
  j["subscription"] = name;
  j["replay_queued"] = *queued;
  std::cout << Dump(j) << std::endl;
  return kExitOk;
}

int RunView(const std::string& db, const std::string& name, const std::string& action,
            const std::string& argument) {
  if (action == "rebuild") {
    // The view's handler is application code: only the process that runs
    // the view can recompute it (View::Rebuild).
    return ReportError(Status::NotSupported("view '" + name +
                                            "' can only be rebuilt by the application that runs it "
                                            "(View::Rebuild); the CLI has no handler for it"));
  }
  if (action != "get" && action != "scan") {
    return ReportUsage("view actions are get KEY, scan PREFIX and rebuild, not '" + action + "'");
  }
  auto store = OpenStore(db, /*write=*/false);
  if (!store.ok()) return ReportError(store.status());
  if (action == "get") {
    auto value = (*store)->ViewGet(name, argument);
    if (!value.ok()) return ReportError(value.status());
    if (!value->has_value()) {
      return ReportError(Status::NotFound("view '" + name + "' has no key '" + argument + "'"));
    }
    Json j;
    j["key"] = argument;
    Json parsed = Json::parse(**value, nullptr, /*allow_exceptions=*/false);
    j["value"] = parsed.is_discarded() ? Json(**value) : parsed;
    std::cout << Dump(j) << std::endl;
    return kExitOk;
  }
  auto rows = (*store)->ViewScan(name, argument);
  if (!rows.ok()) return ReportError(rows.status());
  for (const auto& [key, value] : *rows) {
    Json j;
    j["key"] = key;
    Json parsed = Json::parse(value, nullptr, /*allow_exceptions=*/false);
    j["value"] = parsed.is_discarded() ? Json(value) : parsed;
    std::cout << Dump(j) << '\n';
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace evlog::cli
