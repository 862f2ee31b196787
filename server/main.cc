// evlogd: serves one evlog store over TCP. Parses flags, opens the store,
// runs the server until SIGTERM/SIGINT has drained it, closes the store.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "command_line/address.h"
#include "command_line/parse.h"
#include "evlog/store.h"
#include "net.h"
#include "server.h"

namespace {

// The endpoint `text` names (command_line::ParseHostPort, port 0: any free
// port), the value of `flag`; HOST must be a numeric address.
bool ParseListen(const std::string& text, evlog::net::tcp::endpoint& out, std::string& error,
                 const std::string& flag = "--listen") {
  auto address = evlog::command_line::ParseHostPort(text, flag, /*allow_port_zero=*/true);
  if (!address.ok()) {
    error = address.status().message();
    return false;
  }
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(address->host, ec);
  if (ec) {
    error = flag + " wants a numeric address, got '" + address->host + "'";
    return false;
  }
  out = evlog::net::tcp::endpoint(ip, address->port);
  return true;
}

// Whether evlogd may serve on `endpoint` (the value `text` of a flag): an
// address other than loopback needs --allow-remote (false, with `error`),
// and without a token it is served with a warning on stderr. `to` and
// `doing` say what evlogd does there ("listen on", "listening on").
bool CheckReach(const evlog::net::tcp::endpoint& endpoint, const std::string& text,
                bool allow_remote, bool has_token, const std::string& to, const std::string& doing,
                std::string& error) {
  if (endpoint.address().is_loopback()) return true;
  if (!allow_remote) {
    error = text + " is not a loopback address; pass --allow-remote to " + to + " it";
    return false;
  }
  if (!has_token) {
    std::cerr << "evlogd: warning: " << doing << " " << text
              << " without --token-file: anyone who can reach it can read and write\n";
  }
  return true;
}

// Fills `token` from --token-file `path` (command_line::ReadTokenFile).
bool ReadToken(const std::string& path, std::string* token, std::string& error) {
  auto read = evlog::command_line::ReadTokenFile(path);
  if (!read.ok()) {
    error = read.status().message();
    return false;
  }
  *token = std::move(read).value();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"evlogd: serves an evlog store over TCP (see docs/protocol.md)"};
  std::string db, listen = "127.0.0.1:7411", token_file, http_listen;
  size_t max_connections = 256, max_frame_bytes = 4 << 20;
  size_t http_max_body_bytes = evlog::server::HttpOptions{}.max_body_bytes;
  size_t idle_timeout_s = 300;
  size_t write_timeout_s = 30;
  size_t max_queued_bytes = evlog::server::ServerOptions{}.max_queued_bytes;
  // Memory bounds (docs/protocol.md, "Limits").
  size_t max_subscriptions = evlog::server::SessionOptions{}.max_subscriptions;
  size_t max_consumers = evlog::server::SessionOptions{}.max_consumers;
  // HTTP admission (docs/http.md): header timeout, per-address limit, Host
  // and Origin checks.
  size_t http_header_timeout_s = 10;
  size_t http_max_per_ip = evlog::server::HttpOptions{}.max_sessions_per_ip;
  // Hosted subscriptions' HTTP consumers (docs/http.md).
  size_t http_max_consumers = evlog::server::HttpConsumerOptions{}.max_consumers;
  size_t http_consumer_idle_s = 60;
  std::vector<std::string> http_allowed_hosts, http_allowed_origins;
  bool allow_remote = false;
  app.add_option("--db", db, "Store directory")->required();
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--token-file", token_file, "File holding the token clients must send");
  // The numeric flags: each shows its default and is checked to lie in
  // [lo, hi].
  const struct {
    const char* flag;
    size_t* value;
    const char* help;
    size_t lo, hi;
  } kRanged[] = {
      {"--max-connections", &max_connections, "Most sessions at once", 1, size_t{1} << 20},
      {"--max-frame-bytes", &max_frame_bytes, "Largest accepted frame", size_t{1} << 10,
       size_t{1} << 30},
      {"--idle-timeout", &idle_timeout_s, "Seconds before an idle session closes", 1, 86400 * 365},
      {"--write-timeout", &write_timeout_s,
       "Seconds a client may take none of a write before its session closes (0: never)", 0, 86400},
      {"--max-queued-bytes", &max_queued_bytes,
       "Response bytes queued in all sessions before they stop taking requests", size_t{1} << 20,
       size_t{1} << 40},
      {"--max-subscriptions-per-session", &max_subscriptions,
       "Subscriptions one session may have open; one more is answered Busy", 1, size_t{1} << 16},
      {"--max-consumers-per-session", &max_consumers,
       "Hosted subscription consumers one session may have open; one more is answered Busy", 1,
       size_t{1} << 16},
      {"--http-max-body-bytes", &http_max_body_bytes, "Largest HTTP request body", size_t{1} << 10,
       size_t{1} << 30},
      {"--http-header-timeout", &http_header_timeout_s,
       "Seconds an HTTP request line and headers may take to arrive, from the request's start", 1,
       3600},
      {"--http-max-connections-per-ip", &http_max_per_ip,
       "Most HTTP sessions open at once from one client address", 1, size_t{1} << 20},
      {"--http-max-consumers", &http_max_consumers,
       "Most hosted-subscription consumers HTTP clients may hold open at once", 1, 65536},
      {"--http-consumer-idle-timeout", &http_consumer_idle_s,
       "Seconds an HTTP consumer may go unused before it is detached", 1, 86400},
  };
  for (const auto& f : kRanged) {
    app.add_option(f.flag, *f.value, f.help)->capture_default_str()->check(CLI::Range(f.lo, f.hi));
  }
  app.add_option("--http", http_listen,
                 "HOST:PORT to serve HTTP/JSON on (docs/http.md; port 0: any free port). "
                 "Default: off");
  app.add_option("--http-allowed-hosts", http_allowed_hosts,
                 "Host header values accepted besides the --http address (host or host:port)")
      ->delimiter(',');
  app.add_option("--http-allowed-origins", http_allowed_origins,
                 "Origins (http://host:port) allowed to write over HTTP and to make CORS requests")
      ->delimiter(',');
  std::string backup_dir;
  app.add_option("--backup-dir", backup_dir,
                 "Directory remote backups are written under (a DEST is resolved in it). "
                 "Default: none, remote backup is disabled");
  app.add_flag("--allow-remote", allow_remote, "Allow a non-loopback --listen or --http address");
  // A usage error is exit 2, as every other evlogd and evlog usage error.
  if (std::optional<int> exit = evlog::command_line::ParseCommandLine(
          app, argc, argv, [](const CLI::App&, const CLI::ParseError& e) {
            std::cerr << "evlogd: " << e.what() << "\n";
            return 2;
          })) {
    return *exit;
  }

  evlog::server::ServerOptions options;
  std::string error;
  if (!ParseListen(listen, options.endpoint, error) ||
      (!token_file.empty() && !ReadToken(token_file, &options.dispatcher.token, error)) ||
      !CheckReach(options.endpoint, listen, allow_remote, !options.dispatcher.token.empty(),
                  "listen on", "listening on", error)) {
    std::cerr << "evlogd: " << error << "\n";
    return 2;
  }
  if (!http_listen.empty()) {
    evlog::server::HttpOptions http;
    if (!ParseListen(http_listen, http.endpoint, error, "--http") ||
        !CheckReach(http.endpoint, http_listen, allow_remote, !options.dispatcher.token.empty(),
                    "serve HTTP on", "serving HTTP on", error)) {
      std::cerr << "evlogd: " << error << "\n";
      return 2;
    }
    http.max_sessions = max_connections;
    http.max_body_bytes = http_max_body_bytes;
    http.idle_timeout = std::chrono::seconds(idle_timeout_s);
    http.write_timeout = std::chrono::seconds(write_timeout_s);
    http.header_timeout = std::chrono::seconds(http_header_timeout_s);
    http.max_sessions_per_ip = http_max_per_ip;
    http.consumers.max_consumers = http_max_consumers;
    http.consumers.idle_timeout = std::chrono::seconds(http_consumer_idle_s);
    if (evlog::Status s =
            evlog::server::HttpGuard::CheckOptions(http_allowed_hosts, http_allowed_origins);
        !s.ok()) {
      std::cerr << "evlogd: " << s.message() << "\n";
      return 2;
    }
    http.allowed_hosts = http_allowed_hosts;
    http.allowed_origins = http_allowed_origins;
    options.http = http;
  }
  if (!backup_dir.empty()) {
    std::error_code ec;
    const auto real = std::filesystem::canonical(backup_dir, ec);
    if (ec || !std::filesystem::is_directory(real, ec)) {
      std::cerr << "evlogd: --backup-dir " << backup_dir << " is not a directory\n";
      return 2;
    }
    options.dispatcher.backup_dir = real.string();
  }
  options.max_sessions = max_connections;
  options.session.max_frame_bytes = max_frame_bytes;
  options.session.idle_timeout = std::chrono::seconds(idle_timeout_s);
  options.session.write_timeout = std::chrono::seconds(write_timeout_s);
  options.max_queued_bytes = max_queued_bytes;
  options.session.max_subscriptions = max_subscriptions;
  options.session.max_consumers = max_consumers;
  // A page holds the largest event the store takes, with its framing.
  options.session.min_page_bytes = evlog::Options{}.max_event_bytes + (64 << 10);
  options.handle_signals = true;

  evlog::Result<std::unique_ptr<evlog::Store>> store = evlog::Store::Open(evlog::Options{}, db);
  if (!store.ok()) {
    std::cerr << "evlogd: cannot open " << db << ": " << store.status().ToString() << "\n";
    return 1;
  }
  {
    evlog::net::asio::io_context io(1);
    evlog::server::Server server(io, **store, options);
    if (evlog::Status s = server.Listen(); !s.ok()) {
      std::cerr << "evlogd: " << s.ToString() << "\n";
      return 1;
    }
    const auto bound = server.local_endpoint();
    // Tests and scripts read the port from this line.
    std::cout << "evlogd listening on " << bound.address().to_string() << ":" << bound.port()
              << std::endl;
    if (const auto http = server.http_endpoint()) {
      // The second line, with --http only.
      std::cout << "evlogd http listening on " << http->address().to_string() << ":" << http->port()
                << std::endl;
    }
    io.run();
  }
  store->reset();  // Completes queued appends, syncs the log, closes.
  std::cerr << "evlogd: drained and closed " << db << "\n";
  return 0;
}
