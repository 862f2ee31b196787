// evlog-bench: the standard workloads against the engine and, in the same
// run, its baselines (raw RocksDB, SQLite); a table, a JSON report, a plot,
// and instruction counts that do not wobble with the machine's load.
//
//   evlog-bench run [W1 W2 ... | all] [--events N] [--dir D] [--json FILE] [--reps R]
//   evlog-bench plot results.json out.svg
//   evlog-bench cost [--events N] [--json FILE]
//
// Every (workload, system, repetition) runs in a worker process of its own
// (this binary, "worker" verb) on a fresh store, so a run's peak RSS is its
// own and nothing one leaves behind (page cache aside) slows the next.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_util.h"
#include "harness/child_process.h"
#include "harness/temp_dir.h"
#include "report.h"
#include "workload.h"

namespace evlog::bench {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr System kSystems[] = {System::kEvlog, System::kRocksDbRaw, System::kSqlite};

// Set by SIGINT/SIGTERM: the run stops after the current worker (which gets
// the terminal's SIGINT too) and removes its stores.
volatile std::sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) { g_interrupted = 1; }

void CheckInterrupted() {
  if (g_interrupted) throw std::runtime_error("interrupted");
}
constexpr int kFanOut[] = {1, 4, 16};
// S1's runs through evlogd: the W1 and W3 shapes, and latency at a steady rate.
const std::vector<std::string> kDaemonShapes = {"W1", "W3", "latency"};

std::string SelfPath() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this executable: " + ec.message());
  return p.string();
}

struct WorkerOutput {
  int exit_code = -1;
  std::string out;
  int64_t peak_rss_bytes = 0;
};

// Runs `argv` with stdout captured; stderr passes through.
WorkerOutput Spawn(const std::vector<std::string>& argv) {
  std::string error;
  auto child = harness::ChildProcess::Start(argv, {}, &error);
  if (child == nullptr) throw std::runtime_error(error);
  WorkerOutput result;
  char buf[4096];
  ssize_t n;
  while ((n = read(child->out_fd(), buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) result.out.append(buf, static_cast<size_t>(n));
    if (n < 0 && g_interrupted) child->Signal(SIGKILL);
  }
  struct rusage usage {};
  const int status = child->Wait(&usage);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.peak_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
  return result;
}

std::vector<std::string> WorkerArgs(const std::string& self, const WorkloadConfig& c) {
  std::vector<std::string> args = {self,         "worker",
                                   "--workload", c.workload,
                                   "--system",   SystemName(c.system),
                                   "--dir",      c.dir,
                                   "--events",   std::to_string(c.events)};
  if (c.subscribers > 0) args.insert(args.end(), {"--subscribers", std::to_string(c.subscribers)});
  if (!c.phase.empty()) args.insert(args.end(), {"--phase", c.phase});
  if (c.passes > 0) args.insert(args.end(), {"--passes", std::to_string(c.passes)});
  if (c.spin_us > 0) args.insert(args.end(), {"--spin-us", std::to_string(c.spin_us)});
  if (c.low_priority_background) args.emplace_back("--low-priority-background");
  return args;
}

// One worker run: its measurement as JSON (with peak_rss_bytes), or an
// exception with what went wrong.
json RunWorker(const std::string& self, const WorkloadConfig& c) {
  CheckInterrupted();
  WorkerOutput w = Spawn(WorkerArgs(self, c));
  CheckInterrupted();
  if (w.exit_code != 0) {
    throw std::runtime_error("worker exited with " + std::to_string(w.exit_code));
  }
  json m = json::parse(w.out, nullptr, /*allow_exceptions=*/false);
  if (!m.is_object()) throw std::runtime_error("worker printed no result");
  m["peak_rss_bytes"] = w.peak_rss_bytes;
  return m;
}

// L1's latency split at the commit (Measurement::has_commit_split).
constexpr const char* kSplitFields[] = {"to_commit_p50_us", "to_commit_p99_us",
                                        "after_commit_p50_us", "after_commit_p99_us"};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Aggregates the repetitions of one (workload, system) into a result.
json Aggregate(const std::string& workload, System system, const std::vector<json>& runs) {
  json r = {{"workload", workload}, {"system", SystemName(system)}};
  std::vector<double> rates, seconds, p50, p99, p999;
  std::map<std::string, std::vector<double>> split;  // L1's commit split, by field
  int64_t rss = 0, conflicts = -1;
  for (const json& m : runs) {
    if (m.contains("conflicts")) conflicts = std::max<int64_t>(conflicts, 0) + m["conflicts"].get<int64_t>();
    const double s = m["seconds"].get<double>();
    rates.push_back(s > 0 ? m["events"].get<double>() / s : 0);
    seconds.push_back(s);
    rss = std::max(rss, m["peak_rss_bytes"].get<int64_t>());
    if (m.contains("p50_us")) {
      p50.push_back(m["p50_us"].get<double>());
      p99.push_back(m["p99_us"].get<double>());
      p999.push_back(m["p999_us"].get<double>());
    }
    for (const char* f : kSplitFields) {
      if (m.contains(f)) split[f].push_back(m[f].get<double>());
    }
  }
  r["events"] = runs.front()["events"];
  r["repetitions"] = runs.size();
  r["events_per_s"] = Median(rates);
  r["min"] = *std::min_element(rates.begin(), rates.end());
  r["max"] = *std::max_element(rates.begin(), rates.end());
  r["runs"] = rates;
  r["mb_per_s"] = Median(rates) * static_cast<double>(Payload().size()) / 1e6;
  if (!p50.empty()) {
    r["p50_us"] = Median(p50);
    r["p99_us"] = Median(p99);
    r["p999_us"] = Median(p999);
  }
  for (const auto& [field, values] : split) r[field] = Median(values);
  r["peak_rss_bytes"] = rss;
  // Q1, A1: the conflicts of all repetitions (decisions = events).
  if (conflicts >= 0) r["conflicts"] = conflicts;
  // A1: the commands of all repetitions that committed and that were
  // refused; V1: the median lag and replay rate.
  for (const char* key : {"committed", "refused"}) {
    if (!runs.front().contains(key)) continue;
    int64_t sum = 0;
    for (const json& m : runs) sum += m.value(key, int64_t{0});
    r[key] = sum;
  }
  for (const char* key : {"lag_ms", "lag_events", "replay_events_per_s"}) {
    if (!runs.front().contains(key)) continue;
    std::vector<double> values;
    for (const json& m : runs) values.push_back(m.value(key, 0.0));
    r[key] = Median(values);
  }
  if (workload == "X2") r["open_s"] = Median(seconds);
  return r;
}

std::string Figure(const json& m) {
  char buf[192];
  const double s = m["seconds"].get<double>();
  int n = std::snprintf(buf, sizeof(buf), "%.0f events/s (%.2f s, RSS %.0f MiB)",
                        s > 0 ? m["events"].get<double>() / s : 0, s,
                        m["peak_rss_bytes"].get<double>() / (1024.0 * 1024));
  if (m.contains("p50_us") && n > 0 && static_cast<size_t>(n) < sizeof(buf)) {
    n += std::snprintf(buf + n, sizeof(buf) - static_cast<size_t>(n), ", p50 %.0f / p99 %.0f us",
                       m["p50_us"].get<double>(), m["p99_us"].get<double>());
  }
  if (m.contains("to_commit_p50_us") && n > 0 && static_cast<size_t>(n) < sizeof(buf)) {
    std::snprintf(buf + n, sizeof(buf) - static_cast<size_t>(n),
                  "; to the commit's callback p50 %.0f / p99 %.0f, after it p50 %.0f / p99 %.0f",
                  m["to_commit_p50_us"].get<double>(), m["to_commit_p99_us"].get<double>(),
                  m["after_commit_p50_us"].get<double>(), m["after_commit_p99_us"].get<double>());
  }
  return buf;
}

struct RunOptions {
  std::vector<std::string> workloads;
  int64_t events = 1'000'000;
  std::string dir;
  std::string json_path;
  int reps = 3;
  int fsyncs = 2'000;
  uint32_t spin_us = 0;
  bool low_priority_background = false;
};

int Run(const RunOptions& o) {
  const std::string self = SelfPath();
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  harness::TempDir run_dir(o.dir, "evlog-bench");
  json report;
  std::fprintf(stderr, "measuring the device's fdatasync rate (%d syncs)...\n", o.fsyncs);
  report["machine"] = MachineInfo(run_dir.path(), o.fsyncs);
  report["machine"]["scale_events"] = o.events;
  report["results"] = json::array();
  bool failed = false;
  int case_number = 0;

  auto fresh_dir = [&](const std::string& name) {
    std::string d = run_dir.path() + "/" + name + "-" + std::to_string(++case_number);
    fs::create_directories(d);
    return d;
  };
  auto record_failure = [&](const std::string& workload, System system, int subscribers,
                            const std::string& what) {
    std::fprintf(stderr, "[%s] %s FAILED: %s\n", workload.c_str(), SystemName(system),
                 what.c_str());
    json r = {{"workload", workload}, {"system", SystemName(system)}, {"error", what}};
    if (subscribers > 0) r["subscribers"] = subscribers;
    report["results"].push_back(r);
    failed = true;
  };

  for (const std::string& w : o.workloads) {
    std::fprintf(stderr, "[%s] %s\n", w.c_str(), WorkloadSummary(w));
    const bool engine_only = w == "L1" || w == "F1" || w == "S1";
    std::vector<int> variants =
        w == "F1" ? std::vector<int>(std::begin(kFanOut), std::end(kFanOut)) : std::vector<int>{0};
    for (System system : kSystems) {
      if (engine_only && system != System::kEvlog) continue;
      for (size_t v = 0; v < (w == "S1" ? kDaemonShapes.size() : variants.size()); ++v) {
        const int subscribers = w == "S1" ? 0 : variants[v];
        const std::string shape = w == "S1" ? kDaemonShapes[v] : "";
        WorkloadConfig c{.workload = w,
                         .system = system,
                         .events = o.events,
                         .subscribers = subscribers,
                         .spin_us = engine_only ? o.spin_us : 0,
                         .low_priority_background = o.low_priority_background,
                         .phase = shape};
        const std::string label = w + (subscribers > 0 ? "x" + std::to_string(subscribers) : "") +
                                  (shape.empty() ? "" : "/" + shape);
        std::vector<json> runs;
        double recover_s = 0;
        try {
          if (w == "X2") {  // one load, then an open per repetition
            c.dir = fresh_dir(w);
            c.phase = "load";
            json load = RunWorker(self, c);
            std::fprintf(stderr, "[%s] %s loaded %s events\n", w.c_str(), SystemName(system),
                         load["events"].dump().c_str());
            c.phase = "open";
            json recovery = RunWorker(self, c);
            std::fprintf(stderr, "[%s] %s recovered in %.3f s\n", w.c_str(), SystemName(system),
                         recovery["seconds"].get<double>());
            recover_s = recovery["seconds"].get<double>();
          }
          for (int rep = 1; rep <= o.reps; ++rep) {
            if (w != "X2") c.dir = fresh_dir(w);
            json m = RunWorker(self, c);
            if (m.contains("skipped")) {
              runs.push_back(std::move(m));
              break;
            }
            std::fprintf(stderr, "[%s] %s %d/%d: %s\n", label.c_str(), SystemName(system), rep,
                         o.reps, Figure(m).c_str());
            runs.push_back(std::move(m));
            if (w != "X2") fs::remove_all(c.dir);
          }
          if (w == "X2") fs::remove_all(c.dir);
        } catch (const std::exception& e) {
          CheckInterrupted();
          record_failure(w, system, subscribers, e.what());
          continue;
        }
        if (runs.front().contains("skipped")) {
          std::fprintf(stderr, "[%s] %s skipped: %s\n", label.c_str(), SystemName(system),
                       runs.front()["skipped"].get<std::string>().c_str());
          json r = {{"workload", w},
                    {"system", SystemName(system)},
                    {"skipped", runs.front()["skipped"]}};
          if (!shape.empty()) r["shape"] = shape;
          report["results"].push_back(std::move(r));
          continue;
        }
        json r = Aggregate(w, system, runs);
        if (subscribers > 0) r["subscribers"] = subscribers;
        if (!shape.empty()) r["shape"] = shape;
        if (w == "X2") r["recover_s"] = recover_s;
        report["results"].push_back(std::move(r));
      }
    }
  }

  std::fprintf(stdout, "\n");
  PrintTable(report, stdout);
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << report.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "evlog-bench: cannot write %s\n", o.json_path.c_str());
      return 1;
    }
  }
  return failed ? 1 : 0;
}

int Worker(const WorkloadConfig& c) {
  try {
    Measurement m = RunWorkload(c);
    json out = {{"events", m.events}, {"seconds", m.seconds}};
    if (!m.skipped.empty()) out = {{"skipped", m.skipped}, {"events", 0}, {"seconds", 0}};
    if (m.conflicts >= 0) out["conflicts"] = m.conflicts;
    if (m.committed >= 0) out["committed"] = m.committed;
    if (m.refused >= 0) out["refused"] = m.refused;
    if (m.lag_ms >= 0) out["lag_ms"] = m.lag_ms;
    if (m.lag_events >= 0) out["lag_events"] = m.lag_events;
    if (m.replay_events_per_s >= 0) out["replay_events_per_s"] = m.replay_events_per_s;
    if (m.has_latency) {
      out["p50_us"] = m.p50_us;
      out["p99_us"] = m.p99_us;
      out["p999_us"] = m.p999_us;
    }
    if (m.has_commit_split) {
      out["to_commit_p50_us"] = m.to_commit_p50_us;
      out["to_commit_p99_us"] = m.to_commit_p99_us;
      out["after_commit_p50_us"] = m.after_commit_p50_us;
      out["after_commit_p99_us"] = m.after_commit_p99_us;
    }
    std::printf("%s\n", out.dump().c_str());
    if (m.left_open) {
      std::fflush(stdout);
      std::_Exit(0);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "evlog-bench worker %s %s: %s\n", c.workload.c_str(), SystemName(c.system),
                 e.what());
    return 1;
  }
}

// Instructions the worker runs under callgrind, from valgrind's log.
int64_t Instructions(const std::string& self, const WorkloadConfig& c, const std::string& log) {
  std::vector<std::string> argv = {"valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                   "--log-file=" + log};
  for (const auto& a : WorkerArgs(self, c)) argv.push_back(a);
  WorkerOutput w = Spawn(argv);
  if (w.exit_code != 0) {
    throw std::runtime_error("valgrind exited with " + std::to_string(w.exit_code) +
                             " (is valgrind installed?)");
  }
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    auto at = line.find("Collected : ");
    if (at != std::string::npos) return std::stoll(line.substr(at + 12));
  }
  throw std::runtime_error("no instruction count in valgrind's log " + log);
}

// Instructions per appended event (W1) and per read event (R1), each as the
// difference of two runs that differ only in the work counted, so start-up
// and set-up cancel out.
int Cost(int64_t events, const std::string& json_path) {
  const std::string self = SelfPath();
  harness::TempDir run_dir("", "evlog-bench");
  json report = {{"cost", json::array()}};
  std::printf("%-12s %16s %16s\n", "system", "instr/append", "instr/read event");
  for (System system : kSystems) {
    auto measure = [&](const std::string& w, int64_t n, int passes) {
      WorkloadConfig c{.workload = w, .system = system, .events = n, .passes = passes};
      c.dir = run_dir.path() + "/" + w + "-" + SystemName(system) + "-" + std::to_string(n) + "-" +
              std::to_string(passes);
      fs::create_directories(c.dir);
      int64_t count = Instructions(self, c, c.dir + ".log");
      fs::remove_all(c.dir);
      return count;
    };
    try {
      const int64_t small = events / 5;
      const double per_append =
          static_cast<double>(measure("W1", events, 0) - measure("W1", small, 0)) /
          static_cast<double>(events - small);
      const int64_t stream = WorkloadEvents("R1", events);
      const double per_read =
          static_cast<double>(measure("R1", events, 6) - measure("R1", events, 1)) /
          static_cast<double>(5 * stream);
      std::printf("%-12s %16.0f %16.0f\n", SystemName(system), per_append, per_read);
      report["cost"].push_back({{"system", SystemName(system)},
                                {"instructions_per_append", per_append},
                                {"instructions_per_read_event", per_read},
                                {"events", events}});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "evlog-bench cost %s: %s\n", SystemName(system), e.what());
      return 1;
    }
  }
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << report.dump(2) << "\n";
    if (!out) return 1;
  }
  return 0;
}

// Reads a report written by run --json; false (with `error`) if it cannot.
bool LoadReport(const std::string& path, json* report, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  *report = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (report->is_discarded()) {
    *error = path + " is not JSON";
    return false;
  }
  std::string problem;
  if (!ValidateReport(*report, &problem)) {
    *error = path + " is not an evlog-bench report: " + problem;
    return false;
  }
  return true;
}

int Plot(const std::string& in_path, const std::string& out_path) {
  json report;
  std::string error;
  if (LoadReport(in_path, &report, &error) && WritePlot(report, out_path, &error)) {
    std::fprintf(stderr, "wrote %s\n", out_path.c_str());
    return 0;
  }
  std::fprintf(stderr, "evlog-bench plot: %s\n", error.c_str());
  return 1;
}

int Table(const std::string& in_path, bool markdown) {
  json report;
  std::string error;
  if (!LoadReport(in_path, &report, &error)) {
    std::fprintf(stderr, "evlog-bench table: %s\n", error.c_str());
    return 1;
  }
  PrintTable(report, stdout, markdown);
  return 0;
}

std::string WorkloadHelp() {
  std::string help = "workloads (default all):\n";
  for (const auto& w : WorkloadNames()) help += "  " + w + "  " + WorkloadSummary(w) + "\n";
  return help;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{
      "evlog-bench: the standard workloads, with raw RocksDB and SQLite measured in "
      "the same run"};
  app.require_subcommand(1);
  app.footer(WorkloadHelp());

  RunOptions run;
  std::vector<std::string> names;
  bool smoke = false;
  auto* run_cmd = app.add_subcommand("run", "run workloads and print the table");
  run_cmd->add_option("workloads", names, "W1 W2 W3 W4 W5 R1 R2 L1 F1 V1 S1 X1 Q1 A1 X2, or all");
  run_cmd->add_option("--events", run.events, "scale: W1's appends; the others derive from it")
      ->check(CLI::Range(int64_t{1000}, int64_t{1'000'000'000}));
  run_cmd->add_option("--dir", run.dir, "where the stores go (default: the temp directory)");
  run_cmd->add_option("--json", run.json_path, "write every figure and the machine to FILE");
  run_cmd->add_option("--reps", run.reps, "repetitions per figure (the median is reported)")
      ->check(CLI::Range(1, 99));
  run_cmd->add_flag("--smoke", smoke, "tiny counts, one repetition: checks everything runs");
  run_cmd
      ->add_option("--spin-us", run.spin_us,
                   "L1, F1: the store's live_feed_spin_us (a caught-up feed spins this long "
                   "before it parks; default 0)")
      ->check(CLI::Range(0, 1'000'000));
  run_cmd->add_flag("--low-priority-background", run.low_priority_background,
                    "the engine's low_priority_background: RocksDB's flushes and compactions "
                    "at the lowest CPU priority (evlog's stores only)");

  std::string table_in;
  bool table_markdown = false;
  auto* table_cmd = app.add_subcommand("table", "print the table of a report");
  table_cmd->add_option("results", table_in, "the --json output of run")->required();
  table_cmd->add_flag("--markdown", table_markdown, "as a Markdown table");

  std::string plot_in, plot_out;
  auto* plot_cmd = app.add_subcommand("plot", "draw a report as an SVG bar chart");
  plot_cmd->add_option("results", plot_in, "the --json output of run")->required();
  plot_cmd->add_option("out", plot_out, "the SVG file to write")->required();

  int64_t cost_events = 50'000;
  std::string cost_json;
  auto* cost_cmd =
      app.add_subcommand("cost", "instructions per appended and per read event (callgrind)");
  cost_cmd->add_option("--events", cost_events, "W1 appends of the larger run")
      ->check(CLI::Range(int64_t{5000}, int64_t{10'000'000}));
  cost_cmd->add_option("--json", cost_json, "write the counts to FILE");

  WorkloadConfig worker;
  std::string system_name;
  auto* worker_cmd = app.add_subcommand("worker", "");
  worker_cmd->group("");  // internal: one measured run
  worker_cmd->add_option("--workload", worker.workload)->required();
  worker_cmd->add_option("--system", system_name)->required();
  worker_cmd->add_option("--dir", worker.dir)->required();
  worker_cmd->add_option("--events", worker.events)->required();
  worker_cmd->add_option("--subscribers", worker.subscribers);
  worker_cmd->add_option("--phase", worker.phase);
  worker_cmd->add_option("--passes", worker.passes);
  worker_cmd->add_option("--spin-us", worker.spin_us);
  worker_cmd->add_flag("--low-priority-background", worker.low_priority_background);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*run_cmd) {
    if (names.empty() || std::find(names.begin(), names.end(), "all") != names.end()) {
      run.workloads = WorkloadNames();
    } else {
      for (const auto& n : names) {
        if (!IsWorkload(n)) {
          std::fprintf(stderr, "evlog-bench: unknown workload '%s'\n%s", n.c_str(),
                       WorkloadHelp().c_str());
          return 2;
        }
        run.workloads.push_back(n);
      }
    }
    if (smoke) {
      run.events = 2'000;
      run.reps = 1;
      run.fsyncs = 20;
    }
    try {
      return Run(run);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "evlog-bench: %s\n", e.what());
      return g_interrupted ? 130 : 1;
    }
  }
  if (*plot_cmd) return Plot(plot_in, plot_out);
  if (*table_cmd) return Table(table_in, table_markdown);
  if (*cost_cmd) return Cost(cost_events, cost_json);
  if (!ParseSystem(system_name, &worker.system) || !IsWorkload(worker.workload)) {
    std::fprintf(stderr, "evlog-bench worker: unknown system or workload\n");
    return 2;
  }
  return Worker(worker);
}

}  // namespace evlog::bench

int main(int argc, char** argv) { return evlog::bench::Main(argc, argv); }
