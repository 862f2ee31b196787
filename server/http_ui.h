// The web console's routes (issue #20, docs/console.md): GET /ui redirects
// to /ui/, GET /ui/ is its index.html, GET /ui/{file} one of its files
// (UiAssets). Pure: no sockets, no engine. The files are public (the page
// must load to ask for the token); every piece of data they show comes
// from the JSON routes, which keep their token check.

#pragma once

#include <string_view>

#include "http_response.h"

namespace evlog::server {

// Whether `target` (a request target, query included) names the console:
// "/ui" or anything under "/ui/".
bool IsUiTarget(std::string_view target);

// The answer to `request`, whose target IsUiTarget:
//   GET /ui                 301 to /ui/ (the query kept)
//   GET /ui/, /ui/{file}    200 with the file, its Content-Type, an ETag,
//                           Cache-Control: no-cache and the console's
//                           security headers (kUiContentSecurityPolicy,
//                           nosniff, no referrer, no framing); 304 without
//                           a body when If-None-Match names the ETag
//   GET of another file     404 not_found
//   any other method        405 with Allow: GET
HttpResponse UiResponse(const HttpRequest& request);

// The console's Content-Security-Policy: its own files only (no inline
// script or style, no other origin), requests to evlogd only, no framing.
inline constexpr std::string_view kUiContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The Content-Type of a console file, by its name's extension.
std::string_view UiContentType(std::string_view name);

}  // namespace evlog::server
