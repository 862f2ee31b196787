// RemoteSource: the change feed of a store served by evlogd (`--connect`),
// through evlog::Client's pushed subscription. The checkpoint lives in the
// daemon's store under the subscription's name (Client::SetCheckpoint: a
// durable consumer like any subscription, listed with its lag, holding
// trims back), or, when a checkpoint file is named, in that local file.
//
// The checkpoint file holds one line, the position of the last event
// handled, written to FILE.tmp, synced and renamed over FILE: a crash leaves
// the old or the new checkpoint, never a torn one. A missing file (or no
// stored checkpoint) starts at the oldest event.
//
// A lost connection is not an error: the source connects again (bounded
// backoff) and subscribes after its checkpoint, dropping what it had queued.
// Errors that a retry cannot mend (a wrong token, a trimmed position, a
// checkpoint file it cannot write) stop it.
//
// Thread-safety: as Source.

#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client.h"
#include "kafka/source.h"

namespace evlog::kafka {

class RemoteSource : public Source {
 public:
  // `checkpoint_file`: where the checkpoint lives; empty: in the daemon's
  // store as `options.subscription`'s checkpoint.
  RemoteSource(ClientOptions client, std::string checkpoint_file, SourceOptions options);
  ~RemoteSource() override;

  // Reads the checkpoint and connects. Errors: InvalidArgument for a
  // checkpoint file that does not hold a position (or neither a file nor a
  // subscription name); IOError
  // if the file cannot be read or the daemon cannot be reached; the
  // daemon's refusal (see Client::Connect).
  Status Start(BatchHandler handler) override;
  Status Wait(std::chrono::milliseconds timeout) override;
  Status WaitFor(Position position, std::chrono::milliseconds timeout) override;
  void Stop() override;
  Position checkpoint() const override;

  // The checkpoint stored in `file`: Position() if the file does not exist.
  static Result<Position> ReadCheckpoint(const std::string& file);
  // Replaces `file` with `position`, durably (see above).
  static Status WriteCheckpoint(const std::string& file, Position position);

 private:
  Status Subscribe();
  void Run();
  // Sleeps before attempt `attempt` + 1; false if stopping.
  bool Backoff(uint32_t attempt);
  void Finish(Status s);

  ClientOptions client_options_;
  std::string checkpoint_file_;
  SourceOptions options_;
  BatchHandler handler_;

  std::unique_ptr<Client> client_;
  std::unique_ptr<RemoteSubscription> subscription_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // events queued, link lost, checkpoint moved, stopped
  std::deque<OwnedEvent> queue_;
  Status lost_;  // why the pushed subscription ended; OK while it runs
  bool stop_ = false;
  bool finished_ = false;
  Status status_;
  Position checkpoint_;
};

}  // namespace evlog::kafka
