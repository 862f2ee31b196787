// stream_metadata: StreamMetadata as the JSON data of "$metadata" events in
// "$meta-<stream>", and the read bounds it implies.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "db.h"
#include "evlog/event_store.h"
#include "evlog/options.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog {

inline constexpr std::string_view kMetaPrefix = "$meta-";
inline constexpr std::string_view kMetadataEventType = "$metadata";

std::string MetaStream(std::string_view stream);

// {"max_count":..,"max_age_seconds":..,"truncate_before":..,"deleted":..,"hard_deleted":..}
std::string EncodeMetadata(const StreamMetadata& metadata);
Status DecodeMetadata(std::string_view json, StreamMetadata* out);

// The current metadata of `stream`: the newest event of its meta stream, or
// the defaults.
Status LoadMetadata(const Db& db, std::string_view stream, StreamMetadata* out);

// What a reader of one stream may see.
struct ReadBounds {
  // Versions below this are hidden.
  Version min_version;
  // Events committed before this (µs since epoch) are hidden; 0: none.
  int64_t min_timestamp_us = 0;
  // The whole stream reads as not found.
  bool gone = false;
};

// The bounds `metadata` sets for a stream whose last version is `last`, at
// wall-clock time `now_us`.
ReadBounds BoundsFor(const StreamMetadata& metadata, Version last, int64_t now_us);

// Whether any stream of the store has metadata (so readers must check).
bool StoreHasMetadata(const Db& db);

class Writer;

// Appends `metadata` to "$meta-<stream>" and updates the stream's trim rule
// (with `tombstone`: also marks the stream's row hard-deleted). Errors: those
// of the append.
Status WriteMetadata(Db& db, Writer& writer, const Options& options, std::string_view stream,
                     const StreamMetadata& metadata, bool tombstone);

// Store::SetStreamMetadata: checks the name and the rules (no hard delete,
// max_count >= 1, truncate_before never backwards), keeps hidden what the
// current rules hide (raising truncate_before), refuses rules that hide
// what a durable consumer has not processed unless `force`, then writes.
Status SetStreamMetadata(Db& db, Writer& writer, const Options& options, std::string_view stream,
                         const StreamMetadata& metadata, const MetadataOptions& meta_options);

}  // namespace evlog
