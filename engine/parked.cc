#include "parked.h"

#include <algorithm>

#include "checkpoint.h"
#include "codec.h"
#include "keys.h"
#include "reader.h"
#include "sequence.h"

namespace evlog::parked {

std::string ErrorOf(std::string_view metadata) {
  constexpr std::string_view kKey = "{\"error\":\"";
  if (!metadata.starts_with(kKey)) return std::string(metadata);
  std::string out;
  for (size_t i = kKey.size(); i < metadata.size() && metadata[i] != '"'; ++i) {
    if (metadata[i] == '\\' && i + 1 < metadata.size()) ++i;
    out.push_back(metadata[i]);
  }
  return out;
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
