// Session pages: how a session sizes what a page it reserved may hold
// (session.cc for reads and pushes, session_consumers.cc for fetches).
// Internal to server/.

#pragma once

#include <cstddef>

namespace evlog::server {

// The frame around a page's events or rows: message envelope and prefix.
inline constexpr size_t kEnvelopeBytes = 32 << 10;
// What an event costs in a frame beyond its data and metadata, at most: its
// stream name and type (255 bytes each) and its fixed fields.
inline constexpr size_t kEventOverheadBytes = 255 + 255 + 128;

// The message bytes a page of `page` bytes leaves for events.
inline size_t MessageBytes(size_t page) {
  return page > 2 * kEnvelopeBytes ? page - kEnvelopeBytes : page / 2;
}

}  // namespace evlog::server
