// wire: what the request and response halves of the protocol codec share
// (protocol.cc, protocol_response.cc) — FlatBuffers field conversions,
// verification of an aligned copy, and framing of a finished message.
// Internal to server/: nothing outside the codec includes it.

#pragma once

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "evlog/schema/protocol_generated.h"
#include "frame.h"
#include "protocol.h"

namespace evlog::server::wire {

namespace fb = ::evlog::protocol;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// ---- helpers --------------------------------------------------------------

inline std::string Str(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }
inline std::string Bytes(const flatbuffers::Vector<uint8_t>* v) {
  return v == nullptr ? "" : std::string(reinterpret_cast<const char*>(v->data()), v->size());
}
// Each string of a vector (none when absent), byte for byte: NUL included.
inline std::vector<std::string> Strings(
    const flatbuffers::Vector<Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  out.reserve(v->size());
  for (const flatbuffers::String* s : *v) out.push_back(Str(s));
  return out;
}
// A vector of strings with each one's length, so NUL bytes travel too.
template <class Range>
Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> StringVector(FlatBufferBuilder& b,
                                                                      const Range& strings) {
  std::vector<Offset<flatbuffers::String>> out;
  out.reserve(strings.size());
  for (const auto& s : strings) out.push_back(b.CreateString(s.data(), s.size()));
  return b.CreateVector(out);
}
inline Query FromWire(const fb::Query& q) {
  Query out;
  if (q.items() == nullptr) return out;
  out.items.reserve(q.items()->size());
  for (const fb::QueryItem* item : *q.items()) {
    out.items.push_back(QueryItem{Strings(item->types()), Strings(item->tags())});
  }
  return out;
}
inline Offset<fb::Query> ToWire(FlatBufferBuilder& b, const Query& q) {
  std::vector<Offset<fb::QueryItem>> items;
  items.reserve(q.items.size());
  for (const QueryItem& item : q.items) {
    const auto types = StringVector(b, item.types);
    const auto tags = StringVector(b, item.tags);
    items.push_back(fb::CreateQueryItem(b, types, tags));
  }
  return fb::CreateQuery(b, b.CreateVector(items));
}
inline Uuid FromWire(const fb::Uuid* id) {
  if (id == nullptr) return Uuid();
  std::array<uint8_t, 16> bytes{};
  std::copy(id->bytes()->begin(), id->bytes()->end(), bytes.begin());
  return Uuid(bytes);
}
inline fb::Uuid ToWire(const Uuid& id) {
  return fb::Uuid(flatbuffers::span<const uint8_t, 16>(id.bytes().data(), 16));
}
inline Offset<flatbuffers::Vector<uint8_t>> ByteVector(FlatBufferBuilder& b, std::string_view s) {
  return b.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline size_t CountOrMax(uint64_t n) {
  return n == 0 || n > std::numeric_limits<size_t>::max() ? std::numeric_limits<size_t>::max()
                                                          : static_cast<size_t>(n);
}
inline uint64_t CountToWire(size_t n) { return n == std::numeric_limits<size_t>::max() ? 0 : n; }

inline std::string FinishFrame(FlatBufferBuilder& b, uint64_t request_id, fb::Body type,
                               Offset<void> body) {
  b.Finish(fb::CreateMessage(b, request_id, type, body));
  return MakeFrame(
      std::string_view(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()));
}

// FlatBuffers reads scalars in place: verify and read an 8-byte-aligned copy
// when the frame sits at an odd offset of the receive buffer.
class Aligned {
 public:
  explicit Aligned(std::span<const uint8_t> bytes) {
    if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 == 0) {
      view_ = bytes;
    } else {
      copy_.resize((bytes.size() + 7) / 8);
      std::memcpy(copy_.data(), bytes.data(), bytes.size());
      view_ =
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(copy_.data()), bytes.size());
    }
  }
  std::span<const uint8_t> view() const { return view_; }

 private:
  std::vector<uint64_t> copy_;
  std::span<const uint8_t> view_;
};

inline const fb::Message* Verify(std::span<const uint8_t> bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::VerifyMessageBuffer(verifier)) return nullptr;
  return fb::GetMessage(bytes.data());
}

// The message in `aligned` once verified; Malformed (with its request id
// when readable) if it does not verify or names a body type without a body
// (the verifier accepts a union type whose value is absent).
inline std::variant<const fb::Message*, ProtocolError> VerifiedMessage(const Aligned& aligned) {
  const fb::Message* m = Verify(aligned.view());
  if (m == nullptr) {
    return ProtocolError{ProtocolCode::kMalformedFrame, "message failed FlatBuffers verification",
                         0};
  }
  if (m->body_type() != fb::Body::NONE && m->body() == nullptr) {
    return ProtocolError{ProtocolCode::kMalformedFrame,
                         "the message names a body type but has no body", m->request_id()};
  }
  return m;
}

inline StreamMetadata FromWire(const fb::StreamMetadata* m) {
  StreamMetadata out;
  if (m == nullptr) return out;
  if (m->has_max_count()) out.max_count = m->max_count();
  if (m->has_max_age()) out.max_age_seconds = m->max_age_seconds();
  if (m->has_truncate_before()) out.truncate_before = Version(m->truncate_before());
  out.deleted = m->deleted();
  out.hard_deleted = m->hard_deleted();
  return out;
}
inline Offset<fb::StreamMetadata> ToWire(FlatBufferBuilder& b, const StreamMetadata& m) {
  return fb::CreateStreamMetadata(
      b, m.max_count.has_value(), m.max_count.value_or(0), m.max_age_seconds.has_value(),
      m.max_age_seconds.value_or(0), m.truncate_before.has_value(),
      m.truncate_before.value_or(Version()).value(), m.deleted, m.hard_deleted);
}

// The metrics of StatsOk (protocol_metrics.cc).
Offset<fb::Metrics> MetricsToWire(FlatBufferBuilder& b, const MetricsSnapshot& metrics);
// False if a histogram's bounds and counts differ in length.
bool MetricsFromWire(const fb::Metrics* wire, MetricsSnapshot* out);

// Each element of a vector of tables (none when absent), converted by
// `convert(const Element&)`.
template <class Element, class Convert>
auto ConvertAll(const flatbuffers::Vector<Offset<Element>>* v, Convert convert) {
  std::vector<std::invoke_result_t<Convert, const Element&>> out;
  if (v == nullptr) return out;
  out.reserve(v->size());
  for (const Element* e : *v) out.push_back(convert(*e));
  return out;
}

// `message` (a Request or a Response) with its body set: what a decoder
// returns once it has decoded the body.
template <class Message, class Body>
Message WithBody(Message message, Body body) {
  message.body = std::move(body);
  return message;
}

inline ProtocolError Malformed(std::string message, uint64_t request_id = 0) {
  return ProtocolError{ProtocolCode::kMalformedFrame, std::move(message), request_id};
}

}  // namespace evlog::server::wire
