// reader: the read paths. Stream reads iterate the `stream` family, where a
// stream's events are clustered by (stream id, version); global reads iterate
// `log` in position order; category and type reads walk their index and fetch
// each record from `log`. Every record is verified when decoded and checked
// against the key it was found under.
//
// Readers take a RocksDB snapshot, so a read is consistent, and never touch
// the writer's state: a slow reader never blocks an append.

#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "db.h"
#include "keys.h"
#include "evlog/event_iterator.h"
#include "evlog/store.h"
#include "stream_metadata.h"

namespace evlog {

// Which events stream metadata hides from global reads: bounds per stream,
// computed on first sight and cached for the object's life (one read).
class Visibility {
 public:
  explicit Visibility(const Db& db);

  // False for an event its stream's metadata hides; `error` on failure.
  bool Visible(const RecordedEvent& e, Status* error);

 private:
  const Db& db_;
  int64_t now_us_;
  std::unordered_map<std::string, ReadBounds, keys::StringHash, std::equal_to<>> bounds_;
};

// Events of the stream with id `stream_id` (REQUIRES: it exists), within
// `bounds` (its metadata's; default: everything).
std::unique_ptr<EventIterator> NewStreamIterator(const Db& db, uint64_t stream_id,
                                                 const ReadStreamOptions& options,
                                                 const ReadBounds& bounds = {});

// Events of the global log, all or by category or type. A `bulk` read (a
// feed catching up) reads the log's blocks without adding them to the
// block cache: read once in order, they would only evict hot blocks.
std::unique_ptr<EventIterator> NewLogIterator(const Db& db, const ReadAllOptions& options,
                                              bool bulk = false);

// An iterator that is not Valid() and reports `status`.
std::unique_ptr<EventIterator> NewErrorIterator(Status status);

Result<std::vector<StreamInfo>> ListStreams(const Db& db, const ListStreamsOptions& options);

// Store::ReadStream: the events of `stream` its metadata lets a reader see.
// InvalidArgument for a malformed name; NotFound if it has no events or is
// deleted.
Result<std::unique_ptr<EventIterator>> ReadStream(const Db& db, const Options& store_options,
                                                  std::string_view stream,
                                                  const ReadStreamOptions& options);

// Store::StreamVersion: Version(0) if `stream` has no events.
// InvalidArgument for a malformed name.
Result<Version> StreamVersion(const Db& db, const Options& store_options,
                              std::string_view stream);

}  // namespace evlog
