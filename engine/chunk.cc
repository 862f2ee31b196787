// chunk: encoding and checked decoding of format 2's values (chunk.h).
// Every read of a value is preceded by a bound check against its length,
// and sizes are summed in 64 bits, so no input can make an offset wrap.

#include "chunk.h"

#include <algorithm>
#include <array>
#include <limits>
#include <cstring>

#include "crc32c.h"

namespace evlog::chunk {
namespace {

constexpr char kZeros[8] = {};

void PutU16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v);
  p[1] = static_cast<char>(v >> 8);
}
void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint16_t GetU16(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}
uint32_t GetU32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
}
uint64_t GetU64(const char* p) {
  return static_cast<uint64_t>(GetU32(p)) | (static_cast<uint64_t>(GetU32(p + 4)) << 32);
}

constexpr uint64_t Pad8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

uint32_t MaskedCrc(std::string_view bytes) { return crc32c::Mask(crc32c::Value(bytes)); }

Status Bad(std::string_view what, std::string_view detail) {
  return Status::Corruption(std::string(what) + " chunk: " + std::string(detail));
}

const char* SlotAt(const ChunkView& view, size_t i) {
  return view.value.data() + kEventsHeaderBytes + i * kSlotBytes;
}

}  // namespace

Status ParseChunk(std::string_view value, ChunkKind kind, uint64_t key_last, ChunkView* out) {
  constexpr std::string_view kWhat = "events";
  if (value.size() < kEventsHeaderBytes) return Bad(kWhat, "shorter than its header");
  if (value.size() > std::numeric_limits<uint32_t>::max()) return Bad(kWhat, "larger than 4 GiB");
  const auto* b = reinterpret_cast<const unsigned char*>(value.data());
  if (b[0] != kEventsMagic) return Bad(kWhat, "bad magic byte");
  if (b[1] != static_cast<uint8_t>(kind)) return Bad(kWhat, "of another kind");
  if (b[3] != 0) return Bad(kWhat, "reserved byte is not 0");
  const uint64_t first = GetU64(value.data() + 8);
  const uint32_t span = GetU32(value.data() + 16);
  const uint32_t n = GetU32(value.data() + 20);
  if (n == 0 || span == 0 || n > span) return Bad(kWhat, "bad record count or span");
  if (b[2] != (n < span ? 1 : 0)) return Bad(kWhat, "bad flags");
  if (first == 0 || key_last < first || key_last - first != span - 1) {
    return Bad(kWhat, "its range does not end at its key");
  }
  const uint64_t slots_end = kEventsHeaderBytes + uint64_t{n} * kSlotBytes;
  if (slots_end > value.size()) return Bad(kWhat, "its slots run past its end");
  if (crc32c::Unmask(GetU32(value.data() + 4)) !=
      crc32c::Value(value.data() + 8, static_cast<size_t>(slots_end - 8))) {
    return Bad(kWhat, "header checksum mismatch");
  }
  const uint64_t records = Pad8(slots_end);
  if (records > value.size()) return Bad(kWhat, "its records run past its end");
  if (std::memcmp(value.data() + slots_end, kZeros, static_cast<size_t>(records - slots_end)) != 0) {
    return Bad(kWhat, "nonzero alignment bytes");
  }
  out->kind = kind;
  out->sparse = n < span;
  out->first = first;
  out->span = span;
  out->n = n;
  out->max_us = static_cast<int64_t>(GetU64(value.data() + 24));
  out->value = value;
  out->offsets.resize(size_t{n} + 1);
  uint64_t offset = records;
  int64_t previous = -1;
  for (uint32_t i = 0; i < n; ++i) {
    const char* slot = value.data() + kEventsHeaderBytes + size_t{i} * kSlotBytes;
    const uint32_t delta = GetU32(slot);
    const uint32_t size = GetU32(slot + 4);
    if (static_cast<int64_t>(delta) <= previous || delta >= span || (n == span && delta != i)) {
      return Bad(kWhat, "slots out of order");
    }
    previous = delta;
    if (size == 0) return Bad(kWhat, "an empty record");
    out->offsets[i] = static_cast<uint32_t>(offset);
    offset += Pad8(size);
    if (offset > value.size()) return Bad(kWhat, "a record runs past its end");
  }
  if (offset != value.size()) return Bad(kWhat, "bytes after its last record");
  out->offsets[n] = static_cast<uint32_t>(offset);
  return Status::OK();
}

uint64_t SlotSeq(const ChunkView& view, size_t i) { return view.first + GetU32(SlotAt(view, i)); }

size_t LowerSlot(const ChunkView& view, uint64_t seq) {
  if (seq <= view.first) return 0;
  if (seq > view.last()) return view.n;
  const uint32_t delta = static_cast<uint32_t>(seq - view.first);
  size_t lo = 0, hi = view.n;  // the answer is in [lo, hi]
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (GetU32(SlotAt(view, mid)) < delta) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

int FindSlot(const ChunkView& view, uint64_t seq) {
  if (seq < view.first || seq > view.last()) return -1;
  if (!view.sparse) return static_cast<int>(seq - view.first);
  size_t i = LowerSlot(view, seq);
  return i < view.n && SlotSeq(view, i) == seq ? static_cast<int>(i) : -1;
}

Status ChunkRecord(const ChunkView& view, size_t i, std::string_view* record) {
  if (i >= view.n) return Bad("events", "no such record");
  const char* slot = SlotAt(view, i);
  const uint32_t size = GetU32(slot + 4);
  const std::string_view bytes = view.value.substr(view.offsets[i], size);
  const size_t padding = view.offsets[i + 1] - view.offsets[i] - size;
  if (crc32c::Unmask(GetU32(slot + 8)) != crc32c::Value(bytes) ||
      std::memcmp(bytes.data() + size, kZeros, padding) != 0) {
    return Status::Corruption("events chunk: record checksum mismatch at " +
                              std::to_string(SlotSeq(view, i)));
  }
  *record = bytes;
  return Status::OK();
}

Status ParseChunkOfOne(std::string_view value, ChunkKind kind, uint64_t key_last, ChunkView* out,
                       std::vector<uint64_t>* aligned, std::string_view* record) {
  // Where a one-record chunk's record starts: the header, one slot, and
  // the alignment.
  constexpr size_t kRecordStart = Pad8(kEventsHeaderBytes + kSlotBytes);
  static_assert(kRecordStart == 48);
  *record = {};
  // The checks of ParseChunk and ChunkRecord for n = 1, in their order
  // but for the CRCs, which come last. Anything unusual (another count,
  // any failure) goes the general way, which gives the status.
  const auto general = [&]() -> Status {
    *record = {};
    Status s = ParseChunk(value, kind, key_last, out);
    if (!s.ok() || out->n != 1) return s;
    return ChunkRecord(*out, 0, record);
  };
  if (value.size() < kRecordStart + 8 || value.size() > std::numeric_limits<uint32_t>::max()) {
    return general();
  }
  const char* v = value.data();
  const auto* b = reinterpret_cast<const unsigned char*>(v);
  const uint64_t first = GetU64(v + 8);
  const uint32_t span = GetU32(v + 16);
  const uint32_t n = GetU32(v + 20);
  const uint32_t delta = GetU32(v + 32);
  const uint32_t size = GetU32(v + 36);
  if (n != 1 || b[0] != kEventsMagic || b[1] != static_cast<uint8_t>(kind) ||
      b[2] != (span > 1 ? 1 : 0) || b[3] != 0 || span == 0 || first == 0 || key_last < first ||
      key_last - first != span - 1 || GetU32(v + 44) != 0 || delta >= span ||
      (span == 1 && delta != 0) || size == 0 || kRecordStart + Pad8(size) != value.size()) {
    return general();
  }
  // The record's zero padding: the top bytes of the value's last word.
  if (const size_t pad = static_cast<size_t>(Pad8(size) - size);
      pad > 0 && (GetU64(v + value.size() - 8) >> (8 * (8 - pad))) != 0) {
    return general();
  }
  const std::string_view bytes(v + kRecordStart, size);
  char* copy = nullptr;
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0) {
    aligned->resize((size_t{size} + 7) / 8);
    copy = reinterpret_cast<char*>(aligned->data());
  }
  uint32_t header_crc = 0, record_crc = 0;
  crc32c::Value2(value.substr(8, kEventsHeaderBytes + kSlotBytes - 8), bytes, copy, &header_crc,
                 &record_crc);
  if (crc32c::Unmask(GetU32(v + 4)) != header_crc || crc32c::Unmask(GetU32(v + 40)) != record_crc) {
    return general();
  }
  out->kind = kind;
  out->sparse = span > 1;
  out->first = first;
  out->span = span;
  out->n = 1;
  out->max_us = static_cast<int64_t>(GetU64(v + 24));
  out->value = value;
  out->offsets.resize(2);
  out->offsets[0] = static_cast<uint32_t>(kRecordStart);
  out->offsets[1] = static_cast<uint32_t>(value.size());
  *record = copy == nullptr ? bytes : std::string_view(copy, size);
  return Status::OK();
}

uint32_t RecordCrc(std::string_view record) { return MaskedCrc(record); }

void ChunkBuilder::Add(uint64_t seq, std::string_view record, int64_t commit_us) {
  Add(seq, record, commit_us, MaskedCrc(record));
}

void ChunkBuilder::Add(uint64_t seq, std::string_view record, int64_t commit_us,
                       uint32_t record_crc) {
  if (seqs_.empty()) {
    first_ = seq;
    max_us_ = commit_us;
  }
  max_us_ = std::max(max_us_, commit_us);
  seqs_.push_back(static_cast<uint32_t>(seq - first_));
  crcs_.push_back(record_crc);
  records_.push_back(record);
  record_bytes_ += record.size();
  padded_bytes_ += Pad8(record.size());
}

size_t ChunkBuilder::ChunkBytes() const {
  return static_cast<size_t>(Pad8(kEventsHeaderBytes + seqs_.size() * kSlotBytes)) + padded_bytes_;
}

void ChunkBuilder::WriteHeader() {
  const uint32_t n = static_cast<uint32_t>(seqs_.size());
  const uint32_t span = seqs_.back() + 1;
  const size_t slots_end = kEventsHeaderBytes + size_t{n} * kSlotBytes;
  header_.assign(static_cast<size_t>(Pad8(slots_end)), '\0');
  char* h = header_.data();
  h[0] = static_cast<char>(kEventsMagic);
  h[1] = static_cast<char>(kind_);
  h[2] = n < span ? 1 : 0;
  PutU64(h + 8, first_);
  PutU32(h + 16, span);
  PutU32(h + 20, n);
  PutU64(h + 24, static_cast<uint64_t>(max_us_));
  for (uint32_t i = 0; i < n; ++i) {
    char* slot = h + kEventsHeaderBytes + size_t{i} * kSlotBytes;
    PutU32(slot, seqs_[i]);
    PutU32(slot + 4, static_cast<uint32_t>(records_[i].size()));
    PutU32(slot + 8, crcs_[i]);
  }
  PutU32(h + 4, MaskedCrc(std::string_view(h + 8, slots_end - 8)));
}

void ChunkBuilder::Finish(std::string* out) {
  WriteHeader();
  out->reserve(out->size() + ChunkBytes());
  out->append(header_);
  for (std::string_view r : records_) {
    out->append(r);
    out->append(kZeros, static_cast<size_t>(Pad8(r.size()) - r.size()));
  }
}

void ChunkBuilder::Pieces(std::vector<std::string_view>* pieces) {
  WriteHeader();
  pieces->clear();
  pieces->push_back(header_);
  for (std::string_view r : records_) {
    pieces->push_back(r);
    if (size_t pad = static_cast<size_t>(Pad8(r.size()) - r.size()); pad > 0) {
      pieces->emplace_back(kZeros, pad);
    }
  }
}

void ChunkBuilder::Reset() {
  first_ = 0;
  max_us_ = 0;
  record_bytes_ = 0;
  padded_bytes_ = 0;
  seqs_.clear();
  crcs_.clear();
  records_.clear();
}

std::string RewriteChunk(const ChunkView& view, const std::vector<bool>& keep) {
  std::vector<size_t> kept;
  for (size_t i = 0; i < view.n && i < keep.size(); ++i) {
    if (keep[i]) kept.push_back(i);
  }
  const uint32_t n = static_cast<uint32_t>(kept.size());
  const size_t slots_end = kEventsHeaderBytes + size_t{n} * kSlotBytes;
  const size_t records = static_cast<size_t>(Pad8(slots_end));
  size_t total = records;
  for (size_t i : kept) total += view.offsets[i + 1] - view.offsets[i];
  std::string out(records, '\0');
  out.reserve(total);
  char* h = out.data();
  std::memcpy(h, view.value.data(), kEventsHeaderBytes);
  h[2] = n < view.span ? 1 : 0;
  PutU32(h + 20, n);
  for (size_t k = 0; k < kept.size(); ++k) {
    std::memcpy(h + kEventsHeaderBytes + k * kSlotBytes, SlotAt(view, kept[k]), kSlotBytes);
  }
  PutU32(h + 4, MaskedCrc(std::string_view(h + 8, slots_end - 8)));
  for (size_t i : kept) {
    out.append(view.value.substr(view.offsets[i], view.offsets[i + 1] - view.offsets[i]));
  }
  return out;
}

// ---- Postings ---------------------------------------------------------------

namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint of at most 10 bytes (a u64) from [*p, end); false if it is
// cut short or overflows.
bool GetVarint(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>(*(*p)++);
    if (shift == 63 && byte > 1) return false;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

constexpr size_t kSmallHeaderBytes = 8;

// Checks magic, kind and CRC of a posting or ids chunk; its count in *n.
Status CheckSmallHeader(std::string_view value, std::string_view what, uint8_t magic,
                        ChunkKind kind, size_t header_bytes, uint16_t* n) {
  if (value.size() < header_bytes) return Bad(what, "shorter than its header");
  if (static_cast<uint8_t>(value[0]) != magic) return Bad(what, "bad magic byte");
  if (static_cast<uint8_t>(value[1]) != static_cast<uint8_t>(kind)) {
    return Bad(what, "of another kind");
  }
  *n = GetU16(value.data() + 2);
  if (*n == 0) return Bad(what, "empty");
  if (crc32c::Unmask(GetU32(value.data() + 4)) !=
      crc32c::Value(value.substr(kSmallHeaderBytes))) {
    return Bad(what, "checksum mismatch");
  }
  return Status::OK();
}

std::string SmallHeader(uint8_t magic, ChunkKind kind, size_t n) {
  std::string out(kSmallHeaderBytes, '\0');
  out[0] = static_cast<char>(magic);
  out[1] = static_cast<char>(kind);
  PutU16(out.data() + 2, static_cast<uint16_t>(n));
  return out;
}

void SealSmall(std::string* out) {
  PutU32(out->data() + 4, MaskedCrc(std::string_view(*out).substr(kSmallHeaderBytes)));
}

}  // namespace

void EncodePostings(const std::vector<uint64_t>& positions, std::string* out) {
  out->assign(kSmallHeaderBytes, '\0');
  (*out)[0] = static_cast<char>(kPostingsMagic);
  (*out)[1] = static_cast<char>(ChunkKind::kPostings);
  PutU16(out->data() + 2, static_cast<uint16_t>(positions.size()));
  const uint64_t last = positions.back();
  PutVarint(out, last - positions[0]);
  for (size_t i = 1; i < positions.size(); ++i) PutVarint(out, positions[i] - positions[i - 1]);
  SealSmall(out);
}

std::string EncodePostings(const std::vector<uint64_t>& positions) {
  std::string out;
  EncodePostings(positions, &out);
  return out;
}

Status DecodePostings(std::string_view value, uint64_t key_last,
                      std::vector<uint64_t>* positions) {
  constexpr std::string_view kWhat = "posting";
  uint16_t n = 0;
  if (Status s = CheckSmallHeader(value, kWhat, kPostingsMagic, ChunkKind::kPostings,
                                  kSmallHeaderBytes, &n);
      !s.ok()) {
    return s;
  }
  positions->clear();
  const char* p = value.data() + kSmallHeaderBytes;
  const char* end = value.data() + value.size();
  uint64_t v = 0;
  if (!GetVarint(&p, end, &v) || v >= key_last) return Bad(kWhat, "bad first position");
  uint64_t position = key_last - v;
  positions->push_back(position);
  for (uint16_t i = 1; i < n; ++i) {
    if (!GetVarint(&p, end, &v) || v == 0 || v > key_last - position) {
      return Bad(kWhat, "bad position delta");
    }
    position += v;
    positions->push_back(position);
  }
  if (p != end) return Bad(kWhat, "bytes after its last position");
  if (position != key_last) return Bad(kWhat, "its last position is not its key's");
  return Status::OK();
}

// ---- Ids --------------------------------------------------------------------

namespace {
constexpr size_t kIdsHeaderBytes = 16;
constexpr size_t kIdEntryBytes = 20;
}  // namespace

std::string EncodeIds(uint64_t key_last, int64_t commit_us, const std::vector<IdEntry>& entries) {
  std::string out = SmallHeader(kIdsMagic, ChunkKind::kIds, entries.size());
  out.resize(kIdsHeaderBytes + entries.size() * kIdEntryBytes);
  PutU64(out.data() + 8, static_cast<uint64_t>(commit_us));
  char* p = out.data() + kIdsHeaderBytes;
  for (const IdEntry& e : entries) {
    PutU32(p, static_cast<uint32_t>(key_last - e.position));
    std::memcpy(p + 4, e.id.bytes().data(), 16);
    p += kIdEntryBytes;
  }
  SealSmall(&out);
  return out;
}

Status DecodeIds(std::string_view value, uint64_t key_last, int64_t* commit_us,
                 std::vector<IdEntry>* entries) {
  constexpr std::string_view kWhat = "ids";
  uint16_t n = 0;
  if (Status s = CheckSmallHeader(value, kWhat, kIdsMagic, ChunkKind::kIds, kIdsHeaderBytes, &n);
      !s.ok()) {
    return s;
  }
  if (value.size() != kIdsHeaderBytes + size_t{n} * kIdEntryBytes) {
    return Bad(kWhat, "its length does not match its count");
  }
  *commit_us = static_cast<int64_t>(GetU64(value.data() + 8));
  entries->clear();
  entries->reserve(n);
  const char* p = value.data() + kIdsHeaderBytes;
  uint64_t previous = 0;
  for (uint16_t i = 0; i < n; ++i, p += kIdEntryBytes) {
    const uint32_t delta = GetU32(p);
    if (delta >= key_last) return Bad(kWhat, "a position below 1");
    const uint64_t position = key_last - delta;
    if (position <= previous) return Bad(kWhat, "positions out of order");
    previous = position;
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), p + 4, 16);
    entries->push_back(IdEntry{.position = position, .id = Uuid(bytes)});
  }
  return Status::OK();
}

}  // namespace evlog::chunk
