#include "report.h"

#include <fcntl.h>
#include <rocksdb/version.h>
#include <sqlite3.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

namespace evlog::bench {
namespace {

using nlohmann::json;

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

int64_t MemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : 0;
}

std::string FileSystem(const std::string& dir) {
  struct statfs fs;
  if (statfs(dir.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs";
    case 0x794c7630:
      return "overlayfs";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof(hex), "0x%lx", static_cast<unsigned long>(fs.f_type));
      return hex;
    }
  }
}

// One thread appending 150 bytes to a file and fdatasync'ing it, `n` times.
double FsyncRate(const std::string& dir, int n) {
  const std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) return 0;
  const std::string record(150, 'r');
  const auto start = std::chrono::steady_clock::now();
  int done = 0;
  for (; done < n; ++done) {
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd) != 0) {
      break;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  ::unlink(path.c_str());
  return done > 0 ? done / seconds : 0;
}

std::string Rate(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.2fM", v / 1e6);
  } else if (v >= 1e3) {
    std::snprintf(buf, sizeof(buf), "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  }
  return buf;
}

std::string Fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// The label of a result: "W1", "F1x16".
std::string Label(const json& r) {
  std::string label = r.value("workload", "?");
  if (r.contains("subscribers")) label += "x" + std::to_string(r["subscribers"].get<int>());
  if (r.contains("shape")) label += "/" + r["shape"].get<std::string>();
  return label;
}

const json* Find(const json& results, const std::string& workload, const std::string& system) {
  for (const json& r : results) {
    if (r.value("workload", "") == workload && r.value("system", "") == system &&
        !r.contains("subscribers") && !r.contains("shape") && r.contains("events_per_s")) {
      return &r;
    }
  }
  return nullptr;
}

std::string Ratio(const json& r, const json* baseline) {
  if (baseline == nullptr || !r.contains("events_per_s")) return "";
  const double b = (*baseline)["events_per_s"].get<double>();
  if (b <= 0) return "";
  return Fixed(r["events_per_s"].get<double>() / b, 2) + "x";
}

}  // namespace

json MachineInfo(const std::string& dir, int fsyncs) {
  struct utsname u;
  std::string kernel = uname(&u) == 0 ? std::string(u.sysname) + " " + u.release : "unknown";
  return json{
      {"cpu", CpuModel()},
      {"cores", std::thread::hardware_concurrency()},
      {"memory_bytes", MemoryBytes()},
      {"kernel", kernel},
      {"filesystem", FileSystem(dir)},
      {"rocksdb", std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
                      std::to_string(ROCKSDB_PATCH)},
      {"sqlite", sqlite3_libversion()},
      {"fsync_per_s", std::round(FsyncRate(dir, fsyncs))},
  };
}

void PrintTable(const json& report, std::FILE* out, bool markdown) {
  const json& m = report["machine"];
  const double fsync = m.value("fsync_per_s", 0.0);
  std::fprintf(out,
               "%smachine: %s, %d cores, %.0f GiB, %s on %s; RocksDB %s, SQLite %s; "
               "device: %s single-thread write+fdatasync/s\n\n",
               markdown ? "" : "", m.value("cpu", "?").c_str(), m.value("cores", 0),
               m.value("memory_bytes", 0.0) / (1024.0 * 1024 * 1024),
               m.value("kernel", "?").c_str(), m.value("filesystem", "?").c_str(),
               m.value("rocksdb", "?").c_str(), m.value("sqlite", "?").c_str(),
               Rate(fsync).c_str());
  std::vector<std::vector<std::string>> rows = {{"work", "system", "events/s", "min..max", "MB/s",
                                                 "x rocksdb", "x sqlite", "p50 us", "p99 us",
                                                 "p99.9 us", "RSS MiB", "note"}};
  const json& results = report["results"];
  for (const json& r : results) {
    const std::string label = Label(r);
    const std::string system = r.value("system", "?");
    if (r.contains("skipped") || r.contains("error")) {
      const bool skipped = r.contains("skipped");
      rows.push_back({label, system, "", "", "", "", "", "", "", "", "",
                      std::string(skipped ? "skipped: " : "FAILED: ") +
                          r.value(skipped ? "skipped" : "error", "")});
      continue;
    }
    const std::string workload = r.value("workload", "");
    std::string vs_raw = Ratio(r, Find(results, workload, "rocksdb-raw"));
    std::string vs_sqlite = Ratio(r, Find(results, workload, "sqlite"));
    std::string note;
    if (r.contains("subscribers")) {
      vs_raw.clear();
      note = Ratio(r, Find(results, "W1", "evlog")) + " of W1";
    }
    if (workload == "W5") {
      // The price of the ids: the same system's W1 of this run.
      if (std::string of_w1 = Ratio(r, Find(results, "W1", system)); !of_w1.empty()) {
        note = of_w1 + " of W1";
      }
    }
    if (const std::string shape = r.value("shape", ""); shape == "W1" || shape == "W3") {
      vs_raw.clear();
      vs_sqlite.clear();
      note = Ratio(r, Find(results, shape, "evlog")) + " of embedded " + shape;
    }
    if (workload == "W4" && fsync > 0) {
      note = Fixed(r["events_per_s"].get<double>() / fsync, 1) + "x the fdatasync rate";
    }
    if (r.contains("open_s")) {
      note = "recovery " + Fixed(r.value("recover_s", 0.0), 2) + " s, open " +
             Fixed(r["open_s"].get<double>(), 2) + " s (" + Rate(r.value("events", 0.0)) +
             " events)";
    }
    // V1 beside the engine's W1 of the same run (the writer it followed).
    if (workload == "V1") {
      if (std::string of_w1 = Ratio(r, Find(results, "W1", "evlog")); !of_w1.empty()) {
        note = of_w1 + " of W1";
      }
    }
    // Q1, A1: conflicts retried and commands refused; V1: the lag and the
    // replay rate.
    auto add_note = [&](const std::string& part) { note += (note.empty() ? "" : ", ") + part; };
    if (r.contains("conflicts")) add_note(Fixed(r["conflicts"].get<double>(), 0) + " conflicts");
    if (r.contains("refused")) add_note(Fixed(r["refused"].get<double>(), 0) + " refused");
    if (r.contains("lag_ms")) {
      add_note("lag " + Fixed(r["lag_ms"].get<double>(), 1) + " ms (" +
               Fixed(r.value("lag_events", 0.0), 0) + " events)");
    }
    if (r.contains("replay_events_per_s")) {
      add_note("replay " + Rate(r["replay_events_per_s"].get<double>()) + "/s");
    }
    auto latency = [&](const char* key) {
      return r.contains(key) ? Fixed(r[key].get<double>(), 1) : std::string();
    };
    rows.push_back({label, system, Rate(r["events_per_s"].get<double>()),
                    Rate(r["min"].get<double>()) + ".." + Rate(r["max"].get<double>()),
                    workload == "X2" ? std::string() : Fixed(r.value("mb_per_s", 0.0), 1), vs_raw,
                    vs_sqlite, latency("p50_us"), latency("p99_us"), latency("p999_us"),
                    Fixed(r.value("peak_rss_bytes", 0.0) / (1024.0 * 1024), 0), note});
  }
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (size_t k = 0; k < rows.size(); ++k) {
    std::string line = markdown ? "|" : "";
    for (size_t i = 0; i < rows[k].size(); ++i) {
      const std::string& cell = rows[k][i];
      if (markdown) {
        line += " " + cell + " |";
      } else {
        const bool left = i < 2 || i + 1 == rows[k].size();
        const std::string pad(width[i] - cell.size(), ' ');
        line += (i ? "  " : "") + (left ? cell + pad : pad + cell);
      }
    }
    while (!markdown && !line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
    if (markdown && k == 0) {
      std::string rule = "|";
      for (size_t i = 0; i < rows[k].size(); ++i)
        rule += i < 2 || i + 1 == rows[k].size() ? "---|" : "---:|";
      std::fprintf(out, "%s\n", rule.c_str());
    }
  }
}

bool ValidateReport(const json& report, std::string* error) {
  auto fail = [&](const std::string& what) {
    *error = what;
    return false;
  };
  if (!report.is_object()) return fail("the report is not an object");
  if (!report.contains("machine") || !report["machine"].is_object()) return fail("no machine");
  for (const char* key : {"cpu", "cores", "rocksdb", "sqlite", "fsync_per_s"}) {
    if (!report["machine"].contains(key)) return fail(std::string("machine has no ") + key);
  }
  if (!report.contains("results") || !report["results"].is_array()) return fail("no results");
  for (const json& r : report["results"]) {
    if (!r.is_object() || !r.contains("workload") || !r["workload"].is_string() ||
        !r.contains("system") || !r["system"].is_string()) {
      return fail("a result without workload and system: " + r.dump());
    }
    if (r.contains("error")) return fail(Label(r) + " " + r.value("system", "") + " failed");
    if (r.contains("skipped")) continue;
    for (const char* key : {"events_per_s", "min", "max", "peak_rss_bytes"}) {
      if (!r.contains(key) || !r[key].is_number()) {
        return fail(Label(r) + " " + r["system"].get<std::string>() + " has no number " + key);
      }
    }
    const double median = r["events_per_s"].get<double>();
    if (!(median > 0) || r["min"].get<double>() > median || r["max"].get<double>() < median) {
      return fail(Label(r) + ": median outside min..max or not positive");
    }
  }
  return true;
}

bool WritePlot(const json& report, const std::string& path, std::string* error) {
  std::string problem;
  if (!ValidateReport(report, &problem)) {
    *error = "not an evlog-bench report: " + problem;
    return false;
  }
  // Groups in report order; within one, a bar per system, scaled to the
  // group's largest figure (the workloads' rates differ by 1,000x).
  std::vector<std::string> groups;
  std::map<std::string, std::vector<const json*>> bars;
  for (const json& r : report["results"]) {
    // X2 is a time (lower is better): the table shows it.
    if (r.contains("skipped") || r.contains("error") || r.value("workload", "") == "X2") continue;
    const std::string label = Label(r);
    if (bars.find(label) == bars.end()) groups.push_back(label);
    bars[label].push_back(&r);
  }
  const std::map<std::string, std::string> colors = {
      {"evlog", "#2b6cb0"}, {"rocksdb-raw", "#dd6b20"}, {"sqlite", "#718096"}};
  constexpr int kBar = 26, kGap = 34, kHeight = 220, kTop = 60, kLeft = 20;
  int width = kLeft * 2;
  for (const auto& g : groups) width += static_cast<int>(bars[g].size()) * kBar + kGap;
  width = std::max(width, 520);
  const int height = kTop + kHeight + 70;

  std::ofstream out(path);
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  const json& m = report["machine"];
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kLeft << "\" y=\"20\" font-size=\"14\">evlog-bench: events/s, each "
      << "workload scaled to its fastest system (median of the runs)</text>\n"
      << "<text x=\"" << kLeft << "\" y=\"38\" fill=\"#4a5568\">" << m.value("cpu", "?") << ", "
      << m.value("cores", 0) << " cores; RocksDB " << m.value("rocksdb", "?") << ", SQLite "
      << m.value("sqlite", "?") << "</text>\n";
  int legend_x = kLeft;
  for (const auto& [system, color] : colors) {
    out << "<rect x=\"" << legend_x << "\" y=\"" << height - 22 << "\" width=\"10\" height=\"10\" "
        << "fill=\"" << color << "\"/><text x=\"" << legend_x + 14 << "\" y=\"" << height - 13
        << "\">" << system << "</text>\n";
    legend_x += 110;
  }
  int x = kLeft;
  for (const auto& g : groups) {
    double top = 0;
    for (const json* r : bars[g]) top = std::max(top, (*r)["events_per_s"].get<double>());
    const int group_x = x;
    for (const json* r : bars[g]) {
      const double v = (*r)["events_per_s"].get<double>();
      const int h = std::max(1, static_cast<int>(kHeight * v / top));
      const std::string system = (*r)["system"].get<std::string>();
      auto color = colors.find(system);
      out << "<rect x=\"" << x << "\" y=\"" << kTop + kHeight - h << "\" width=\"" << kBar - 4
          << "\" height=\"" << h << "\" fill=\""
          << (color != colors.end() ? color->second : "#a0aec0") << "\"><title>" << system << " "
          << g << ": " << Rate(v) << " events/s</title></rect>\n"
          << "<text x=\"" << x + (kBar - 4) / 2 << "\" y=\"" << kTop + kHeight - h - 4
          << "\" text-anchor=\"middle\" font-size=\"9\">" << Rate(v) << "</text>\n";
      x += kBar;
    }
    out << "<text x=\"" << (group_x + x - 4) / 2 << "\" y=\"" << kTop + kHeight + 16
        << "\" text-anchor=\"middle\">" << g << "</text>\n";
    x += kGap;
  }
  out << "</svg>\n";
  out.close();
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace evlog::bench
