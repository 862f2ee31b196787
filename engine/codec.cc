#include "codec.h"

#include <cstring>

#include "evlog/schema/record_generated.h"

namespace evlog::codec {

namespace {

flatbuffers::FlatBufferBuilder& ThreadBuilder() {
  // Builders keep their buffer between uses: one per thread avoids an
  // allocation per encoded event on the append path.
  thread_local flatbuffers::FlatBufferBuilder builder(512);
  builder.Clear();
  return builder;
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string_view View(const flatbuffers::Vector<uint8_t>* v) {
  if (v == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(v->data()), v->size());
}

std::string_view View(const flatbuffers::String* s) {
  return std::string_view(s->data(), s->size());
}

// The builder's finished buffer, copied out.
std::string FinishedBytes(const flatbuffers::FlatBufferBuilder& b) {
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

// The root of `bytes` (copied into `scratch` to align it) once it verifies
// as a `Record`; nullptr if it does not.
template <class Record>
const Record* VerifiedRoot(std::string_view bytes, AlignedBuffer& scratch) {
  const uint8_t* buf = scratch.Assign(bytes);
  flatbuffers::Verifier verifier(buf, bytes.size());
  if (!verifier.VerifyBuffer<Record>(nullptr)) return nullptr;
  return flatbuffers::GetRoot<Record>(buf);
}

}  // namespace

void EncodeEvent(std::string_view stream, const EventData& event, const Uuid& id,
                 std::string* out) {
  auto& b = ThreadBuilder();
  auto stream_off = b.CreateString(stream.data(), stream.size());
  auto type_off = b.CreateString(event.type.data(), event.type.size());
  auto data_off = b.CreateVector(Bytes(event.data), event.data.size());
  auto meta_off = event.metadata.empty()
                      ? flatbuffers::Offset<flatbuffers::Vector<uint8_t>>()
                      : b.CreateVector(Bytes(event.metadata), event.metadata.size());
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> tags_off;
  if (!event.tags.empty()) {
    std::vector<flatbuffers::Offset<flatbuffers::String>> tags;
    tags.reserve(event.tags.size());
    for (const std::string& t : event.tags) tags.push_back(b.CreateString(t.data(), t.size()));
    tags_off = b.CreateVector(tags);
  }
  fb::EventHeader header(0, 0, 0, fb::Uuid(flatbuffers::span<const uint8_t, 16>(id.bytes())));
  fb::EventRecordBuilder rb(b);
  rb.add_header(&header);
  rb.add_stream(stream_off);
  rb.add_type(type_off);
  rb.add_content_type(static_cast<fb::ContentType>(event.content_type));
  rb.add_data(data_off);
  if (!event.metadata.empty()) rb.add_metadata(meta_off);
  if (!event.tags.empty()) rb.add_tags(tags_off);
  b.Finish(rb.Finish());
  out->assign(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

std::string EncodeRecorded(const OwnedEvent& e) {
  std::string out;
  EncodeEvent(e.stream,
              EventData{.type = e.type,
                        .data = e.data,
                        .metadata = e.metadata,
                        .content_type = e.content_type,
                        .id = e.id,
                        .tags = e.tags},
              e.id, &out);
  PatchEvent(&out, e.position, e.version, e.timestamp_us);
  return out;
}

void PatchEvent(std::string* record, Position position, Version version, int64_t timestamp_us) {
  auto* root = flatbuffers::GetMutableRoot<fb::EventRecord>(record->data());
  auto* header = root->mutable_header();
  header->mutate_position(position.value());
  header->mutate_version(version.value());
  header->mutate_timestamp_us(timestamp_us);
}

const uint8_t* AlignedBuffer::Assign(std::string_view bytes) {
  words_.resize((bytes.size() + 7) / 8);
  if (!bytes.empty()) std::memcpy(words_.data(), bytes.data(), bytes.size());
  return reinterpret_cast<const uint8_t*>(words_.data());
}

Status DecodeEvent(std::string_view bytes, AlignedBuffer* scratch, RecordedEvent* out) {
  const uint8_t* buf = Bytes(bytes);
  if (reinterpret_cast<uintptr_t>(buf) % 8 != 0) buf = scratch->Assign(bytes);
  flatbuffers::Verifier verifier(buf, bytes.size());
  if (!fb::VerifyEventRecordBuffer(verifier)) {
    return Status::Corruption("event record failed verification");
  }
  const fb::EventRecord* rec = fb::GetEventRecord(buf);
  const fb::EventHeader* h = rec->header();
  out->stream = View(rec->stream());
  out->type = View(rec->type());
  out->data = View(rec->data());
  out->metadata = View(rec->metadata());
  out->content_type = static_cast<ContentType>(rec->content_type());
  std::array<uint8_t, 16> id;
  std::memcpy(id.data(), h->id().bytes()->data(), id.size());
  out->id = Uuid(id);
  out->version = Version(h->version());
  out->position = Position(h->position());
  out->timestamp_us = h->timestamp_us();
  out->tags.clear();  // keeps its capacity: iterators decode into one event
  if (const auto* tags = rec->tags(); tags != nullptr) {
    for (const flatbuffers::String* t : *tags) out->tags.push_back(View(t));
  }
  return Status::OK();
}

std::string EncodeStreamRow(const StreamRow& row) {
  auto& b = ThreadBuilder();
  b.Finish(fb::CreateStreamRecord(b, row.id, row.created_position.value(), row.tombstoned));
  return FinishedBytes(b);
}

Status DecodeStreamRow(std::string_view bytes, StreamRow* out) {
  AlignedBuffer scratch;
  const auto* rec = VerifiedRoot<fb::StreamRecord>(bytes, scratch);
  if (rec == nullptr) return Status::Corruption("stream record failed verification");
  out->id = rec->id();
  out->created_position = Position(rec->created_position());
  out->tombstoned = rec->tombstoned();
  return Status::OK();
}

std::string EncodeSnapshot(const Snapshot& snapshot) {
  auto& b = ThreadBuilder();
  auto state = b.CreateVector(Bytes(snapshot.state), snapshot.state.size());
  b.Finish(fb::CreateSnapshotRecord(b, snapshot.version.value(), snapshot.timestamp_us, state));
  return FinishedBytes(b);
}

Status DecodeSnapshot(std::string_view bytes, Snapshot* out) {
  AlignedBuffer scratch;
  const auto* rec = VerifiedRoot<fb::SnapshotRecord>(bytes, scratch);
  if (rec == nullptr) return Status::Corruption("snapshot record failed verification");
  out->version = Version(rec->version());
  out->timestamp_us = rec->timestamp_us();
  out->state = std::string(View(rec->state()));
  return Status::OK();
}

}  // namespace evlog::codec
