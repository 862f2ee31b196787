// `consume` prints a batch, flushes it, and only then acknowledges it, so
// an event is acknowledged only once it is out; what it has not printed
// (after --count, on a kill) is left for the other consumers.

#include "cli/subscription_commands.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "json/event_json.h"
#include "json/spellings.h"

namespace evlog::cli {

namespace {

// How long one wait for events lasts; consume without --follow stops once
// caught up, however long it waited.
constexpr auto kPoll = std::chrono::milliseconds(500);

int RunCreate(const SubscriptionCommands& c, const Target& target) {
  HostedSubscriptionSpec spec{.name = c.name,
                              .category = c.category,
                              .event_type = c.type,
                              .stream_prefix = c.prefix,
                              .max_attempts = c.max_attempts};
  Result<FeedStart> start = json::ParseFeedStart(c.from, "--from");
  if (!start.ok()) return ReportUsage(start.status().message());
  spec.start = *start;
  if (!(c.ack_timeout_s > 0) || c.ack_timeout_s > 86400) {
    return ReportUsage("--ack-timeout must be between 0 and 86400 seconds");
  }
  spec.ack_timeout = std::chrono::milliseconds(static_cast<int64_t>(c.ack_timeout_s * 1000));
  if (spec.ack_timeout.count() == 0) spec.ack_timeout = std::chrono::milliseconds(1);
  return WithStore(target, OpenMode::kWrite, [&](EventStore& store) {
    Result<bool> created = store.CreateSubscription(spec);
    if (!created.ok()) return ReportError(created.status());
    auto checkpoint = store.GetCheckpoint(spec.name);
    if (!checkpoint.ok()) return ReportError(checkpoint.status());
    json::Json j;
    j["subscription"] = spec.name;
    j["created"] = *created;
    j["checkpoint"] = checkpoint->value();
    std::cout << json::Dump(j) << std::endl;
    return kExitOk;
  });
}

int RunDeleteSubscription(const SubscriptionCommands& c, const Target& target) {
  return WithStore(target, OpenMode::kWrite, [&](EventStore& store) {
    if (Status s = store.DeleteSubscription(c.name); !s.ok()) return ReportError(s);
    std::cout << json::Dump(json::Json{{"subscription", c.name}, {"deleted", true}}) << std::endl;
    return kExitOk;
  });
}

// Runs `command` with the batch as JSON lines on its stdin; its exit status
// (non-zero, or -1 if it could not run or died of a signal).
int Exec(const std::string& command, const std::vector<HostedEvent>& batch) {
  std::cout.flush();
  FILE* pipe = popen(command.c_str(), "w");
  if (pipe == nullptr) return -1;
  // A command that exits without reading its stdin must not kill us with
  // SIGPIPE; ignored only here, after the fork, so CMD keeps the default.
  struct sigaction ignore = {}, saved = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &saved);
  for (const HostedEvent& e : batch) {
    const std::string line = json::OneLine(json::EventText(e.event.view())) + "\n";
    if (fwrite(line.data(), 1, line.size(), pipe) != line.size()) break;
  }
  fflush(pipe);
  const int status = pclose(pipe);
  sigaction(SIGPIPE, &saved, nullptr);
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// Cuts `batch` before its first event that cannot be rendered (stored beyond
// the JSON limits): that event's position and why, or OK if there is none.
Status CutAtUnrenderable(std::vector<HostedEvent>* batch, Position* poison) {
  for (size_t i = 0; i < batch->size(); ++i) {
    Status s = json::CheckRenderable((*batch)[i].event.view());
    if (!s.ok()) {
      *poison = (*batch)[i].event.position;
      batch->resize(i);
      return s;
    }
  }
  return Status::OK();
}

int RunConsume(const SubscriptionCommands& c, const Target& target) {
  if (c.batch == 0) return ReportUsage("--batch must be at least 1");
  return WithStore(target, OpenMode::kWrite, [&](EventStore& store) {
    auto consumer = store.Consume(c.name);
    if (!consumer.ok()) return ReportError(consumer.status());
    uint64_t printed = 0;
    // The first event that could not be rendered: the run goes on past it
    // and ends as corruption.
    Status unrenderable;
    auto finish = [&] { return unrenderable.ok() ? kExitOk : ReportError(unrenderable); };
    for (;;) {
      SubscriptionConsumer& sub = **consumer;
      if (c.count && printed >= *c.count) return finish();
      // Once an event could not be rendered, one at a time: the events a
      // batch holds after it are given back by a detach, and a detach
      // counts as a failed delivery (parking them with it at the end).
      uint64_t max = unrenderable.ok() ? c.batch : 1;
      if (c.count) max = std::min(max, *c.count - printed);
      auto batch = sub.Next(max, kPoll);
      if (!batch.ok()) return FinishEvents(batch.status());
      if (batch->empty()) {
        if (!c.follow && sub.CaughtUp()) return finish();
        continue;
      }
      Position poison;
      const Status cut = CutAtUnrenderable(&*batch, &poison);
      if (!c.exec.empty() && !batch->empty()) {
        const int code = Exec(c.exec, *batch);
        if (code != 0) {
          const std::string reason = "--exec exited " + std::to_string(code);
          for (const HostedEvent& e : *batch) {
            if (Status s = sub.Nack(e.event.position, reason); !s.ok()) return ReportError(s);
          }
          batch->clear();
        }
      } else {
        for (const HostedEvent& e : *batch) {
          if (Status s = PrintEvent(e.event.view()); !s.ok()) return ReportError(s);
        }
        std::cout.flush();
        if (!std::cout) return ReportError(Status::IOError("stdout is closed"));
      }
      printed += batch->size();
      if (Status s = sub.Ack(*batch); !s.ok()) return ReportError(s);
      if (cut.ok()) continue;
      // It will never render here: nacked each time it comes, it is parked
      // after max_attempts deliveries rather than stopping every run.
      if (unrenderable.ok()) unrenderable = cut;
      if (Status s = sub.Nack(poison, cut.message()); !s.ok()) return ReportError(s);
      // The events of the batch after it are given back (and stay in
      // order); the new consumer attaches before this one detaches, so
      // the subscription's broker (and its timers) stays.
      auto fresh = store.Consume(c.name);
      if (!fresh.ok()) return ReportError(fresh.status());
      consumer = std::move(fresh);
    }
  });
}

}  // namespace

void AddSubscriptionCommands(CLI::App& app, SubscriptionCommands* out) {
  auto* group =
      app.add_subcommand("subscription", "Create or delete a hosted subscription (consume NAME)");
  group->require_subcommand(1);
  out->create = group->add_subcommand("create", "Create a hosted subscription");
  out->create->add_option("name", out->name, "Subscription name")->required();
  out->create->add_option("--category", out->category, "Only streams of this category");
  out->create->add_option("--type", out->type, "Only events of this type");
  out->create->add_option("--prefix", out->prefix, "Only streams whose names start with this");
  out->create->add_option("--from", out->from, "oldest (default), latest or a position");
  out->create->add_option("--max-attempts", out->max_attempts,
                          "Deliveries before a failing event is parked (default 5)")
      ->check(CLI::Range(1u, 1000000u));
  out->create->add_option("--ack-timeout", out->ack_timeout_s,
                          "Seconds before an unacknowledged event is redelivered (default 30)");
  out->remove = group->add_subcommand("delete", "Delete a hosted subscription");
  out->remove->add_option("name", out->name, "Subscription name")->required();

  out->consume = app.add_subcommand(
      "consume", "Print a hosted subscription's events as JSON lines, acknowledging each batch");
  out->consume->add_option("name", out->name, "Subscription name")->required();
  out->consume->add_option("--count", out->count, "Stop after N events (the rest stay for others)")
      ->check(CLI::Range(uint64_t{1}, UINT64_MAX));
  out->consume->add_flag("--follow", out->follow, "Keep waiting for new events");
  out->consume->add_option("--batch", out->batch, "Most events per batch (default 25)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10000}));
  out->consume->add_option("--exec", out->exec,
                           "Run CMD per batch, events on its stdin: exit 0 acks, else nacks");
}

std::optional<int> RunSubscriptionCommands(const SubscriptionCommands& commands,
                                           const Target& target) {
  if (commands.create->parsed()) return RunCreate(commands, target);
  if (commands.remove->parsed()) return RunDeleteSubscription(commands, target);
  if (commands.consume->parsed()) return RunConsume(commands, target);
  return std::nullopt;
}

}  // namespace evlog::cli
