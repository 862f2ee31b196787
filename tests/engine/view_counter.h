// The view the view tests (and the crash child) run: per stream, how many
// events it has; "total" counts all. A double-applied event shows as a count
// above the log's.

#pragma once

#include <string>
#include <vector>

#include "evlog/store.h"

namespace evlog::testutil {

inline Status CountEvents(const std::vector<OwnedEvent>& events, ViewWriter& out) {
  for (const OwnedEvent& e : events) {
    for (const std::string& key : {"count/" + e.stream, std::string("total")}) {
      auto current = out.Get(key);
      if (!current.ok()) return current.status();
      long n = current->has_value() ? std::stol(**current) : 0;
      out.Put(key, std::to_string(n + 1));
    }
  }
  return Status::OK();
}

}  // namespace evlog::testutil
