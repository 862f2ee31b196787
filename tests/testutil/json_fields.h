// FieldOf: one field of every JSON object of a list (a page of events over
// HTTP, the lines a CLI printed), to compare in one EXPECT_EQ.

#pragma once

#include <vector>

namespace evlog::testutil {

// Each item's `key`, as T, in order. `items`: any range of nlohmann::json
// objects, each of which has `key`.
template <class T, class Items>
std::vector<T> FieldOf(const Items& items, const char* key) {
  std::vector<T> out;
  for (const auto& item : items) out.push_back(item[key].template get<T>());
  return out;
}

}  // namespace evlog::testutil
