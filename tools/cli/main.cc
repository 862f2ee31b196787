// evlog: the command-line tool. Parses flags and dispatches to commands.cc.

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/subscription_commands.h"
#include "command_line/address.h"
#include "command_line/parse.h"
#include "json/decimal.h"

namespace {

// CLI11 would read "-1" into a uint64_t as 2^64-1, and 2^64 as something:
// counts, versions and positions take the shared parser's forms only.
const CLI::Validator kUnsigned(
    [](std::string& text) -> std::string {
      if (evlog::json::ParseUnsigned(text, "").ok()) return "";
      return "must be a non-negative integer below 2^64";
    },
    "UINT");

// CLI11 reports "A subcommand is required" before the word it did not
// know: name that word instead.
std::string UsageMessage(const CLI::App& app, const CLI::ParseError& e) {
  if (!app.get_subcommands().empty() || dynamic_cast<const CLI::RequiredError*>(&e) == nullptr) {
    return e.what();
  }
  const std::vector<std::string> rest = app.remaining();
  if (rest.empty()) return "a verb is required; run evlog --help";
  return (rest.front().starts_with('-') ? "unknown flag '" : "unknown verb '") + rest.front() +
         "'; run evlog --help";
}

// Checks --db, --connect and --token-file against each other and fills
// `target`; false with the usage error otherwise.
bool MakeTarget(std::string db, const std::string& connect, const std::string& token_file,
                evlog::cli::Target* target, std::string* error) {
  if (!db.empty() && !connect.empty()) {
    *error = "--db and --connect do not go together";
    return false;
  }
  if (db.empty() && connect.empty()) {
    *error = "--db DIR or --connect HOST:PORT is required";
    return false;
  }
  if (!token_file.empty() && connect.empty()) {
    *error = "--token-file goes with --connect";
    return false;
  }
  target->db = std::move(db);
  if (connect.empty()) return true;
  auto address = evlog::command_line::ParseHostPort(connect, "--connect");
  if (!address.ok()) {
    *error = address.status().message();
    return false;
  }
  target->connect = connect;
  target->host = address->host;
  target->port = address->port;
  if (!token_file.empty()) {
    auto token = evlog::command_line::ReadTokenFile(token_file);
    if (!token.ok()) {
      *error = token.status().message();
      return false;
    }
    target->token = *token;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace evlog::cli;
  CLI::App app{"evlog: an embedded event store. Output is JSON lines; see docs/cli.md."};
  app.require_subcommand(1);
  std::string db_dir, connect, token_file;
  app.add_option("--db", db_dir, "Store directory");
  app.add_option("--connect", connect, "HOST:PORT of an evlogd to talk to instead of --db");
  app.add_option("--token-file", token_file, "File holding evlogd's token (with --connect)");

  AppendArgs append;
  auto* append_cmd = app.add_subcommand(
      "append", "Append events to a stream (or, without STREAM, to the streams stdin names)");
  append_cmd->add_option("stream", append.stream,
                         "Stream name; none: each stdin line names its \"stream\"");
  append_cmd->add_option("--expect-stream", append.expect_streams,
                         "STREAM=EXPECTED for a stream of a multi-stream append (repeatable)");
  append_cmd->add_option("--type", append.type, "Event type (one event; else JSON lines on stdin)");
  append_cmd->add_option("--data", append.data, "Event data, JSON");
  append_cmd->add_option("--metadata", append.metadata, "Event metadata, JSON");
  append_cmd->add_option("--id", append.id, "Event id, a UUID (for idempotent retries)");
  append_cmd->add_option("--expect", append.expect, "any | no_stream | stream_exists | N");
  append_cmd->add_option("--durability", append.durability, "sync (default) | buffered");
  append_cmd->add_option("--duplicates", append.duplicates,
                         "error (default) | skip: leave out events whose ids were committed");
  append_cmd->add_flag("--each", append.each, "Append each stdin line on its own");
  append_cmd->add_option("--tag", append.tags, "A tag of the event (repeatable; with --type)");
  append_cmd->add_option("--fail-if", append.fail_if,
                         "Fail if events match this query, JSON: {\"items\":[{\"types\":[..],"
                         "\"tags\":[..]}]}");
  append_cmd->add_option("--fail-if-type", append.fail_if_types,
                         "Fail if an event of this type was committed (repeatable)");
  append_cmd->add_option("--fail-if-category", append.fail_if_categories,
                         "Fail if an event of this stream category was committed (repeatable)");
  append_cmd->add_option("--after", append.after,
                         "Only events after this position count (the --fail-if flags)")
      ->check(kUnsigned);

  ReadArgs read;
  auto* read_cmd = app.add_subcommand("read", "Read one stream");
  read_cmd->add_option("stream", read.stream, "Stream name")->required();
  read_cmd->add_option("--from", read.from, "First version (forward: >=, backward: <=)")
      ->check(kUnsigned);
  read_cmd->add_option("--count", read.count, "Most events to print")->check(kUnsigned);
  read_cmd->add_flag("--backward", read.backward, "Newest first");

  ReadAllArgs read_all;
  auto* read_all_cmd = app.add_subcommand("read-all", "Read the global log");
  read_all_cmd->add_option("--from", read_all.from, "First position")->check(kUnsigned);
  read_all_cmd->add_option("--count", read_all.count, "Most events to print")->check(kUnsigned);
  read_all_cmd->add_option("--category", read_all.category, "Only streams <category>-*");
  read_all_cmd->add_option("--type", read_all.type, "Only events of this type");
  read_all_cmd->add_flag("--system", read_all.system,
                         "Also system streams ($meta-*, $parked-*), hidden by default");

  QueryArgs query;
  auto* query_cmd = app.add_subcommand(
      "query", "Events matching a query (types and tags), then {\"head\":P}");
  query_cmd->add_option("--type", query.types, "One of these types (repeatable)");
  query_cmd->add_option("--tag", query.tags, "Carrying all of these tags (repeatable)");
  query_cmd->add_option("--query", query.query,
                        "The whole query, JSON: {\"items\":[{\"types\":[..],\"tags\":[..]}]}");
  query_cmd->add_option("--from", query.from, "First position (forward: >=, backward: <=)")
      ->check(kUnsigned);
  query_cmd->add_option("--count", query.count, "Most events to print")->check(kUnsigned);
  query_cmd->add_flag("--backward", query.backward, "Newest first");

  std::string category;
  bool streams_system = false;
  auto* streams_cmd = app.add_subcommand("streams", "List streams and their versions");
  streams_cmd->add_option("--category", category, "Only streams <category>-*");
  streams_cmd->add_flag("--system", streams_system,
                        "Also system streams ($meta-*, $parked-*), hidden by default");

  auto* stats_cmd = app.add_subcommand("stats", "Store statistics");
  auto* verify_cmd =
      app.add_subcommand("verify", "Check every record and index entry; exit 5 if corrupt");
  auto* compact_cmd =
      app.add_subcommand("compact", "Reclaim now the bytes of trimmed, deleted and expired events");

  TailArgs tail;
  auto* tail_cmd = app.add_subcommand("tail", "Print the change feed");
  tail_cmd->add_option("--from", tail.from, "oldest (default) | latest | a position");
  tail_cmd->add_option("--category", tail.category, "Only streams <category>-*");
  tail_cmd->add_option("--type", tail.type, "Only events of this type");
  tail_cmd->add_flag("--follow", tail.follow, "Keep printing new events until interrupted");
  tail_cmd->add_flag("--system", tail.system,
                     "Also system streams ($meta-*, $parked-*), hidden by default");

  std::string view_name, view_action, view_argument;
  double view_timeout_s = 10;
  auto* view_cmd = app.add_subcommand(
      "view", "Query a view: NAME get KEY | NAME scan PREFIX | NAME wait POSITION | NAME rebuild");
  view_cmd->add_option("name", view_name, "View name")->required();
  view_cmd->add_option("action", view_action, "get | scan | wait | rebuild")->required();
  view_cmd->add_option("argument", view_argument,
                       "KEY for get, PREFIX for scan, POSITION for wait");
  view_cmd->add_option("--timeout", view_timeout_s, "Seconds wait waits at most (default 10)")
      ->check(CLI::Range(0.0, 3600.0));

  std::string stream_arg;
  auto* snapshot_cmd = app.add_subcommand("snapshot", "Show a stream's newest snapshot");
  snapshot_cmd->add_option("stream", stream_arg, "Stream name")->required();
  uint64_t trim_before = 0;
  auto* trim_cmd = app.add_subcommand(
      "trim", "Remove a stream's events before a version (covered by a snapshot and processed)");
  trim_cmd->add_option("stream", stream_arg, "Stream name")->required();
  trim_cmd->add_option("--before", trim_before, "First version to keep")
      ->required()
      ->check(kUnsigned);
  MetadataArgs metadata;
  auto* metadata_cmd = app.add_subcommand("metadata", "Show or set a stream's metadata");
  metadata_cmd->add_option("stream", stream_arg, "Stream name")->required();
  metadata_cmd->add_option("--max-count", metadata.max_count, "Keep only the newest N events")
      ->check(kUnsigned);
  metadata_cmd->add_option("--max-age", metadata.max_age, "Keep only events younger than S seconds")
      ->check(kUnsigned);
  metadata_cmd->add_option("--truncate-before", metadata.truncate_before, "Hide versions before V")
      ->check(kUnsigned);
  metadata_cmd
      ->add_option("--clear", metadata.clear,
                   "Unset a rule: max-count or max-age (repeatable); what it hid stays hidden")
      ->check(CLI::IsMember({"max-count", "max-age", "truncate-before"}))
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  metadata_cmd->add_flag("--force", metadata.force,
                         "Apply rules that hide events a durable subscription has not processed");
  bool hard = false;
  auto* delete_cmd = app.add_subcommand("delete", "Delete a stream (soft; --hard: forever)");
  delete_cmd->add_option("stream", stream_arg, "Stream name")->required();
  delete_cmd->add_flag("--hard", hard, "Tombstone: the name can never be written again");

  auto* subscriptions_cmd =
      app.add_subcommand("subscriptions", "List subscriptions: checkpoint, lag, parked");
  auto* views_cmd = app.add_subcommand("views", "List views: generation, position, lag");
  std::string subscription;
  auto* parked_cmd = app.add_subcommand("parked", "List a subscription's parked events");
  parked_cmd->add_option("name", subscription, "Subscription name")->required();
  auto* replay_cmd =
      app.add_subcommand("replay-parked", "Have a subscription deliver its parked events again");
  replay_cmd->add_option("name", subscription, "Subscription name")->required();
  std::string checkpoint_name;
  uint64_t checkpoint_position = 0;
  auto* checkpoint_cmd = app.add_subcommand(
      "checkpoint", "A consumer's own checkpoint: get NAME | set NAME POSITION");
  checkpoint_cmd->require_subcommand(1);
  auto* checkpoint_get_cmd = checkpoint_cmd->add_subcommand("get", "Print NAME's checkpoint");
  checkpoint_get_cmd->add_option("name", checkpoint_name, "Consumer name")->required();
  auto* checkpoint_set_cmd = checkpoint_cmd->add_subcommand("set", "Store NAME's checkpoint");
  checkpoint_set_cmd->add_option("name", checkpoint_name, "Consumer name")->required();
  checkpoint_set_cmd->add_option("position", checkpoint_position, "The position processed")
      ->required()
      ->check(kUnsigned);
  std::string backup_path;
  auto* backup_cmd = app.add_subcommand(
      "backup", "Write a consistent backup of the store to DEST while it is in use");
  backup_cmd
      ->add_option("dest", backup_path,
                   "New or empty directory (with --connect: on the "
                   "daemon's machine)")
      ->required();
  bool force = false;
  auto* restore_cmd = app.add_subcommand("restore",
                                         "Restore a backup into --db DIR (new or empty; --force: "
                                         "replace a store no process has open)");
  restore_cmd->add_option("src", backup_path, "Backup directory")->required();
  restore_cmd->add_flag("--force", force, "Replace the store in --db DIR");
  bool keep_old = false;
  auto* migrate_cmd = app.add_subcommand(
      "migrate", "Convert the format-1 store in --db DIR to format 2 (offline; no process may use it)");
  migrate_cmd->add_flag("--keep-old", keep_old, "Keep the old store as DIR.format1");
  // `evlog restore SRC --db DIR`: --db may follow the verb.
  restore_cmd->fallthrough();
  migrate_cmd->fallthrough();
  backup_cmd->fallthrough();
  SubscriptionCommands subscription_commands;
  AddSubscriptionCommands(app, &subscription_commands);
  auto* demo_cmd =
      app.add_subcommand("demo", "Run the product-inventory demo on a temporary store");

  if (std::optional<int> exit = evlog::command_line::ParseCommandLine(
          app, argc, argv, [](const CLI::App& a, const CLI::ParseError& e) {
            return ReportUsage(UsageMessage(a, e));
          })) {
    return *exit;
  }

  if (demo_cmd->parsed()) return RunDemo();
  Target target;
  if (std::string error; !MakeTarget(std::move(db_dir), connect, token_file, &target, &error)) {
    return ReportUsage(error);
  }
  if (append_cmd->parsed()) return RunAppend(target, append, std::cin);
  if (read_cmd->parsed()) return RunRead(target, read);
  if (read_all_cmd->parsed()) return RunReadAll(target, read_all);
  if (streams_cmd->parsed()) return RunStreams(target, category, streams_system);
  if (query_cmd->parsed()) return RunQuery(target, query);
  if (stats_cmd->parsed()) return RunStats(target);
  if (verify_cmd->parsed()) return RunVerify(target);
  if (compact_cmd->parsed()) return RunCompact(target);
  if (tail_cmd->parsed()) return RunTail(target, tail);
  if (snapshot_cmd->parsed()) return RunSnapshot(target, stream_arg);
  if (trim_cmd->parsed()) return RunTrim(target, stream_arg, trim_before);
  if (metadata_cmd->parsed()) return RunMetadata(target, stream_arg, metadata);
  if (delete_cmd->parsed()) return RunDelete(target, stream_arg, hard);
  if (view_cmd->parsed()) {
    return RunView(target, view_name, view_action, view_argument,
                   std::chrono::milliseconds(static_cast<int64_t>(view_timeout_s * 1000)));
  }
  if (subscriptions_cmd->parsed()) return RunSubscriptions(target);
  if (views_cmd->parsed()) return RunViews(target);
  if (parked_cmd->parsed()) return RunParked(target, subscription);
  if (replay_cmd->parsed()) return RunReplayParked(target, subscription);
  if (checkpoint_get_cmd->parsed()) return RunCheckpointGet(target, checkpoint_name);
  if (checkpoint_set_cmd->parsed()) {
    return RunCheckpointSet(target, checkpoint_name, checkpoint_position);
  }
  if (backup_cmd->parsed()) return RunBackup(target, backup_path);
  if (restore_cmd->parsed()) return RunRestore(target, backup_path, force);
  if (migrate_cmd->parsed()) return RunMigrate(target, keep_old);
  if (auto exit = RunSubscriptionCommands(subscription_commands, target)) return *exit;
  return ReportUsage("unknown verb");
}
