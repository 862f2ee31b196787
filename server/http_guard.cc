// Invariant: nothing a page in a browser can send gets past Admit to a
// write unless its origin is evlogd's own or listed; a non-browser client
// (no Origin, no Sec-Fetch-Site) is left to the token.

#include "http_guard.h"

#include <algorithm>
#include <cctype>

namespace evlog::server {

namespace http = net::http;

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) { return Lower(a) == Lower(b); }

// The host part of a Host value as an address, when it is an IP literal.
bool IsIpLiteral(std::string_view host) {
  std::string bare(host);
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  boost::system::error_code ec;
  net::asio::ip::make_address(bare, ec);
  return !ec;
}

std::string HostOf(const net::asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}

}  // namespace

std::optional<HttpGuard::HostPort> HttpGuard::ParseHostPort(std::string_view text) {
  if (text.empty()) return std::nullopt;
  HostPort out;
  std::string_view host = text;
  const size_t colon = text.rfind(':');
  const size_t bracket = text.rfind(']');
  // A colon inside an IPv6 literal is not a port separator; a bare IPv6
  // address (no brackets, several colons) is not a valid Host.
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    if (bracket == std::string_view::npos && text.find(':') != colon) return std::nullopt;
    const std::string_view port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    const unsigned long value = std::stoul(std::string(port));
    if (value > 65535) return std::nullopt;
    out.port = static_cast<uint16_t>(value);
    host = text.substr(0, colon);
  }
  if (host.empty()) return std::nullopt;
  out.host = Lower(host);
  return out;
}

Status HttpGuard::CheckOptions(const std::vector<std::string>& allowed_hosts,
                               const std::vector<std::string>& allowed_origins) {
  for (const std::string& host : allowed_hosts) {
    if (!ParseHostPort(host) || host.find_first_of("/ \t") != std::string::npos) {
      return Status::InvalidArgument("--http-allowed-hosts wants host or host:port, got '" + host +
                                     "'");
    }
  }
  for (const std::string& origin : allowed_origins) {
    const std::string lower = Lower(origin);
    const size_t rest = lower.starts_with("http://")    ? 7
                        : lower.starts_with("https://") ? 8
                                                        : std::string::npos;
    if (rest == std::string::npos || rest == lower.size() ||
        lower.find('/', rest) != std::string::npos) {
      return Status::InvalidArgument(
          "--http-allowed-origins wants scheme://host[:port] with no path, got '" + origin + "'");
    }
  }
  return Status::OK();
}

HttpGuard::HttpGuard(const net::tcp::endpoint& endpoint,
                     const std::vector<std::string>& allowed_hosts,
                     const std::vector<std::string>& allowed_origins)
    : port_(endpoint.port()), any_ip_literal_(endpoint.address().is_unspecified()) {
  hosts_.push_back({HostOf(endpoint.address()), port_});
  if (endpoint.address().is_loopback()) {
    for (const char* host : {"127.0.0.1", "[::1]", "localhost"}) hosts_.push_back({host, port_});
  }
  for (const std::string& entry : allowed_hosts) {
    if (auto parsed = ParseHostPort(entry)) hosts_.push_back(std::move(*parsed));
  }
  for (const std::string& origin : allowed_origins) origins_.push_back(Lower(origin));
}

bool HttpGuard::HostAllowed(std::string_view host) const {
  std::optional<HostPort> parsed = ParseHostPort(host);
  if (!parsed) return false;
  // No port in Host means the scheme's default, 80.
  const uint16_t port = parsed->port.value_or(80);
  if (any_ip_literal_ && port == port_ && IsIpLiteral(parsed->host)) return true;
  return std::any_of(hosts_.begin(), hosts_.end(), [&](const HostPort& allowed) {
    return allowed.host == parsed->host && (!allowed.port || *allowed.port == port);
  });
}

bool HttpGuard::OriginAllowed(std::string_view origin) const {
  const std::string lower = Lower(origin);
  return std::find(origins_.begin(), origins_.end(), lower) != origins_.end();
}

std::string HttpGuard::CorsOrigin(const HttpRequest& request) const {
  const std::string_view origin = request[http::field::origin];
  return !origin.empty() && OriginAllowed(origin) ? std::string(origin) : std::string();
}

std::optional<HttpResponse> HttpGuard::Admit(const HttpRequest& request) const {
  const std::string_view host = request[http::field::host];
  if (!HostAllowed(host)) {
    return HttpError(
        http::status::misdirected_request, "misdirected_request",
        "Host '" + std::string(host) + "' is not this server's address (see --http-allowed-hosts)");
  }
  const std::string_view origin = request[http::field::origin];
  const bool has_origin = request.find(http::field::origin) != request.end();
  if (request.method() == http::verb::options &&
      request.find(http::field::access_control_request_method) != request.end()) {
    if (!has_origin || !OriginAllowed(origin)) {
      return HttpError(http::status::forbidden, "forbidden_origin",
                       "cross-origin requests from '" + std::string(origin) +
                           "' are not allowed (see --http-allowed-origins)");
    }
    HttpResponse response{http::status::no_content, 11};
    response.set(http::field::access_control_allow_origin, origin);
    response.set(http::field::access_control_allow_methods, "GET, POST, PUT, DELETE");
    const std::string_view headers = request[http::field::access_control_request_headers];
    if (!headers.empty()) response.set(http::field::access_control_allow_headers, headers);
    response.set(http::field::access_control_max_age, "600");
    response.set(http::field::vary, "Origin");
    return response;
  }
  if (request.method() == http::verb::get || request.method() == http::verb::head) {
    return std::nullopt;
  }
  if (has_origin) {
    if (EqualsNoCase(origin, "http://" + std::string(host)) || OriginAllowed(origin)) {
      return std::nullopt;
    }
    return HttpError(http::status::forbidden, "forbidden_origin",
                     "writes from origin '" + std::string(origin) +
                         "' are not allowed (see --http-allowed-origins)");
  }
  const std::string_view site = request["Sec-Fetch-Site"];
  if (!site.empty() && !EqualsNoCase(site, "same-origin") && !EqualsNoCase(site, "none")) {
    return HttpError(http::status::forbidden, "forbidden_origin",
                     "writes from a " + std::string(site) + " page are not allowed");
  }
  return std::nullopt;
}

}  // namespace evlog::server
