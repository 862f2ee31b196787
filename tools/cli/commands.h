// commands: the verbs of the evlog tool. Each takes its parsed arguments,
// writes JSON lines to stdout (errors to stderr, see cli_error.h) and returns
// the process exit code. main.cc only parses flags and dispatches here.

#pragma once

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_error.h"
#include "cli/target.h"
#include "evlog/store.h"
#include "json/event_json.h"

namespace evlog::cli {

struct AppendArgs {
  // Empty: a multi-stream append, each stdin line naming its "stream".
  std::string stream;
  // --expect-stream STREAM=EXPECTED (repeatable): a multi-stream append's
  // expected versions.
  std::vector<std::string> expect_streams;
  std::optional<std::string> type;
  std::optional<std::string> data;
  std::string metadata;
  std::string id;
  std::optional<std::string> expect;
  std::string durability = "sync";
  // --duplicates error|skip: the DuplicatePolicy.
  std::string duplicates = "error";
  bool each = false;
  // --tag (repeatable): the tags of the --type/--data event.
  std::vector<std::string> tags;
  // --fail-if QUERY [--after P]: the DCB append condition.
  std::optional<std::string> fail_if;
  // --fail-if-type / --fail-if-category (repeatable): the condition's types
  // and categories.
  std::vector<std::string> fail_if_types;
  std::vector<std::string> fail_if_categories;
  std::optional<uint64_t> after;
};

struct ReadArgs {
  std::string stream;
  std::optional<uint64_t> from;
  std::optional<uint64_t> count;
  bool backward = false;
};

struct ReadAllArgs {
  std::optional<uint64_t> from;
  std::optional<uint64_t> count;
  std::string category;
  std::string type;
  // Also system streams ('$'-prefixed): --system.
  bool system = false;
};

// `query`: one item from --type/--tag, or several from --query JSON.
struct QueryArgs {
  std::vector<std::string> types;
  std::vector<std::string> tags;
  std::optional<std::string> query;
  std::optional<uint64_t> from;
  std::optional<uint64_t> count;
  bool backward = false;
};

struct TailArgs {
  std::string from = "oldest";
  std::string category;
  std::string type;
  bool follow = false;
  // Also system streams ('$'-prefixed): --system.
  bool system = false;
};

struct MetadataArgs {
  std::optional<uint64_t> max_count;
  std::optional<uint64_t> max_age;
  std::optional<uint64_t> truncate_before;
  // Rules to unset: "max-count", "max-age" ("truncate-before" is refused:
  // it only moves forward).
  std::vector<std::string> clear;
  // Apply rules that hide events a durable subscription has not processed.
  bool force = false;
};

int RunAppend(const Target& target, const AppendArgs& args, std::istream& in);
int RunRead(const Target& target, const ReadArgs& args);
int RunReadAll(const Target& target, const ReadAllArgs& args);
// `streams`; `system`: also '$'-prefixed streams (--system).
int RunStreams(const Target& target, const std::string& category, bool system);
// Prints the matching events, then {"head":P}, also when nothing matches.
int RunQuery(const Target& target, const QueryArgs& args);
int RunStats(const Target& target);

// Change feed and subscriptions (feed_commands.cc).
int RunTail(const Target& target, const TailArgs& args);
int RunSubscriptions(const Target& target);
// `views`: one {"view","generation","position","lag"} line per view.
int RunViews(const Target& target);
int RunParked(const Target& target, const std::string& name);
int RunReplayParked(const Target& target, const std::string& name);
// `checkpoint get NAME`: consumer NAME's stored checkpoint (0 when it has
// none) as {"name","checkpoint"}. `checkpoint set NAME POSITION` stores it
// (EventStore::SetCheckpoint) and prints the same line.
int RunCheckpointGet(const Target& target, const std::string& name);
int RunCheckpointSet(const Target& target, const std::string& name, uint64_t position);

// `view NAME get KEY`, `view NAME scan PREFIX`, `view NAME rebuild`,
// `view NAME wait POSITION` (at most `wait_timeout`).
int RunView(const Target& target, const std::string& name, const std::string& action,
            const std::string& argument, std::chrono::milliseconds wait_timeout);

// A whole decimal number; false for anything else (sign, space, overflow).
bool ParseUint(const std::string& text, uint64_t* out);

// `verify`: Store::Verify as one JSON line; exit 5 if it found problems.
int RunVerify(const Target& target);

// `compact`: Store::Compact (remotely, the daemon compacts its store);
// prints {"compacted":true,"disk_bytes":N}, the store's bytes after it.
int RunCompact(const Target& target);

// `backup DEST`: Store::Backup (remotely, the daemon writes DEST on its
// machine); prints {"backup","position","files","bytes"}. A store busy in
// another process is reported with a hint to use --connect (backup_commands.cc).
int RunBackup(const Target& target, const std::string& dest);

// `restore SRC --db DIR [--force]`: Store::Restore into DIR, embedded only;
// prints {"restored","position","files","bytes"}. A non-empty DIR without
// --force exits 1 (invalid_argument) and is left as it was.
int RunRestore(const Target& target, const std::string& backup, bool force);

// `migrate --db DIR [--keep-old]`: Store::Migrate, embedded only; prints
// {"migrated":"DIR","format":2,"converted":true|false,"events","last_position"
// [,"old_store"]}; converted is false for a store in format 2 already.
int RunMigrate(const Target& target, bool keep_old);

// Reports a failure of OpenStore: the error line, and its exit code —
// kExitUnreachable when the daemon could not be reached or refused the
// session.
int ReportOpenError(const Target& target, const Status& status);

// Runs `command(store)` on the target's store opened as `mode` and returns
// its exit code; a store that does not open is reported (ReportOpenError).
template <class Command>
int WithStore(const Target& target, OpenMode mode, Command command) {
  auto store = OpenStore(target, mode);
  if (!store.ok()) return ReportOpenError(target, store.status());
  return command(**store);
}

// Runs `call(store)` on the target's store opened as `mode` and hands its
// value to `print`, which returns the exit code; an error (opening, or the
// call's) is reported.
template <class Call, class Print>
int PrintResult(const Target& target, OpenMode mode, Call call, Print print) {
  return WithStore(target, mode, [&](EventStore& store) {
    auto result = call(store);
    if (!result.ok()) return ReportError(result.status());
    return print(*result);
  });
}

// Runs `list(store)` (a Result of a vector) read-only and prints one JSON
// line per element, `line(element)`; an error is reported.
template <class List, class Line>
int PrintLines(const Target& target, List list, Line line) {
  return PrintResult(target, OpenMode::kRead, list, [&](const auto& elements) {
    for (const auto& e : elements) std::cout << json::Dump(line(e)) << '\n';
    std::cout.flush();
    return kExitOk;
  });
}

// Prints `event` as a JSON line; prints nothing and returns the Corruption
// of json::CheckRenderable for an event stored beyond the JSON limits.
[[nodiscard]] Status PrintEvent(const RecordedEvent& event);
// Flushes the printed events; the exit code for `status`, reported.
int FinishEvents(const Status& status);
// Prints every event of `read` and finishes as FinishEvents: the read's
// error, or the iterator's once the events before it are printed.
int PrintEvents(Result<std::unique_ptr<EventIterator>> read);

// Stream lifecycle (stream_commands.cc).
int RunSnapshot(const Target& target, const std::string& stream);
int RunTrim(const Target& target, const std::string& stream, uint64_t before);
int RunMetadata(const Target& target, const std::string& stream, const MetadataArgs& args);
int RunDelete(const Target& target, const std::string& stream, bool hard);

// `evlog demo`: the product-inventory story on a temporary store.
int RunDemo();

}  // namespace evlog::cli
