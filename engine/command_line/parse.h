// ParseCommandLine: CLI11's parse with the exits every evlog program shares
// (evlog, evlogd, evlog-kafka): --help prints the help and exits 0; a usage
// error goes to the program's own report, which prints it and gives the
// usage exit code (2).

#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace evlog::command_line {

// Parses argv into `app`. nullopt: go on. Otherwise the exit code: app.exit's
// for --help (and --help-all), `usage_error(app, error)`'s for any other
// parse error.
template <class UsageError>
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv,
                                    UsageError usage_error) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e);
  }
  return std::nullopt;
}

}  // namespace evlog::command_line
