// chunk: the values of storage format 2 (docs/plans/format2.md, §1.3): an
// events chunk holds the records of a run of positions (`log`, kind 1) or
// of one stream's versions (`stream`, kind 2) under the key of its LAST
// one; a posting chunk (kind 3) holds the positions of one category or type;
// an ids chunk (kind 4) the caller-given ids of one log chunk. Integers
// inside values are little-endian.
//
// Invariant: every function that reads a chunk bounds every offset by the
// value's length before it reads, and checks the chunk's CRCs: a truncated,
// extended or flipped value is a Corruption status, never a crash, an
// out-of-bounds read or a huge allocation.
//
// Events chunk layout:
//   off  size  field
//   0    1     magic 0xE5
//   1    1     kind: 1 log, 2 stream
//   2    1     flags: bit0 = sparse (n < span; rewritten by a trim); others 0
//   3    1     0
//   4    4     header_crc: masked CRC32C of bytes [8, slots_end)
//   8    8     first: position or version of the first event as written
//   16   4     span: last - first + 1 as written (the key is first + span - 1)
//   20   4     n: records present, 1..span
//   24   8     max_us: newest commit time (i64 µs) among the records as written
//   32   12n   slots: {u32 delta = seq - first (ascending); u32 size;
//              u32 masked CRC32C of the record}
//   align8     records, each zero-padded to a multiple of 8 bytes
//
// Posting chunk: 0xE6, 3, u16 n, u32 masked CRC32C of bytes [8, end), then
// varint(last - p0) and varint(p_i - p_{i-1}) for each further position;
// the last position is the key's.
//
// Ids chunk: 0xE7, 4, u16 n, u32 masked CRC32C of bytes [8, end), i64
// commit_us, then n x {u32 last - p; 16-byte id}, positions ascending.
//
// Thread-safety: a ChunkView or ChunkBuilder is used by one thread at a
// time; the free functions are pure.

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog::chunk {

enum class ChunkKind : uint8_t { kLog = 1, kStream = 2, kPostings = 3, kIds = 4 };

// The bound the writer seals an events chunk at: this many records, or this
// many record bytes (a single bigger record makes a chunk of its own).
inline constexpr size_t kMaxChunkEvents = 256;
inline constexpr size_t kMaxChunkBytes = 64 << 10;

inline constexpr uint8_t kEventsMagic = 0xE5;
inline constexpr uint8_t kPostingsMagic = 0xE6;
inline constexpr uint8_t kIdsMagic = 0xE7;
inline constexpr size_t kEventsHeaderBytes = 32;
inline constexpr size_t kSlotBytes = 12;

// A parsed events chunk: the header's fields and where each record lies.
// It points into the value given to ParseChunk, which must outlive it.
// Reusable: ParseChunk refills it, keeping the offsets' capacity.
struct ChunkView {
  ChunkKind kind = ChunkKind::kLog;
  bool sparse = false;
  uint64_t first = 0;
  uint32_t span = 0;
  uint32_t n = 0;
  int64_t max_us = 0;
  std::string_view value;
  // Offset of record i in `value`; n + 1 entries, the last one the end.
  std::vector<uint32_t> offsets;

  uint64_t last() const { return first + span - 1; }
};

// Parses `value`, stored under the key whose position or version is
// `key_last`, as an events chunk of `kind` (kLog or kStream). Checks the
// magic, kind, flags, the reserved byte, n against span, every size against
// the value's length (which must end exactly after the last record's
// padding), the header CRC, that deltas ascend below span (and are 0..n-1
// when the chunk is not sparse), the zero gap before the records, and that
// key_last == first + span - 1. Records are checked by ChunkRecord.
// Corruption, naming what is wrong, otherwise; *out is then unspecified.
Status ParseChunk(std::string_view value, ChunkKind kind, uint64_t key_last, ChunkView* out);

// The position or version of slot i. REQUIRES: i < view.n
uint64_t SlotSeq(const ChunkView& view, size_t i);

// The first slot whose seq is >= `seq`; view.n if none.
size_t LowerSlot(const ChunkView& view, uint64_t seq);

// The slot holding `seq`, or -1 if the chunk has none (outside
// [first, last], or removed from a sparse chunk).
int FindSlot(const ChunkView& view, uint64_t seq);

// Points *record at record i, after checking its CRC and its zero padding.
// Corruption otherwise, or for i >= view.n. The view lives as long as the
// chunk's value.
Status ChunkRecord(const ChunkView& view, size_t i, std::string_view* record);

// ParseChunk, and when the chunk holds one record (a stream chunk of an
// append of one event) also ChunkRecord(*out, 0), in one pass: the header's
// and the record's CRCs computed together (crc32c::Value2). OK exactly when
// ParseChunk (and ChunkRecord) would be, with the same *out; otherwise
// their status. On OK, *record is the one record, or empty for a chunk of
// more records (read those with ChunkRecord). A record that does not start
// 8-aligned in memory is copied into *aligned as its CRC is read, and
// *record views the copy (FlatBuffers reads need the alignment; the copy
// lives until *aligned changes); an aligned one is viewed where it lies.
Status ParseChunkOfOne(std::string_view value, ChunkKind kind, uint64_t key_last, ChunkView* out,
                       std::vector<uint64_t>* aligned, std::string_view* record);

// Builds an events chunk from records added in ascending seq order. The
// records are not copied until Finish; Pieces hands them out as they are,
// for a WriteBatch Put of SliceParts.
class ChunkBuilder {
 public:
  // REQUIRES: kind is kLog or kStream.
  explicit ChunkBuilder(ChunkKind kind) : kind_(kind) {}

  // Adds `record` at `seq`, committed at `commit_us`. The bytes must stay
  // unchanged until the next Reset.
  // REQUIRES: seq >= 1, seq > every seq added since Reset, record not empty
  // and shorter than 4 GiB, seq - first < 2^32.
  void Add(uint64_t seq, std::string_view record, int64_t commit_us);
  // The same with the record's CRC given (RecordCrc(record)): the writer
  // puts each record in a log and a stream chunk and computes it once.
  void Add(uint64_t seq, std::string_view record, int64_t commit_us, uint32_t record_crc);

  bool empty() const { return seqs_.empty(); }
  size_t count() const { return seqs_.size(); }
  uint64_t first() const { return first_; }
  uint64_t last() const { return seqs_.empty() ? 0 : first_ + seqs_.back(); }
  // Bytes of the records added (without padding).
  size_t record_bytes() const { return record_bytes_; }
  // The size of the finished chunk.
  size_t ChunkBytes() const;

  // Appends the chunk to *out. REQUIRES: !empty()
  void Finish(std::string* out);
  // The chunk as pieces whose concatenation is Finish's output: the header
  // with the slots and the alignment (kept here), then each record and its
  // padding (zeros from a static buffer). Valid until the next Add, Reset or
  // Pieces. REQUIRES: !empty()
  void Pieces(std::vector<std::string_view>* pieces);

  // Forgets every record; the builder can start a new chunk.
  void Reset();

 private:
  void WriteHeader();

  ChunkKind kind_;
  uint64_t first_ = 0;
  int64_t max_us_ = 0;
  size_t record_bytes_ = 0;
  size_t padded_bytes_ = 0;
  std::vector<uint32_t> seqs_;  // seq - first
  std::vector<uint32_t> crcs_;  // masked
  std::vector<std::string_view> records_;
  std::string header_;  // header, slots and alignment, by WriteHeader
};

// The masked CRC32C of `record` that an events chunk's slot holds.
uint32_t RecordCrc(std::string_view record);

// The chunk `view` with only the records whose `keep` entry is true: the
// same kind, first, span and max_us (an upper bound from then on), the kept
// slots with their CRCs, the kept records' bytes unchanged, and the sparse
// flag. Record CRCs are not checked (a corrupt record stays detectably so).
// REQUIRES: keep.size() == view.n, at least one entry true; `view` from
// ParseChunk.
std::string RewriteChunk(const ChunkView& view, const std::vector<bool>& keep);

// A posting chunk of `positions`. REQUIRES: 1..65535 positions, strictly
// ascending, the first >= 1. Its key is positions.back().
std::string EncodePostings(const std::vector<uint64_t>& positions);
// The same into *out (replaced), reusing its capacity.
void EncodePostings(const std::vector<uint64_t>& positions, std::string* out);
// Decodes a posting chunk stored under `key_last` into *positions (replaced).
// Positions are stored relative to the key, so the key decides them.
// Corruption unless magic, kind, CRC, count and varints are well formed,
// positions strictly ascend from >= 1 and the deltas add up to the key's.
Status DecodePostings(std::string_view value, uint64_t key_last, std::vector<uint64_t>* positions);

// One caller-given id of an ids chunk.
struct IdEntry {
  uint64_t position = 0;
  Uuid id;
  bool operator==(const IdEntry&) const = default;
};

// An ids chunk under `key_last`, committed at `commit_us`. REQUIRES:
// 1..65535 entries, positions strictly ascending, each in
// [max(1, key_last - 2^32 + 1), key_last].
std::string EncodeIds(uint64_t key_last, int64_t commit_us, const std::vector<IdEntry>& entries);
// Decodes an ids chunk stored under `key_last` (entries replaced).
// Corruption unless magic, kind, CRC and length are right and the positions
// strictly ascend within [1, key_last].
Status DecodeIds(std::string_view value, uint64_t key_last, int64_t* commit_us,
                 std::vector<IdEntry>* entries);

}  // namespace evlog::chunk
