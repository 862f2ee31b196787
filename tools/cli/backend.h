// Backend: what the CLI's verbs ask of a store, with two implementations —
// the embedded Store (`--db DIR`) and a session with evlogd through
// evlog::Client (`--connect HOST:PORT`). Every verb is written once against
// this interface, so both forms print the same lines and exit with the same
// codes; docs/cli.md lists the few places where they cannot agree (opening
// a store: a daemon's store always exists and is never busy).
//
// Errors are the engine's Status codes in both forms. A remote operation
// the daemon cannot serve returns NotServedRemotely() (exit 5).

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evlog/store.h"

namespace evlog::cli {

// Where the verbs go: a store directory, or a daemon.
struct Target {
  // --db DIR; empty when connecting.
  std::string db;
  // --connect HOST:PORT; empty for the embedded form.
  std::string connect;
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

class Backend {
 public:
  virtual ~Backend() = default;

  // Receives events one by one, in read order.
  using EventSink = std::function<void(const RecordedEvent&)>;

  virtual Result<AppendResult> Append(AppendRequest request) = 0;
  // Store::ReadStream / ReadAll, handing each event to `each` as it comes;
  // events before an error have been handed on.
  virtual Status ReadStream(std::string_view stream, const ReadStreamOptions& options,
                            const EventSink& each) = 0;
  virtual Status ReadAll(const ReadAllOptions& options, const EventSink& each) = 0;
  virtual Result<std::vector<StreamInfo>> ListStreams(const ListStreamsOptions& options) = 0;
  virtual Result<StoreStats> Stats() = 0;
  // Store::Metrics: this process's store embedded (read-only: no appends
  // counted), the daemon's through --connect.
  virtual Result<MetricsSnapshot> Metrics() = 0;
  // Store::Verify (through the daemon: run by the daemon on its store).
  virtual Result<VerifyReport> Verify() = 0;
  // Store::Backup. Remotely the daemon writes it, and `dest` is a path on
  // the daemon's machine.
  virtual Result<BackupInfo> Backup(std::string_view dest) = 0;

  // The change feed from `options.start` with its filters: without
  // `follow`, what is committed now, then OK; with it, new commits as they
  // come, until an error (the process is stopped by a signal).
  virtual Status Tail(const ChangeFeedOptions& options, bool follow, const EventSink& each) = 0;

  virtual Result<StreamMetadata> GetStreamMetadata(std::string_view stream) = 0;
  virtual Status SetStreamMetadata(std::string_view stream, const StreamMetadata& metadata) = 0;
  virtual Status DeleteStream(std::string_view stream, bool hard) = 0;
  virtual Result<Version> TrimStream(std::string_view stream, const TrimOptions& options) = 0;
  virtual Result<std::optional<Snapshot>> LoadSnapshot(std::string_view stream) = 0;

  virtual Result<std::optional<std::string>> ViewGet(std::string_view view,
                                                     std::string_view key) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> ViewScan(
      std::string_view view, std::string_view prefix) = 0;
  virtual Status RequestViewRebuild(std::string_view view) = 0;
  virtual Status CancelViewRebuild(std::string_view view) = 0;
  virtual Result<Store::ViewProgress> GetViewProgress(std::string_view view) = 0;
  // Waits until view `view` has applied every event up to `position`, at
  // most `timeout`: its progress then, or TimedOut.
  virtual Result<Store::ViewProgress> ViewWait(std::string_view view, Position position,
                                               std::chrono::milliseconds timeout) = 0;
  // Makes commits of another writer visible (a read-only store); a no-op
  // where reads always see the latest commit.
  virtual Status CatchUp() = 0;

  virtual Result<std::vector<SubscriptionInfo>> ListSubscriptions() = 0;
  virtual Result<std::vector<ParkedEvent>> ListParked(std::string_view name) = 0;
  virtual Result<uint64_t> ReplayParked(std::string_view name) = 0;
};

// The embedded form: opens the store in `db` as `mode` says.
Result<std::unique_ptr<Backend>> OpenEmbedded(const std::string& db, OpenMode mode);

// The remote form: connects to `target.connect` and says Hello. Built only
// with the server (EVLOG_BUILD_SERVER); otherwise NotSupported.
Result<std::unique_ptr<Backend>> ConnectRemote(const Target& target);

// The message prefix of NotServedRemotely.
inline constexpr std::string_view kNotServedRemotely = "not served by evlogd: ";

// NotSupported, for an operation the daemon cannot serve (exit 5).
inline Status NotServedRemotely(std::string_view what) {
  return Status::NotSupported(std::string(kNotServedRemotely) + std::string(what));
}

}  // namespace evlog::cli
