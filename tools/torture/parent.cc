#include "torture/parent.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "harness/child_process.h"
#include "torture/ack.h"
#include "torture/verifier.h"

namespace evlog::torture {

TortureResult RunTorture(const TortureOptions& o) {
  TortureResult result;
  std::map<uint64_t, Ack> acks;
  std::mt19937_64 rng(o.seed);
  const std::string handled_path = o.db + ".handled";
  uint64_t checkpoint = 0;
  {
    auto store = Store::Open(Options{}, o.db);
    if (!store.ok()) {
      result.problems.push_back("open: " + store.status().ToString());
      return result;
    }
    checkpoint = SubscriptionCheckpoint(**store, result.problems);
  }
  for (int round = 1; round <= o.kills; ++round) {
    // A child killed before it truncates the side file must not leave the
    // previous run's positions to be read as its own.
    ::unlink(handled_path.c_str());
    std::string error;
    auto child = harness::ChildProcess::Start(
        {o.self, "child", "--db", o.db, "--run", std::to_string(round), "--threads",
         std::to_string(o.threads), "--seed", std::to_string(o.seed), "--handled", handled_path},
        {}, &error);
    if (child == nullptr) {
      result.problems.push_back(error);
      return result;
    }
    // The kill comes at a random moment of the child's life: that is the
    // point of the torture, not a wait for something.
    const int ms =
        o.min_ms + static_cast<int>(rng() % static_cast<uint64_t>(o.max_ms - o.min_ms + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    const int status = child->KillAndWait(SIGKILL);
    // Every complete line the child wrote before it died.
    int ignored = 0;
    const std::string out = child->ReadOutputAndWait(&ignored);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
      result.problems.push_back("round " + std::to_string(round) +
                                ": the child ended by itself (status " + std::to_string(status) +
                                ") before it was killed");
      return result;
    }
    size_t start = 0;
    for (size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
      Ack ack;
      if (!ParseAck(out.substr(start, end - start), &ack)) {
        result.problems.push_back("unreadable ack line: " + out.substr(start, end - start));
        continue;
      }
      acks[ack.op] = std::move(ack);
      ++result.acknowledged_appends;
    }
    result.kills = round;

    auto store = Store::Open(Options{}, o.db);
    if (!store.ok()) {
      result.problems.push_back("round " + std::to_string(round) +
                                ": reopen failed: " + store.status().ToString());
      return result;
    }
    // Replays are cheap but not free: a handful per round, all of them at the end.
    Verification v = Verify(**store, acks, round == o.kills ? 1000 : 5);
    result.events_verified = v.events;
    result.retries_checked += v.retries_checked;

    // The subscription: resumed after its checkpoint, nothing skipped.
    SubscriptionRun run{.handled = ReadHandled(handled_path),
                        .checkpoint_before = checkpoint,
                        .checkpoint_after = SubscriptionCheckpoint(**store, v.problems),
                        .last_position = (*store)->LastPosition().value()};
    for (auto& p : CheckSubscriptionRun(run)) v.problems.push_back(std::move(p));
    checkpoint = run.checkpoint_after;
    result.subscription_handled += run.handled.size();
    result.subscription_checkpoint = checkpoint;
    // The view: exactly once at the position it was killed at, and after
    // catching up (which the next child then resumes from).
    result.view_position = VerifyViewAtRest(**store, v).value();
    VerifyViewCaughtUp(**store, v);
    for (auto& p : v.problems)
      result.problems.push_back("round " + std::to_string(round) + ": " + p);
    if (!result.problems.empty()) return result;
    if (o.progress && (round % 50 == 0 || round == o.kills)) {
      std::fprintf(stderr,
                   "torture: %d/%d kills, %llu appends acknowledged, %llu events verified\n", round,
                   o.kills, static_cast<unsigned long long>(result.acknowledged_appends),
                   static_cast<unsigned long long>(result.events_verified));
    }
  }
  return result;
}

}  // namespace evlog::torture
