// Dispatcher: turns a decoded request into an engine call and its result
// into a response frame. It never sees a socket or an executor: the session
// hands it a Reply and decides where the reply runs.
//
// Thread-safety: Handle and Hello may be called from any thread; replies run
// on the store's writer thread (appends) or wherever RunRead runs reads: keep
// the Reply short (the session posts it back to its own executor).

#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "evlog/store.h"
#include "protocol.h"

namespace evlog::server {

struct DispatcherOptions {
  // The shared secret a Hello must carry. Empty: no authentication.
  // Default: empty
  std::string token;
  // Largest response message a read builds; a read stops early (Events or
  // Streams with `truncated` set) rather than pass it. At least one event is
  // always returned.
  // Default: 4 MiB - 64 KiB
  size_t max_response_bytes = (4 << 20) - (64 << 10);
  // Most events in one Events or QueryResult response, and most rows in
  // one ViewRows.
  // Default: 10,000
  size_t max_read_events = 10'000;
  // Most streams in one Streams response.
  // Default: 10,000
  size_t max_list_streams = 10'000;
  // Longest a ViewWait waits; a longer timeout is cut to this.
  // Default: 30 s
  std::chrono::milliseconds max_view_wait = std::chrono::seconds(30);
  // How often a pending ViewWait looks at the view's progress.
  // Default: 20 ms
  std::chrono::milliseconds view_wait_poll = std::chrono::milliseconds(20);
  // The directory a Backup request writes under (ResolveBackupDest).
  // Empty: Backup requests are refused (NotSupported).
  // Default: empty (evlogd: --backup-dir)
  std::string backup_dir;
  // Echoed in HelloOk.
  uint32_t max_frame_bytes = 4 << 20;
  uint32_t max_in_flight = 1024;
};

class Dispatcher {
 public:
  // Runs one read (a callable) somewhere: inline, or on a thread pool.
  using RunRead = std::function<void(std::function<void()> read)>;
  // Runs a callable where reads run, after a delay, without holding a
  // thread meanwhile (a timer).
  using RunLater = std::function<void(std::chrono::milliseconds delay, std::function<void()> work)>;

  // `store` must outlive the dispatcher and every reply it has yet to make.
  // `run_read` decides where reads run; empty: on the calling thread.
  // `run_later` schedules ViewWait's polls; empty: sleep, then run inline.
  Dispatcher(Store& store, DispatcherOptions options, RunRead run_read = nullptr,
             RunLater run_later = nullptr);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;
  // Waits for a backup in flight to finish and reply.
  ~Dispatcher();

  // A complete response frame.
  using Reply = std::function<void(std::string frame)>;

  // Handles one request other than Hello. Calls `reply` exactly once: for a
  // read, wherever `run_read` ran it; for an append, from the store's writer
  // thread when it commits (so the io_context never waits for an fsync), or
  // before returning when the engine rejects it at once; for a Backup, from
  // a thread of its own when it is written (one backup at a time: another
  // asked meanwhile gets Busy). A Hello here gets an Error.
  //
  // `max_response_bytes` lowers DispatcherOptions::max_response_bytes for
  // this request (a session's reserved page): an Events or ViewRows answer
  // stays within it (truncated), but for a single event or row larger than
  // it. 0: the options' limit.
  void Handle(Request request, Reply reply, size_t max_response_bytes = 0);

  // Checks a Hello's version and token (compared in constant time). Returns
  // the HelloOk frame, or the ProtocolError to send before closing:
  // kUnsupportedProtocolVersion or kUnauthenticated.
  std::variant<std::string, ProtocolError> Hello(uint64_t request_id,
                                                 const HelloRequest& hello) const;

  const DispatcherOptions& options() const { return options_; }
  Store& store() const { return store_; }
  // Runs `work` where reads run (for a session's subscription polls).
  void RunBlocking(std::function<void()> work) { run_read_(std::move(work)); }

 private:
  // The response to a read request, within `max_bytes` where the request
  // pages (see Handle).
  std::string Read(Request request, size_t max_bytes);
  std::string ReadStream(uint64_t id, const ReadStreamRequest& request, size_t max_bytes);
  std::string ReadAll(uint64_t id, const ReadAllRequest& request, size_t max_bytes);
  // Store::Read(Query), within the same per-response limits as ReadAll.
  std::string ReadQuery(uint64_t id, const ReadQueryRequest& request, size_t max_bytes);
  std::string ListStreams(uint64_t id, const ListStreamsRequest& request);
  std::string ViewScan(uint64_t id, const ViewScanRequest& request, size_t max_bytes);
  // Replies once the view reaches the position or the deadline passes.
  void ViewWait(uint64_t id, ViewWaitRequest request, std::chrono::steady_clock::time_point deadline,
                Reply reply);
  void StartBackup(uint64_t id, std::string dest, Reply reply);

  Store& store_;
  const DispatcherOptions options_;
  RunRead run_read_;
  RunLater run_later_;

  // Store::Backup flushes and links or copies every file: seconds to
  // minutes. It runs on backup_thread_ rather than hold a read thread.
  std::mutex backup_mu_;
  std::thread backup_thread_;    // joined by the next backup or the destructor
  bool backup_running_ = false;  // guarded by backup_mu_
};

// True when `a` equals `b`; the time taken depends on a.size() only.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace evlog::server
