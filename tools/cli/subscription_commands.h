// subscription_commands: the hosted-subscription verbs — `subscription
// create NAME`, `subscription delete NAME` and `consume NAME` — registered
// on the tool's command line by AddSubscriptionCommands and run by
// RunSubscriptionCommands (subscription_commands.cc).

#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/target.h"

namespace CLI {
class App;
}

namespace evlog::cli {

struct SubscriptionCommands {
  CLI::App* create = nullptr;
  CLI::App* remove = nullptr;
  CLI::App* consume = nullptr;
  std::string name;
  // create: --category, --type, --prefix, --from oldest|latest|P,
  // --max-attempts, --ack-timeout (seconds).
  std::string category;
  std::string type;
  std::string prefix;
  std::string from = "oldest";
  uint32_t max_attempts = 5;
  double ack_timeout_s = 30;
  // consume: --count N, --follow, --batch B, --exec CMD.
  std::optional<uint64_t> count;
  bool follow = false;
  uint64_t batch = 25;
  std::string exec;
};

// Adds `subscription create|delete` and `consume` to `app`; `out` keeps
// their arguments and must outlive the parse.
void AddSubscriptionCommands(CLI::App& app, SubscriptionCommands* out);

// Runs the verb of `commands` that was parsed and returns its exit code;
// nullopt when none of them was.
std::optional<int> RunSubscriptionCommands(const SubscriptionCommands& commands,
                                           const Target& target);

}  // namespace evlog::cli
