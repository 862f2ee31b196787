// The report of an evlog-bench run: one JSON document, the one thing the
// table, the plot and users' scripts read.
//
//   {"machine": {"cpu": ..., "cores": ..., "memory_bytes": ..., "kernel": ...,
//                "filesystem": ..., "rocksdb": ..., "sqlite": ...,
//                "fsync_per_s": ...},
//    "results": [{"workload": "W1", "system": "evlog" | "rocksdb-raw" | "sqlite",
//                 "events": ..., "repetitions": 3, "events_per_s": median,
//                 "min": ..., "max": ..., "runs": [...], "mb_per_s": ...,
//                 "p50_us"/"p99_us"/"p999_us" (where latency applies),
//                 "peak_rss_bytes": ..., "subscribers" (F1), "open_s" (X2),
//                 "skipped": "why" (instead of figures)}, ...]}

#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace evlog::bench {

// What is known about this machine, with the device's single-thread
// write + fdatasync rate measured in `dir` (`fsyncs` of them).
nlohmann::json MachineInfo(const std::string& dir, int fsyncs);

// The human table of a report, with each figure's ratio to the baselines of
// the same run; as a Markdown table when `markdown`.
void PrintTable(const nlohmann::json& report, std::FILE* out, bool markdown = false);

// Writes `report` as an SVG bar chart: per workload, evlog beside the
// baselines. Returns false (with `error` set) when it cannot.
bool WritePlot(const nlohmann::json& report, const std::string& path, std::string* error);

// Checks `report` has the shape above; the first problem in `error`.
bool ValidateReport(const nlohmann::json& report, std::string* error);

}  // namespace evlog::bench
