// EventResponseBytes: what an event is estimated to add to a read's
// response, the one estimate by which the protocol's and HTTP's pages keep
// under DispatcherOptions::max_response_bytes. Each encoding names its own
// fixed cost per event (dispatcher.cc: FlatBuffers; http_handler.cc: JSON).

#pragma once

#include <cstddef>
#include <string_view>

#include "evlog/types.h"

namespace evlog::server {

// `event`'s stream, type, data, metadata and tags (each tag with its
// framing), plus `fixed_bytes` for the rest of its encoding: its fixed
// fields and their framing.
inline size_t EventResponseBytes(const RecordedEvent& event, size_t fixed_bytes) {
  size_t bytes = event.stream.size() + event.type.size() + event.data.size() +
                 event.metadata.size() + fixed_bytes;
  for (std::string_view tag : event.tags) bytes += tag.size() + 8;
  return bytes;
}

}  // namespace evlog::server
