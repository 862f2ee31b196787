// The thread of a Subscription or a View: each reads the change feed on a
// thread of its own and hands batches to the application's handler. Both
// Reps have `thread`, `stop`, `mu` and `cv` (their own waits: backoff,
// WaitFor), `status` and `finished` (how the thread ended) and `db` (whose
// commit signal the feed waits on); starting, ending and stopping the
// thread is written once, here.

#pragma once

#include <mutex>
#include <thread>
#include <utility>

#include "commit_signal.h"
#include "db.h"
#include "evlog/status.h"

namespace evlog {

// Runs rep.Run() on rep.thread.
template <class Rep>
void StartFeedThread(Rep& rep) {
  rep.thread = std::thread([r = &rep] { r->Run(); });
}

// Records how the thread ended in rep.status (a first error is kept), marks
// rep.finished and wakes the waiters on rep.cv. Called by the thread.
template <class Rep>
void FinishFeedThread(Rep& rep, Status s) {
  {
    std::lock_guard<std::mutex> lock(rep.mu);
    if (rep.status.ok()) rep.status = std::move(s);
    rep.finished = true;
  }
  rep.cv.notify_all();
}

// Sets rep.stop, wakes the thread wherever it waits (the store's commit
// signal, rep.cv) and joins it. A no-op once joined.
template <class Rep>
void StopFeedThread(Rep& rep) {
  rep.stop.store(true);
  rep.db->commits->Poke();
  rep.cv.notify_all();
  if (rep.thread.joinable()) rep.thread.join();
}

}  // namespace evlog
