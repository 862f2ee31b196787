// libFuzzer target: the stored-record decoder (verify + decode) on arbitrary
// bytes, as RocksDB could hand back after corruption. It must never crash;
// a record that decodes must re-encode to one that decodes to the same event.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  evlog::codec::AlignedBuffer scratch;
  evlog::RecordedEvent event;
  if (!evlog::codec::DecodeEvent(bytes, &scratch, &event).ok()) return 0;
  const evlog::OwnedEvent owned = evlog::OwnedEvent::From(event);
  const std::string again = evlog::codec::EncodeRecorded(owned);
  evlog::codec::AlignedBuffer scratch2;
  evlog::RecordedEvent back;
  if (!evlog::codec::DecodeEvent(again, &scratch2, &back).ok()) std::abort();
  if (back.stream != owned.stream || back.type != owned.type || back.data != owned.data ||
      back.metadata != owned.metadata || back.id != owned.id || back.version != owned.version ||
      back.position != owned.position || back.timestamp_us != owned.timestamp_us) {
    std::abort();
  }
  return 0;
}
