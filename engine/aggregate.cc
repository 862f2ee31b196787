// The JSON of Aggregate's command metadata, here so that evlog/aggregate.h
// needs no JSON library.

#include "evlog/aggregate.h"

#include <nlohmann/json.hpp>

namespace evlog {

Result<std::string> CommandMetadata(const CommandOptions& options) {
  if (options.correlation_id.empty() && options.causation_id.empty()) return std::string();
  nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
  if (!options.correlation_id.empty()) metadata["correlation_id"] = options.correlation_id;
  if (!options.causation_id.empty()) metadata["causation_id"] = options.causation_id;
  try {
    return metadata.dump();
  } catch (const nlohmann::json::type_error&) {
    return Status::InvalidArgument("correlation_id and causation_id must be UTF-8");
  }
}

}  // namespace evlog
