// codec: encodes, verifies and decodes the stored records. The only file that
// includes the FlatBuffers-generated headers. Every decode verifies the
// buffer first: a record that fails is a Corruption status, never a crash.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "evlog/snapshot.h"
#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog::codec {

// Encodes `event` of `stream` with id `id` into `out`, with position,
// version and timestamp left 0 for PatchEvent to fill in at commit.
void EncodeEvent(std::string_view stream, const EventData& event, const Uuid& id, std::string* out);

// Encodes an event as it was committed (position, version and time set).
std::string EncodeRecorded(const OwnedEvent& event);

// Sets the commit-time fields of a record made by EncodeEvent, in place.
void PatchEvent(std::string* record, Position position, Version version, int64_t timestamp_us);

// A scratch buffer with 8-byte alignment. Records read from RocksDB may sit
// at any address; FlatBuffers scalars must be read aligned.
class AlignedBuffer {
 public:
  const uint8_t* Assign(std::string_view bytes);

 private:
  std::vector<uint64_t> words_;
};

// Verifies `bytes` as an event record and points `out`'s fields into it
// (or into `scratch`, when `bytes` is not aligned). The views live as long as
// the memory they point into.
Status DecodeEvent(std::string_view bytes, AlignedBuffer* scratch, RecordedEvent* out);

struct StreamRow {
  uint64_t id = 0;
  Position created_position;
  bool tombstoned = false;
};

std::string EncodeStreamRow(const StreamRow& row);
Status DecodeStreamRow(std::string_view bytes, StreamRow* out);

std::string EncodeSnapshot(const Snapshot& snapshot);
Status DecodeSnapshot(std::string_view bytes, Snapshot* out);

}  // namespace evlog::codec
