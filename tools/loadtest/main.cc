// loadtest: evlogd under a bounded load of well-behaved and misbehaving
// sessions (loadtest.h).
//
//   loadtest [--db DIR] [--sessions N] [--pipeline P] [--slow-readers N]
//            [--malformed N] [--half-open N] [--seconds S] [--evlogd PATH]
//            [--slow-pipeline N] [--preload-mib M] [--settle-seconds S]
//
// Prints one JSON object: evlogd alive throughout and its exit status on
// SIGTERM, appends acknowledged and verified, conflicts, reads, the
// misbehaving sessions' counts, evlogd's peak RSS, problems. Exit status 0
// when there are none, 1 otherwise, 2 for a usage error.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "harness/run_on_store.h"
#include "loadtest/loadtest.h"

namespace {

// An option shown with its default and checked to lie in [lo, hi].
template <class T>
void Ranged(CLI::App& app, const std::string& name, T& value, const std::string& help, T lo, T hi) {
  app.add_option(name, value, help)->capture_default_str()->check(CLI::Range(lo, hi));
}

}  // namespace

int main(int argc, char** argv) {
  evlog::loadtest::LoadOptions o;
  o.evlogd = EVLOGD_PATH;
  CLI::App app{
      "loadtest: run evlogd under concurrent pipelined appends and reads, slow readers, "
      "malformed frames and half-open sessions; check it survives, its memory, and every "
      "acknowledged append"};
  app.add_option("--evlogd", o.evlogd, "the evlogd binary")->capture_default_str();
  app.add_option("--db", o.db, "the store (default: a temporary directory, removed afterwards)");
  Ranged(app, "--sessions", o.sessions, "well-behaved sessions", 1, 4096);
  Ranged(app, "--pipeline", o.pipeline, "appends in flight per session to its own streams", 1, 64);
  Ranged(app, "--readers", o.readers, "threads reading on the sessions", 0, 64);
  Ranged(app, "--slow-readers", o.slow_readers, "sessions that never read their socket", 0, 4096);
  Ranged(app, "--slow-pipeline", o.slow_pipeline,
         "subscriptions and full-page reads each slow reader pipelines at once "
         "(0: one subscription, then a page per tick)",
         0, 1024);
  Ranged(app, "--preload-mib", o.preload_mib,
         "MiB of 512 KiB events in the store before evlogd starts", 0, 65536);
  Ranged(app, "--settle-seconds", o.settle_seconds,
         "seconds without a flush or compaction, after the busy sessions close, before sampling rss_after_close_kib", 0.0, 600.0);
  Ranged(app, "--malformed", o.malformed, "sessions sending malformed frames", 0, 4096);
  Ranged(app, "--half-open", o.half_open, "sessions sending half a frame, then nothing", 0, 4096);
  Ranged(app, "--seconds", o.seconds, "how long the load runs", 0.1, 86400.0);
  app.add_option("--seed", o.seed, "seeds the appends and reads")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto result = evlog::harness::RunOnStoreUnlessGiven("evlog-loadtest", &o.db,
                                                      [&] { return evlog::loadtest::RunLoad(o); });
  if (!result) return 1;
  const evlog::loadtest::LoadResult& r = *result;
  nlohmann::json out = {{"seconds", r.seconds},
                        {"stop_seconds", r.stop_seconds},
                        {"verify_seconds", r.verify_seconds},
                        {"sessions", o.sessions},
                        {"evlogd_alive", r.evlogd_alive},
                        {"evlogd_status", r.evlogd_status},
                        {"appends_acked", r.appends_acked},
                        {"events_acked", r.events_acked},
                        {"events_verified", r.events_verified},
                        {"log_events", r.log_events},
                        {"conflicts", r.conflicts},
                        {"reads", r.reads},
                        {"events_read", r.events_read},
                        {"slow_reader_requests", r.slow_reader_requests},
                        {"malformed_sent", r.malformed_sent},
                        {"malformed_closed", r.malformed_closed},
                        {"half_open_opened", r.half_open_opened},
                        {"peak_rss_kib", r.peak_rss_kib},
                        {"max_sampled_rss_kib", r.max_sampled_rss_kib},
                        {"baseline_rss_kib", r.baseline_rss_kib},
                        {"rss_after_close_kib", r.rss_after_close_kib},
                        {"store_memory_baseline_kib", r.store_memory_baseline_kib},
                        {"store_memory_after_close_kib", r.store_memory_after_close_kib},
                        {"preloaded_events", r.preloaded_events},
                        {"problems", r.problems}};
  std::printf("%s\n", out.dump().c_str());
  return r.problems.empty() ? 0 : 1;
}
