// verify_walk: the state verify's walk (verify.cc) keeps across its passes
// and the passes that live in files of their own (verify_ids.cc: `ids`
// chunks and `dedup` rows). Internal to the engine; one walk per call of
// VerifyStore, used by one thread.

#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db.h"
#include "evlog/status.h"
#include "evlog/store.h"
#include "evlog/types.h"

namespace evlog::verify {

// Larger counters or keys are reported, not allocated for.
inline constexpr uint64_t kMaxPositions = uint64_t{1} << 33;

// What the walk saw of each position, in flags_.
enum Flag : uint8_t {
  kInLog = 1,
  kInStream = 2,
  kHidden = 4,
  kHasCategory = 8,
  kHasType = 16,
};

class WalkState {
 public:
  WalkState(const WalkState&) = delete;
  WalkState& operator=(const WalkState&) = delete;

  VerifyReport report;

 protected:
  // Reads `db` under a snapshot of it (none for a read-only store).
  explicit WalkState(const Db& db);
  ~WalkState();

  void Problem(std::string what);

  // An iterator's final status: Corruption is a problem of the store, any
  // other failure ends the walk.
  Status Finish(const rocksdb::Iterator& it, std::string_view family);

  std::unique_ptr<rocksdb::Iterator> Iter(Db::Family family);

  // The position of an entry keyed like the log's (`log`, `ids`), or 0
  // after reporting a problem: a malformed key (named by `family`), or a
  // position outside 1..last_ (named `what` and the position).
  uint64_t KeyedPosition(const rocksdb::Slice& key, std::string_view family,
                         std::string_view what);

  // A position in neither copy: fine if a trim, delete or retention rule
  // can have removed it.
  bool Reclaimable(uint64_t p) const { return moving_trims_ || (trims_ && p <= trim_horizon_); }

  // Passes of verify_ids.cc; they run after the log's (flags_ set).
  Status Ids();
  Status Dedup();

  const Db& db_;
  const rocksdb::Snapshot* snapshot_;
  rocksdb::ReadOptions ro_;
  uint64_t last_ = 0;
  uint64_t trim_horizon_ = 0;
  // Some stream has a truncation or delete (trims_), or a count or age rule,
  // which removes events without raising the trim horizon (moving_trims_).
  bool trims_ = false;
  bool moving_trims_ = false;
  std::vector<uint8_t> flags_;  // per position 0..last_, Flag bits

 private:
  struct IdCheck;
  struct IdsChunkLog;
  Status CheckId(IdCheck& check, uint64_t p, const Uuid& id, const std::string& what);
};

}  // namespace evlog::verify
