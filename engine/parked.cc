#include "parked.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "codec.h"
#include "keys.h"
#include "reader.h"
#include "sequence.h"

namespace evlog::parked {

std::string Metadata(const OwnedEvent& event, const Status& error) {
  nlohmann::ordered_json metadata = {{"error", error.ToString()},
                                     {"stream", event.stream},
                                     {"version", event.version.value()},
                                     {"position", event.position.value()}};
  // Stream names are UTF-8 (checked at append); a handler's error text may
  // not be, and the metadata must stay a JSON text.
  return metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ErrorOf(std::string_view metadata) {
  // Written by Metadata, so small and shallow; nothing here throws.
  const nlohmann::json parsed = nlohmann::json::parse(metadata, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    auto error = parsed.find("error");
    if (error != parsed.end() && error->is_string()) return error->get<std::string>();
  }
  return std::string(metadata);
}

Status Park(Writer& writer, const Options& store_options, std::string_view name,
            const OwnedEvent& event, const Status& error) {
  AppendRequest request;
  request.streams.push_back(
      StreamAppend{.stream = checkpoint::ParkedStream(name),
                   .expected = ExpectedVersion::Any(),
                   .events = {EventData{.type = event.type,
                                        .data = codec::EncodeRecorded(event),
                                        .metadata = Metadata(event, error),
                                        .content_type = ContentType::kFlatBuffers}}});
  return AppendAndWait(writer, store_options, std::move(request), /*system=*/true).status();
}

Result<std::vector<ParkedEvent>> List(const Db& db, std::string_view name) {
  uint64_t replayed = 0;
  if (Status s = checkpoint::Get(db, keys::ReplayedKey(name), 0, &replayed); !s.ok()) return s;
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), checkpoint::ParkedStream(name), &head);
      !s.ok()) {
    return s;
  }
  std::vector<ParkedEvent> out;
  if (head.id == 0) return out;
  auto it = NewStreamIterator(db, head.id, ReadStreamOptions{});
  codec::AlignedBuffer scratch;
  for (; it->Valid(); it->Next()) {
    const RecordedEvent& parked = it->event();
    RecordedEvent original;
    if (Status s = codec::DecodeEvent(parked.data, &scratch, &original); !s.ok()) return s;
    out.push_back(ParkedEvent{.event = OwnedEvent::From(original),
                              .error = ErrorOf(parked.metadata),
                              .parked_version = parked.version,
                              .replayed = parked.version.value() <= replayed});
  }
  if (!it->status().ok()) return it->status();
  return out;
}

Result<std::vector<OwnedEvent>> Originals(const Db& db, std::string_view name, uint64_t after,
                                          uint64_t upto) {
  std::vector<OwnedEvent> out;
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), checkpoint::ParkedStream(name), &head);
      !s.ok()) {
    return s;
  }
  if (head.id == 0 || upto <= after) return out;
  auto it = NewStreamIterator(db, head.id,
                              ReadStreamOptions{.from = Version(after + 1), .max_count = upto - after});
  codec::AlignedBuffer scratch;
  for (; it->Valid(); it->Next()) {
    RecordedEvent original;
    if (Status s = codec::DecodeEvent(it->event().data, &scratch, &original); !s.ok()) return s;
    out.push_back(OwnedEvent::From(original));
  }
  if (!it->status().ok()) return it->status();
  return out;
}

Result<uint64_t> RequestReplay(const Db& db, std::string_view name) {
  StreamHead parked;
  if (Status s =
          LoadStreamHead(db, rocksdb::ReadOptions(), checkpoint::ParkedStream(name), &parked);
      !s.ok()) {
    return s;
  }
  if (parked.version.value() == 0) {
    return Status::NotFound("subscription '" + std::string(name) + "' has no parked events");
  }
  uint64_t replayed = 0;
  if (Status s = checkpoint::Get(db, keys::ReplayedKey(name), 0, &replayed); !s.ok()) return s;
  if (Status s = checkpoint::Put(db, keys::ReplayToKey(name), parked.version.value()); !s.ok()) {
    return s;
  }
  db.commits->Poke();
  return parked.version.value() - std::min(replayed, parked.version.value());
}

}  // namespace evlog::parked
