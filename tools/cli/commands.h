// commands: the verbs of the evlog tool. Each takes its parsed arguments,
// writes JSON lines to stdout (errors to stderr, see cli_error.h) and returns
// the process exit code. main.cc only parses flags and dispatches here.

#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

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

int RunAppend(const std::string& db, const AppendArgs& args, std::istream& in);
int RunRead(const std::string& db, const ReadArgs& args);
int RunReadAll(const std::string& db, const ReadAllArgs& args);
int RunStreams(const std::string& db, const std::string& category);
int RunStats(const std::string& db);

// `evlog demo`: the product-inventory story on a temporary store.
int RunDemo();

}  // namespace evlog::cli
