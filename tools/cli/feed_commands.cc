// The change-feed verbs: tail, subscriptions, parked, replay-parked,
// checkpoint, view.

#include <unistd.h>

#include <future>
#include <iostream>
#include <thread>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "json/event_json.h"
#include "json/spellings.h"

namespace evlog::cli {

using json::AddEventFields;
using json::Dump;
using json::Json;
using json::ObjectText;
using json::OneLine;

namespace {

// View `view`'s progress as {"view","generation","position"}.
Json ProgressJson(const std::string& view, const Store::ViewProgress& progress) {
  Json j;
  j["view"] = view;
  j["generation"] = progress.generation;
  j["position"] = progress.position.value();
  return j;
}

int PrintProgress(const std::string& view, const Store::ViewProgress& progress) {
  std::cout << Dump(ProgressJson(view, progress)) << std::endl;
  return kExitOk;
}

// A view's handler is application code, so the process that runs the view
// rebuilds it: the CLI leaves a request, then follows the progress the view
// stores, with a progress bar on a terminal.
int RebuildView(const Target& target, const std::string& name) {
  return WithStore(target, OpenMode::kRead, [&](EventStore& store) {
    auto before = store.GetViewProgress(name);
    if (!before.ok()) return ReportError(before.status());
    if (Status s = store.RequestViewRebuild(name); !s.ok()) return ReportError(s);
    const bool terminal = isatty(STDERR_FILENO) != 0;
    constexpr auto kPatience = std::chrono::seconds(15);
    auto last_change = std::chrono::steady_clock::now();
    Store::ViewProgress seen = *before;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (Status s = store.CatchUp(); !s.ok()) return ReportError(s);
      auto now = store.GetViewProgress(name);
      if (!now.ok()) return ReportError(now.status());
      if (now->generation > before->generation) {
        if (terminal) std::cerr << "\r\033[K";
        return PrintProgress(name, *now);
      }
      if (now->rebuild_position != seen.rebuild_position) {
        last_change = std::chrono::steady_clock::now();
        seen = *now;
        if (terminal && now->rebuild_target.value() > 0) {
          uint64_t done = now->rebuild_position.value(), total = now->rebuild_target.value();
          int width = 30, filled = static_cast<int>(width * std::min(done, total) / total);
          std::cerr << "\rrebuilding " << name << " [" << std::string(filled, '#')
                    << std::string(width - filled, ' ') << "] " << done << "/" << total
                    << std::flush;
        }
      } else if (std::chrono::steady_clock::now() - last_change > kPatience) {
        (void)store.CancelViewRebuild(name);
        return ReportError(
            Status::TimedOut("no process picked up the rebuild of view '" + name +
                             "' within 15 s; a view is rebuilt by the application that runs it"));
      }
    }
  });
}

// tail without --follow: what is committed now, a read of the global log
// from the start point. The log's indexes serve one filter at a time: the
// type is checked here when both are given.
Status Catch(EventStore& store, const ChangeFeedOptions& feed) {
  ReadAllOptions read;
  switch (feed.start.kind()) {
    case FeedStart::Kind::kLatest:
      return Status::OK();
    case FeedStart::Kind::kOldest:
      break;
    case FeedStart::Kind::kAt:
      read.from = feed.start.position();
      break;
    case FeedStart::Kind::kAfter:
      read.from = Position(feed.start.position().value() + 1);
      break;
  }
  read.category = feed.category;
  if (feed.category.empty()) read.event_type = feed.event_type;
  read.include_system = feed.include_system;
  const bool filter_type = !feed.category.empty() && !feed.event_type.empty();
  auto it = store.ReadAll(read);
  if (!it.ok()) return it.status();
  for (; (*it)->Valid(); (*it)->Next()) {
    if (filter_type && (*it)->event().type != feed.event_type) continue;
    if (Status s = PrintEvent((*it)->event()); !s.ok()) return s;
  }
  return (*it)->status();
}

// tail --follow: the pushed feed, printed as it comes; runs until it ends
// with an error (the process is normally stopped by a signal).
Status Follow(EventStore& store, const ChangeFeedOptions& feed) {
  std::promise<Status> ended;
  bool done = false;  // the follower's thread only
  auto end = [&](const Status& s) {
    if (!done) ended.set_value(s);
    done = true;
  };
  auto follower = store.Follow({.feed = feed}, [&](Result<std::vector<OwnedEvent>> events) {
    if (done) return;
    if (!events.ok()) return end(events.status());
    for (const OwnedEvent& e : *events) {
      if (Status s = PrintEvent(e.view()); !s.ok()) {
        std::cout.flush();
        return end(s);
      }
    }
    std::cout.flush();
  });
  if (!follower.ok()) return follower.status();
  return ended.get_future().get();
}

}  // namespace

int RunTail(const Target& target, const TailArgs& args) {
  Result<FeedStart> start = json::ParseFeedStart(args.from, "--from");
  if (!start.ok()) return ReportUsage(start.status().message());
  auto store = OpenStore(target, OpenMode::kRead);
  if (!store.ok()) return ReportOpenError(target, store.status());
  const ChangeFeedOptions feed{.start = *start,
                               .category = args.category,
                               .event_type = args.type,
                               .include_system = args.system,
                               .max_batch_events = 256};
  return FinishEvents(args.follow ? Follow(**store, feed) : Catch(**store, feed));
}

int RunSubscriptions(const Target& target) {
  return PrintLines(
      target, [](EventStore& store) { return store.ListSubscriptions(); },
      [](const SubscriptionInfo& info) {
        Json j;
        j["name"] = info.name;
        j["checkpoint"] = info.checkpoint.value();
        j["lag"] = info.lag;
        j["parked"] = info.parked;
        return j;
      });
}

int RunViews(const Target& target) {
  return PrintLines(
      target, [](EventStore& store) { return store.ListViews(); },
      [](const Store::ViewInfo& info) {
        Json j = ProgressJson(info.name, info.progress);
        j["lag"] = info.lag;
        return j;
      });
}

int RunParked(const Target& target, const std::string& name) {
  return PrintResult(
      target, OpenMode::kRead, [&](EventStore& store) { return store.ListParked(name); },
      [](const std::vector<ParkedEvent>& parked) {
        for (const ParkedEvent& p : parked) {
          if (Status s = json::CheckRenderable(p.event.view()); !s.ok()) return ReportError(s);
          ObjectText j;
          AddEventFields(p.event.view(), &j);
          j.String("error", p.error).Bool("replayed", p.replayed);
          std::cout << OneLine(j.Finish()) << '\n';
        }
        std::cout.flush();
        return kExitOk;
      });
}

int RunReplayParked(const Target& target, const std::string& name) {
  return PrintResult(
      target, OpenMode::kWrite, [&](EventStore& store) { return store.ReplayParked(name); },
      [&](uint64_t queued) {
        std::cout << Dump(Json{{"subscription", name}, {"replay_queued", queued}}) << std::endl;
        return kExitOk;
      });
}

namespace {

// {"name":..,"checkpoint":P}, the line both checkpoint verbs print.
int PrintCheckpoint(const std::string& name, Position checkpoint) {
  std::cout << Dump(Json{{"name", name}, {"checkpoint", checkpoint.value()}}) << std::endl;
  return kExitOk;
}

}  // namespace

int RunCheckpointGet(const Target& target, const std::string& name) {
  return PrintResult(
      target, OpenMode::kRead, [&](EventStore& store) { return store.GetCheckpoint(name); },
      [&](Position checkpoint) { return PrintCheckpoint(name, checkpoint); });
}

int RunCheckpointSet(const Target& target, const std::string& name, uint64_t position) {
  return WithStore(target, OpenMode::kWrite, [&](EventStore& store) {
    if (Status s = store.SetCheckpoint(name, Position(position)); !s.ok()) return ReportError(s);
    return PrintCheckpoint(name, Position(position));
  });
}

int RunView(const Target& target, const std::string& name, const std::string& action,
            const std::string& argument, std::chrono::milliseconds wait_timeout) {
  if (action == "rebuild") return RebuildView(target, name);
  if (action != "get" && action != "scan" && action != "wait") {
    return ReportUsage("view actions are get KEY, scan PREFIX, wait POSITION and rebuild, not '" +
                       action + "'");
  }
  uint64_t wait_for = 0;
  if (action == "wait" && !ParseUint(argument, &wait_for)) {
    return ReportUsage("view wait needs a position, not '" + argument + "'");
  }
  return WithStore(target, OpenMode::kRead, [&](EventStore& store) {
    if (action == "wait") {
      auto progress = store.ViewWait(name, Position(wait_for), wait_timeout);
      if (!progress.ok()) return ReportError(progress.status());
      return PrintProgress(name, *progress);
    }
    if (action == "get") {
      auto value = store.ViewGet(name, argument);
      if (!value.ok()) return ReportError(value.status());
      if (!value->has_value()) {
        return ReportError(Status::NotFound("view '" + name + "' has no key '" + argument + "'"));
      }
      std::cout << OneLine(ObjectText().String("key", argument).Value("value", **value).Finish())
                << std::endl;
      return kExitOk;
    }
    auto rows = store.ViewScan(name, argument);
    if (!rows.ok()) return ReportError(rows.status());
    for (const auto& [key, value] : *rows) {
      std::cout << OneLine(ObjectText().String("key", key).Value("value", value).Finish()) << '\n';
    }
    std::cout.flush();
    return kExitOk;
  });
}

}  // namespace evlog::cli
