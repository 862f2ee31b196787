// snapshot: the `snapshots` family — (stream id, version) -> SnapshotRecord —
// and the snapshot policy's subscriber.

#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "db.h"
#include "evlog/snapshot.h"
#include "writer.h"

namespace evlog {

// Saves `state` as stream `stream`'s state at `version`.
// Errors: NotFound if the stream has no events; InvalidArgument if `version`
// is 0 or beyond the stream's last version.
Status SaveSnapshot(const Db& db, std::string_view stream, Version version, std::string_view state);

// The newest snapshot of `stream`, nullopt if none.
Result<std::optional<Snapshot>> LoadSnapshot(const Db& db, std::string_view stream);

Result<std::unique_ptr<Snapshotter>> StartSnapshots(Db* db, Writer* writer,
                                                    const Options& store_options,
                                                    SnapshotPolicy policy);

}  // namespace evlog
