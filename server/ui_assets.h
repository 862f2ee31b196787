// UiAssets: the web console's files (server/ui/), compiled into evlogd by
// server/ui/embed.cmake, so the console works offline and needs nothing
// beside the binary.

#pragma once

#include <span>
#include <string_view>

namespace evlog::server {

struct UiAsset {
  // The file's name under /ui/, e.g. "app.js".
  std::string_view name;
  // Its bytes, as in the source tree.
  std::string_view body;
  // Its ETag: a quoted prefix of the bytes' SHA-256.
  std::string_view etag;
};

// Every file of the console. The views live as long as the program.
std::span<const UiAsset> UiAssets();

}  // namespace evlog::server
