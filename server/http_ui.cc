// The console's files are served as they were compiled in; nothing here
// reads the file system, so no request can name a file outside them.

#include "http_ui.h"

#include "ui_assets.h"

namespace evlog::server {

namespace http = net::http;

namespace {

constexpr std::string_view kPrefix = "/ui";

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool IsUiTarget(std::string_view target) {
  const std::string_view path = PathOf(target);
  return path == kPrefix || path.rfind("/ui/", 0) == 0;
}

std::string_view UiContentType(std::string_view name) {
  if (EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (EndsWith(name, ".svg")) return "image/svg+xml";
  if (EndsWith(name, ".png")) return "image/png";
  return "application/octet-stream";
}

HttpResponse UiResponse(const HttpRequest& request) {
  if (request.method() != http::verb::get) {
    HttpResponse response =
        HttpError(http::status::method_not_allowed, "method_not_allowed", "GET /ui/ only");
    response.set(http::field::allow, "GET");
    return response;
  }
  const std::string_view target = request.target();
  const std::string_view path = PathOf(target);
  if (path == kPrefix) {
    // Relative URLs in index.html resolve against /ui/, not /.
    HttpResponse response{http::status::moved_permanently, 11};
    response.set(http::field::location, "/ui/" + std::string(target.substr(path.size())));
    return response;
  }
  std::string_view name = path.substr(kPrefix.size() + 1);
  if (name.empty()) name = "index.html";
  for (const UiAsset& asset : UiAssets()) {
    if (asset.name != name) continue;
    const bool fresh = request[http::field::if_none_match] == asset.etag;
    HttpResponse response{fresh ? http::status::not_modified : http::status::ok, 11};
    response.set(http::field::etag, asset.etag);
    // Revalidated on every load: a new evlogd brings new files.
    response.set(http::field::cache_control, "no-cache");
    response.set("Content-Security-Policy", kUiContentSecurityPolicy);
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "no-referrer");
    response.set("X-Frame-Options", "DENY");
    if (!fresh) {
      response.set(http::field::content_type, UiContentType(name));
      response.body() = std::string(asset.body);
    }
    return response;
  }
  return HttpError(http::status::not_found, "not_found",
                   "the console has no file " + std::string(path));
}

}  // namespace evlog::server
