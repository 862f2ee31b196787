// torture: kill a writing process at random moments and check that nothing
// it acknowledged was lost (torture.h).
//
//   torture [--db DIR] [--kills N] [--threads T] [--seed S] [--min-ms A] [--max-ms B]
//
// Prints one JSON object: kills survived, appends acknowledged, events in the
// log at the last check, retries answered from the dedup index, the view's
// position at rest after the last kill, events the subscription handled over
// all runs and its last checkpoint, problems. Beside the store it keeps
// DIR.handled, the subscription's side file.
// Exit status 0 when there are none, 1 otherwise, 2 for a usage error.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "harness/run_on_store.h"
#include "torture/torture.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  using evlog::torture::ChildOptions;
  using evlog::torture::TortureOptions;

  CLI::App app{
      "torture: SIGKILL a process appending with kSync (and running a view and a "
      "subscription), reopen, check nothing acknowledged was lost, the view applied every "
      "event once, the subscription skipped none"};
  TortureOptions o;
  app.add_option("--db", o.db, "the store (default: a temporary directory, removed afterwards)");
  app.add_option("--kills", o.kills, "rounds of start, wait, SIGKILL, verify")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--threads", o.threads, "appending threads in the child")
      ->check(CLI::Range(1, 64));
  app.add_option("--seed", o.seed, "seeds the timing and the appends");
  app.add_option("--min-ms", o.min_ms, "shortest life of a child")->check(CLI::Range(1, 60'000));
  app.add_option("--max-ms", o.max_ms, "longest life of a child")->check(CLI::Range(1, 60'000));
  app.add_flag("--progress", o.progress, "a line on stderr every 50 kills");

  ChildOptions child;
  auto* child_cmd = app.add_subcommand("child", "");
  child_cmd->group("");  // internal: the process that gets killed
  child_cmd->add_option("--db", child.db)->required();
  child_cmd->add_option("--run", child.run)->required();
  child_cmd->add_option("--threads", child.threads)->required();
  child_cmd->add_option("--seed", child.seed)->required();
  child_cmd->add_option("--handled", child.handled)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*child_cmd) return evlog::torture::RunChild(child);
  if (o.max_ms < o.min_ms) {
    std::fprintf(stderr, "torture: --max-ms is below --min-ms\n");
    return 2;
  }

  std::error_code ec;
  o.self = fs::read_symlink("/proc/self/exe", ec).string();
  auto r = evlog::harness::RunOnStoreUnlessGiven("evlog-torture", &o.db,
                                                 [&] { return evlog::torture::RunTorture(o); });
  if (!r) return 1;
  nlohmann::json out = {{"kills", r->kills},
                        {"acknowledged_appends", r->acknowledged_appends},
                        {"events_verified", r->events_verified},
                        {"retries_checked", r->retries_checked},
                        {"view_position", r->view_position},
                        {"subscription_handled", r->subscription_handled},
                        {"subscription_checkpoint", r->subscription_checkpoint},
                        {"problems", r->problems}};
  std::printf("%s\n", out.dump().c_str());
  return r->problems.empty() ? 0 : 1;
}
