// Target: where the CLI's verbs go — the embedded Store (`--db DIR`) or a
// session with evlogd through evlog::Client (`--connect HOST:PORT`). Both are
// an evlog::EventStore, so every verb is written once against that interface
// and both forms print the same lines and exit with the same codes;
// docs/cli.md lists the few places where they cannot agree (opening a
// store: a daemon's store always exists and is never busy).

#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "evlog/event_store.h"

namespace evlog::cli {

// Where the verbs go: a store directory, or a daemon.
struct Target {
  // --db DIR; empty when connecting.
  std::string db;
  // --connect HOST:PORT as given; empty for the embedded form.
  std::string connect;
  // --connect parsed (command_line::ParseHostPort): the host without an
  // IPv6 literal's brackets, and the port.
  std::string host;
  uint16_t port = 0;
  // The token read from --token-file; empty: none.
  std::string token;

  bool remote() const { return !connect.empty(); }
};

// How a verb opens its store (the embedded form only: a daemon has its store
// open for writing already).
enum class OpenMode {
  // Read-only and never created: read verbs work beside a live writer, and a
  // missing store is NotFound.
  kRead,
  // Writable, never created: a missing store is NotFound, not a new store.
  kWrite,
  // Writable, created if missing (append).
  kCreate,
};

// Opens the target's store as `mode` says (embedded), or connects to its
// daemon and says Hello (remote). Errors: those of Store::Open, or of
// Client::Connect.
Result<std::unique_ptr<EventStore>> OpenStore(const Target& target, OpenMode mode);

// The remote form of OpenStore (connect_remote.cc). Built only with the
// server (EVLOG_BUILD_SERVER); otherwise NotSupported.
Result<std::unique_ptr<EventStore>> ConnectRemote(const Target& target);

}  // namespace evlog::cli
