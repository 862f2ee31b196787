// HttpGuard: admission of an HTTP request by its headers alone, before its
// body is read and before the bearer token is looked at. It keeps web pages
// away from evlogd (docs/http.md, "Host and Origin"):
//
// - Host. A request whose Host is not evlogd's own address gets 421
//   Misdirected Request. Accepted: the listen host and port; on a loopback
//   address also 127.0.0.1, [::1] and localhost with the port; on an
//   unspecified address (0.0.0.0, ::) any IP literal with the port; and
//   every entry of `allowed_hosts` ("host", any port, or "host:port"). A
//   page that reached evlogd by DNS rebinding carries its own domain name,
//   so this is what defeats rebinding. A request without Host gets 421 too.
// - Writes (any method but GET and HEAD). Refused with 403 when the request
//   comes from a page of another origin: an Origin that is neither
//   same-origin ("http://" + the request's Host) nor in `allowed_origins`;
//   or, without Origin, a Sec-Fetch-Site other than same-origin or none.
//   A request with neither header is not from a browser (curl, scripts)
//   and passes: the token, when evlogd has one, is its authentication.
// - CORS preflights (OPTIONS with Access-Control-Request-Method): answered
//   204 with CORS headers for an origin in `allowed_origins`, 403 without
//   them for any other.
//
// Pure: no sockets, no clock. Thread-safety: const, so any thread.

#pragma once

#include <optional>
#include <string>
#include <vector>

#include "evlog/status.h"
#include "http_net.h"
#include "http_response.h"

namespace evlog::server {

class HttpGuard {
 public:
  // `endpoint`: the address the listener is bound to, with its actual port.
  // `allowed_hosts` and `allowed_origins`: see HttpOptions; compared without
  // regard to case.
  HttpGuard(const net::tcp::endpoint& endpoint, const std::vector<std::string>& allowed_hosts,
            const std::vector<std::string>& allowed_origins);

  // InvalidArgument, naming the entry, when an allowed host is not "host" or
  // "host:port", or an allowed origin not "http://..." or "https://...".
  static Status CheckOptions(const std::vector<std::string>& allowed_hosts,
                             const std::vector<std::string>& allowed_origins);

  // Nothing when `request` may go on to authentication and its route;
  // otherwise the response to send instead: 421 (foreign or missing Host),
  // 403 (a write from another origin, or a preflight from an origin not
  // allowed) or 204 (an allowed preflight, with its CORS headers).
  std::optional<HttpResponse> Admit(const HttpRequest& request) const;

  // The value for Access-Control-Allow-Origin on responses to `request`:
  // its Origin when that is in `allowed_origins`; empty otherwise (no CORS
  // headers).
  std::string CorsOrigin(const HttpRequest& request) const;

 private:
  struct HostPort {
    std::string host;  // lower case; an IPv6 literal with its brackets
    std::optional<uint16_t> port;
  };
  static std::optional<HostPort> ParseHostPort(std::string_view text);
  bool HostAllowed(std::string_view host) const;
  bool OriginAllowed(std::string_view origin) const;

  uint16_t port_;
  bool any_ip_literal_;  // listening on 0.0.0.0 or ::
  std::vector<HostPort> hosts_;
  std::vector<std::string> origins_;  // lower case
};

}  // namespace evlog::server
