// RunOnStoreUnlessGiven: how torture and loadtest run on the store they are
// given, or on a temporary one removed afterwards.

#pragma once

#include <memory>
#include <optional>
#include <string>

#include "harness/temp_dir.h"

namespace evlog::harness {

// Runs `run()` with *db set as TempStoreUnlessGiven sets it; a temporary
// store is removed once `run` returns. nullopt if it cannot be made.
template <class Run>
auto RunOnStoreUnlessGiven(const std::string& prefix, std::string* db, Run run)
    -> std::optional<decltype(run())> {
  std::unique_ptr<TempDir> temp;
  if (!TempStoreUnlessGiven(prefix, db, &temp)) return std::nullopt;
  return run();
}

}  // namespace evlog::harness
