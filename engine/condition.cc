#include "condition.h"

#include <algorithm>
#include <optional>
#include <string>

#include "postings.h"
#include "query.h"

namespace evlog {

Status CheckCondition(const Db& db, const AppendCondition& condition,
                      const std::vector<StagedEvent>& staged_events) {
  const uint64_t after = condition.after.value();
  auto fail = [&](std::string_view kind, std::string_view name, uint64_t position) {
    return Status::ConditionFailed("an event matching the append condition (" + std::string(kind) +
                                       " '" + std::string(name) +
                                       "') was committed after position " + std::to_string(after) +
                                       ", at position " + std::to_string(position),
                                   position);
  };
  constexpr std::string_view kQuery = "fail_if_events_match";
  // Committed events come before any of this group's: look there first, and
  // report the first position that matched.
  std::optional<uint64_t> first;
  std::string_view kind, name;
  const auto consider = [&](std::optional<uint64_t> p, std::string_view k, std::string_view n) {
    if (p && *p > after && (!first || *p < *first)) {
      first = p;
      kind = k;
      name = n;
    }
  };
  for (const std::string& type : condition.event_types) {
    auto p = FirstPostingAfter(db, Db::kByType, type, after);
    if (!p.ok()) return p.status();
    consider(*p, "type", type);
  }
  for (const std::string& category : condition.categories) {
    auto p = FirstPostingAfter(db, Db::kByCategory, category, after);
    if (!p.ok()) return p.status();
    consider(*p, "category", category);
  }
  if (condition.fail_if_events_match && !first) {
    auto committed = FirstQueryMatchAfter(db, *condition.fail_if_events_match, condition.after);
    if (!committed.ok()) return committed.status();
    if (committed->has_value()) consider((*committed)->value(), "query", kQuery);
  }
  if (first) return fail(kind, name, *first);
  // Then this group's events, in position order: the first match is the one.
  for (const StagedEvent& staged : staged_events) {
    if (staged.position <= after) continue;
    const EventData& e = *staged.event;
    if (std::ranges::find(condition.event_types, e.type) != condition.event_types.end()) {
      return fail("type", e.type, staged.position);
    }
    if (std::ranges::find(condition.categories, staged.category) != condition.categories.end()) {
      return fail("category", staged.category, staged.position);
    }
    if (condition.fail_if_events_match &&
        QueryMatches(*condition.fail_if_events_match, e.type, e.tags)) {
      return fail("query", kQuery, staged.position);
    }
  }
  return Status::OK();
}

}  // namespace evlog
