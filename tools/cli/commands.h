// commands: the verbs of the evlog tool. Each takes its parsed arguments,
// writes JSON lines to stdout (errors to stderr, see cli_error.h) and returns
// the process exit code. main.cc only parses flags and dispatches here.

#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "evlog/store.h"

namespace evlog::cli {

struct AppendArgs {
  std::string stream;
  std::optional<std::string> type;
  std::optional<std::string> data;
  std::string metadata;
  std::string id;
  std::optional<std::string> expect;
  std::string durability = "sync";
  bool each = false;
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
};

struct TailArgs {
  std::string from = "oldest";
  std::string category;
  std::string type;
  bool follow = false;
};

struct MetadataArgs {
  std::optional<uint64_t> max_count;
  std::optional<uint64_t> max_age;
  std::optional<uint64_t> truncate_before;
};

int RunAppend(const std::string& db, const AppendArgs& args, std::istream& in);
int RunRead(const std::string& db, const ReadArgs& args);
int RunReadAll(const std::string& db, const ReadAllArgs& args);
int RunStreams(const std::string& db, const std::string& category);
int RunStats(const std::string& db);

// Change feed and subscriptions (feed_commands.cc).
int RunTail(const std::string& db, const TailArgs& args);
int RunSubscriptions(const std::string& db);
int RunParked(const std::string& db, const std::string& name);
int RunReplayParked(const std::string& db, const std::string& name);

// `view NAME get KEY`, `view NAME scan PREFIX`, `view NAME rebuild`.
int RunView(const std::string& db, const std::string& name, const std::string& action,
            const std::string& argument);

// `verify`: Store::Verify as one JSON line; exit 5 if it found problems.
int RunVerify(const std::string& db);

// How a verb opens its store.
enum class OpenMode {
  // Read-only and never created: read verbs work beside a live writer, and a
  // missing store is NotFound.
  kRead,
  // Writable, never created: a missing store is NotFound, not a new store.
  kWrite,
  // Writable, created if missing (append).
  kCreate,
};

// Opens the store in `db` as `mode` says.
Result<std::unique_ptr<Store>> OpenStore(const std::string& db, OpenMode mode);

// Prints every event of `it` as a JSON line; the exit code.
int PrintEvents(EventIterator& it);

// Stream lifecycle (stream_commands.cc).
int RunSnapshot(const std::string& db, const std::string& stream);
int RunTrim(const std::string& db, const std::string& stream, uint64_t before);
int RunMetadata(const std::string& db, const std::string& stream, const MetadataArgs& args);
int RunDelete(const std::string& db, const std::string& stream, bool hard);

// `evlog demo`: the product-inventory story on a temporary store.
int RunDemo();

}  // namespace evlog::cli
