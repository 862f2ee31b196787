// query: reads by Query (the DCB specification's query, docs/dcb.md), for
// Store::Read and for the writer's query conditions.
//
// Invariant: a query is answered from postings, never by a scan of the log
// (unless an item matches every event). Each item is the intersection of its
// tags' postings (`by_tag`) and the union of its types' postings
// (`by_type`), walked by leapfrogging: each cursor seeks to the largest
// position another one is at, so the rarest posting list sets the pace. The
// items' answers are merged by position, each event once. A tag posting
// carries its event's record (a covering posting), so a candidate found by
// tag is read from the posting itself; any other (a posting written before
// postings carried records, one found by type only) is fetched from `log`.
// Every record is verified and checked against the query, and stream
// metadata hides events exactly as from ReadAll.
//
// Thread-safety: the functions are safe from any thread; each call reads
// with its own iterators.

#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "db.h"
#include "evlog/options.h"
#include "evlog/status.h"
#include "evlog/store.h"
#include "evlog/types.h"

namespace evlog {

// Whether an event of type `type` carrying `tags` matches `query`. `Tags` is
// any range of things comparable with std::string_view.
template <class Tags>
bool QueryMatches(const Query& query, std::string_view type, const Tags& tags) {
  if (query.items.empty()) return true;
  for (const QueryItem& item : query.items) {
    bool match = item.types.empty();
    for (const std::string& t : item.types) match = match || t == type;
    for (size_t i = 0; match && i < item.tags.size(); ++i) {
      bool carried = false;
      for (const auto& tag : tags) carried = carried || std::string_view(tag) == item.tags[i];
      match = carried;
    }
    if (match) return true;
  }
  return false;
}

// Store::Read(query): the head is `db.commits` when the read starts.
// REQUIRES: `query` passed ValidateQuery.
Result<QueryResult> ReadQuery(const Db& db, const Query& query, const QueryOptions& options);

// Store::ReadEach: ReadQuery's events, each passed to `visit` as a view
// instead of copied; returns ReadQuery's head.
// REQUIRES: `query` passed ValidateQuery.
Result<Position> VisitQuery(const Db& db, const Query& query, const QueryOptions& options,
                            const std::function<bool(const RecordedEvent&)>& visit);

// The position of the first committed event after `after` that matches
// `query` and that reads do not hide; nullopt if none. For the writer,
// whose committed state cannot change during the call.
Result<std::optional<Position>> FirstQueryMatchAfter(const Db& db, const Query& query,
                                                     Position after);

}  // namespace evlog
