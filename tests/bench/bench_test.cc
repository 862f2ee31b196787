// evlog-bench: the targets behave like the event logs they stand for, the
// report's schema is enforced, and a smoke run completes every workload with
// a well-formed report. No timing is asserted anywhere.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "aggregate_workload.h"
#include "evlog/store.h"
#include "inventory.h"
#include "report.h"
#include "target.h"
#include "testutil/child_process.h"
#include "testutil/temp_dir.h"
#include "view_workload.h"
#include "workload.h"

namespace evlog::bench {
namespace {

using nlohmann::json;
using testutil::ChildProcess;
using testutil::TempDir;

constexpr System kAllSystems[] = {System::kEvlog, System::kRocksDbRaw, System::kSqlite};

class BenchTargets : public ::testing::TestWithParam<System> {};

TEST_P(BenchTargets, ReadBackWhatWasAppended) {
  TempDir dir;
  auto target = OpenTarget(GetParam(), dir.path(), TargetOptions{});
  // 10 streams, 10 appends each; then a second writer on other streams.
  ASSERT_EQ(target->AppendRoundRobin({.first = 0, .stride = 1, .count = 10}, 100, false, true,
                                     nullptr, nullptr),
            0);
  ASSERT_EQ(target->AppendRoundRobin({.first = 10, .stride = 2, .count = 20}, 20, false, false,
                                     nullptr, nullptr),
            0);
  EXPECT_EQ(target->ReadStream(3), 10);
  EXPECT_EQ(target->ReadStream(12), 4);
  EXPECT_EQ(target->ReadStream(11), 0);  // stride 2 from 10 skips it
  EXPECT_EQ(target->ScanAll(), 120);
  target->Settle();
  EXPECT_EQ(target->ScanAll(), 120);
}

TEST_P(BenchTargets, RejectsAStaleExpectedVersion) {
  TempDir dir;
  auto target = OpenTarget(GetParam(), dir.path(), TargetOptions{});
  ASSERT_EQ(target->AppendBatches(7, 2, 5, false), 0);
  // The stream is at version 10; the next batches expect 0, 5.
  EXPECT_EQ(target->AppendBatches(7, 2, 5, false), 2);
  EXPECT_EQ(target->ReadStream(7), 10);
}

TEST_P(BenchTargets, LoadKeepsTheRoundRobinOrder) {
  TempDir dir;
  auto target = OpenTarget(GetParam(), dir.path(), TargetOptions{});
  target->Load(1'005, 10);
  EXPECT_EQ(target->ReadStream(0), 101);
  EXPECT_EQ(target->ReadStream(9), 100);
  EXPECT_EQ(target->ScanAll(), 1'005);
}

TEST_P(BenchTargets, ReopenSeesTheStore) {
  TempDir dir;
  {
    auto target = OpenTarget(GetParam(), dir.path(), TargetOptions{.sync = true});
    ASSERT_EQ(target->AppendBatches(1, 3, 4, false), 0);
  }
  auto target = OpenTarget(GetParam(), dir.path(), TargetOptions{});
  EXPECT_EQ(target->ReadStream(1), 12);
  // The heads were recovered: appending at version 12 works, at 0 does not.
  EXPECT_EQ(target->AppendBatches(1, 1, 1, false), 1);
}

TEST_P(BenchTargets, CallerGivenIdsMakeARetryWriteNothing) {
  TempDir dir;
  auto target = OpenTarget(GetParam(), dir.path(), TargetOptions{.event_ids = true});
  const StreamSet streams{.first = 0, .stride = 1, .count = 10};
  ASSERT_EQ(target->AppendRoundRobin(streams, 50, false, true, nullptr, nullptr), 0);
  // The same appends again carry the same ids: each is a retry, which
  // succeeds although every expected version is stale, and writes nothing.
  EXPECT_EQ(target->AppendRoundRobin(streams, 50, false, false, nullptr, nullptr), 0);
  EXPECT_EQ(target->ScanAll(), 50);
  EXPECT_EQ(target->ReadStream(4), 5);
  // New ids (versions 6..) are appended.
  ASSERT_EQ(target->AppendRoundRobin(streams, 60, false, true, nullptr, nullptr), 0);
  EXPECT_EQ(target->ScanAll(), 60);
}

TEST_P(BenchTargets, WithoutIdsARepeatedAppendIsAStaleVersion) {
  TempDir dir;
  auto target = OpenTarget(GetParam(), dir.path(), TargetOptions{});
  const StreamSet streams{.first = 0, .stride = 1, .count = 10};
  ASSERT_EQ(target->AppendRoundRobin(streams, 50, false, true, nullptr, nullptr), 0);
  EXPECT_EQ(target->AppendRoundRobin(streams, 50, false, false, nullptr, nullptr), 50);
  EXPECT_EQ(target->ScanAll(), 50);
}

TEST_P(BenchTargets, InventoryClerkRefusesAReserveWithNothingAvailable) {
  TempDir dir;
  auto target = OpenTarget(GetParam(), dir.path(), TargetOptions{});
  if (GetParam() == System::kRocksDbRaw) {  // A1 skips it
    EXPECT_THROW(target->LoadInventory(2, 8), std::runtime_error);
    EXPECT_THROW(target->OpenClerk(), std::runtime_error);
    return;
  }
  // Eight events of history leave each product at 0 available, version 8.
  target->LoadInventory(2, 8);
  auto clerk = target->OpenClerk();
  EXPECT_FALSE(clerk->Handle(0, InventoryCommand::kReserve).committed);
  EXPECT_TRUE(clerk->Handle(0, InventoryCommand::kRestock).committed);
  for (int i = 0; i < kRestockUnits; ++i) {
    EXPECT_TRUE(clerk->Handle(0, InventoryCommand::kReserve).committed) << i;
  }
  const CommandOutcome refused = clerk->Handle(0, InventoryCommand::kReserve);
  EXPECT_FALSE(refused.committed);
  EXPECT_EQ(refused.conflicts, 0);
  uint64_t version = 0;
  EXPECT_EQ(clerk->Load(0, &version).available, 0);
  EXPECT_EQ(version, 8u + 1 + kRestockUnits);  // a refusal writes nothing
  EXPECT_EQ(clerk->Load(1, &version).available, 0);
  EXPECT_EQ(version, 8u);
}

TEST_P(BenchTargets, InventoryLoadSeesTheWholeHistory) {
  if (GetParam() == System::kRocksDbRaw) GTEST_SKIP() << "no A1";
  TempDir dir;
  auto target = OpenTarget(GetParam(), dir.path(), TargetOptions{});
  // 250 = 31 x (2 restocks + 6 reserves) + 2 restocks: 6 available.
  target->LoadInventory(3, 250);
  if (Store* store = target->engine()) {
    // The engine's policy took snapshots, so a load is a snapshot and a tail.
    auto snapshot = store->LoadSnapshot(ProductName(2));
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    ASSERT_TRUE(snapshot->has_value());
    EXPECT_GE((*snapshot)->version.value(), 250u - kSnapshotEvery);
  }
  auto clerk = target->OpenClerk();
  uint64_t version = 0;
  EXPECT_EQ(clerk->Load(2, &version).available, 2 * kRestockUnits);
  EXPECT_EQ(version, 250u);
  for (int i = 0; i < 2 * kRestockUnits; ++i) {
    EXPECT_TRUE(clerk->Handle(2, InventoryCommand::kReserve).committed) << i;
  }
  EXPECT_FALSE(clerk->Handle(2, InventoryCommand::kReserve).committed);
  EXPECT_EQ(clerk->Load(2, &version).available, 0);
  EXPECT_EQ(version, 250u + 2 * kRestockUnits);
}

INSTANTIATE_TEST_SUITE_P(AllSystems, BenchTargets, ::testing::ValuesIn(kAllSystems),
                         [](const auto& param_info) {
                           std::string name = SystemName(param_info.param);
                           return name == "rocksdb-raw" ? std::string("RocksDbRaw") : name;
                         });

TEST(BenchWorkloads, PercentilePicksTheNearestRank) {
  std::vector<float> values;
  for (int i = 100; i >= 1; --i) values.push_back(static_cast<float>(i));
  EXPECT_EQ(Percentile(values, 0.0), 1);
  EXPECT_EQ(Percentile(values, 0.5), 51);  // rank round(0.5 * 99) = 50
  EXPECT_EQ(Percentile(values, 0.99), 99);
  EXPECT_EQ(Percentile(values, 1.0), 100);
  std::vector<float> empty;
  EXPECT_EQ(Percentile(empty, 0.5), 0);
}

TEST(BenchWorkloads, DerivedCountsFollowTheScale) {
  EXPECT_EQ(WorkloadEvents("W1", 1'000'000), 1'000'000);
  EXPECT_EQ(WorkloadEvents("W3", 1'000'050), 1'000'000);  // whole 100-event appends
  EXPECT_EQ(WorkloadEvents("R1", 1'000'000), 10'000);
  EXPECT_EQ(WorkloadEvents("X2", 1'000'000), 10'000'000);
  EXPECT_EQ(WorkloadEvents("A1", 200'000), 20'000);  // commands
  EXPECT_EQ(InventoryHistory(200'000), 200);         // events per product before them
  EXPECT_EQ(WorkloadEvents("V1", 200'000), 200'000);
  EXPECT_TRUE(IsWorkload("S1"));
  EXPECT_FALSE(IsWorkload("W9"));
}

TEST(BenchWorkloads, EventIdsAreDistinctStableAndNeverNil) {
  std::set<std::array<uint8_t, 16>> ids;
  for (uint64_t n = 0; n < 1000; ++n) {
    for (uint64_t version = 1; version <= 100; ++version) {
      const auto id = EventId(n, version);
      EXPECT_NE(id, (std::array<uint8_t, 16>{}));
      ids.insert(id);
    }
  }
  EXPECT_EQ(ids.size(), 100'000u);
  EXPECT_EQ(EventId(7, 3), EventId(7, 3));
  EXPECT_NE(EventId(7, 3), EventId(3, 7));
}

// An in-memory inventory for AggregateCommands: every product a version and
// a stock under one mutex. A clerk made with `lose_every` > 0 reports every
// lose_every-th commit as done without writing it.
class FakeInventory final : public Target {
 public:
  explicit FakeInventory(int64_t lose_every) : lose_every_(lose_every) {}

  int64_t AppendRoundRobin(const StreamSet&, int64_t, bool, bool, LatencySink, void*) override {
    return 0;
  }
  int64_t AppendBatches(uint64_t, int64_t, int, bool) override { return 0; }
  void Load(int64_t, uint64_t) override {}
  void Settle() override {}
  int64_t ReadStream(uint64_t) override { return 0; }
  int64_t ScanAll() override { return 0; }

  void LoadInventory(int products, int64_t history) override {
    products_.assign(static_cast<size_t>(products), Product{});
    for (Product& p : products_) {
      for (int64_t i = 0; i < history; ++i) ApplyStock(p.stock, HistoryType(i));
      p.version = static_cast<uint64_t>(history);
    }
  }

  std::unique_ptr<InventoryClerk> OpenClerk() override { return std::make_unique<Clerk>(*this); }

 private:
  struct Product {
    uint64_t version = 0;
    Stock stock;
  };

  class Clerk final : public InventoryClerk {
   public:
    explicit Clerk(FakeInventory& inventory) : inventory_(inventory) {}
    CommandOutcome Handle(uint64_t product, InventoryCommand command) override {
      std::lock_guard<std::mutex> lock(inventory_.mu_);
      Product& p = inventory_.products_[product];
      const char* type = DecideCommand(p.stock, command);
      if (type == nullptr) return {};
      if (inventory_.lose_every_ == 0 || ++inventory_.commits_ % inventory_.lose_every_ != 0) {
        ApplyStock(p.stock, type);
        ++p.version;
      }
      return {.committed = true};
    }
    Stock Load(uint64_t product, uint64_t* version) override {
      std::lock_guard<std::mutex> lock(inventory_.mu_);
      *version = inventory_.products_[product].version;
      return inventory_.products_[product].stock;
    }

   private:
    FakeInventory& inventory_;
  };

  const int64_t lose_every_;
  std::mutex mu_;
  std::vector<Product> products_;
  int64_t commits_ = 0;
};

TEST(BenchWorkloads, A1CountsEveryCommandAsCommittedOrRefused) {
  FakeInventory inventory(/*lose_every=*/0);
  const Measurement m = AggregateCommands(inventory, 5'000, 8);
  EXPECT_EQ(m.events, 5'000);
  EXPECT_EQ(m.committed + m.refused, 5'000);
  // Demand outruns supply from an empty stock: both outcomes occur.
  EXPECT_GT(m.committed, 0);
  EXPECT_GT(m.refused, 0);
  EXPECT_EQ(m.conflicts, 0);
  EXPECT_TRUE(m.has_latency);
}

TEST(BenchWorkloads, A1FailsWhenACommittedCommandIsMissingFromTheStore) {
  FakeInventory inventory(/*lose_every=*/100);
  EXPECT_THROW(AggregateCommands(inventory, 5'000, 8), std::runtime_error);
}

TEST(BenchWorkloads, A1RunsOnTheEngineAndSqliteAndSkipsRawRocksDb) {
  for (System system : kAllSystems) {
    TempDir dir;
    const Measurement m =
        RunWorkload({.workload = "A1", .system = system, .dir = dir.path(), .events = 20'000});
    if (system == System::kRocksDbRaw) {
      EXPECT_NE(m.skipped, "");
      continue;
    }
    EXPECT_EQ(m.skipped, "") << SystemName(system);
    EXPECT_EQ(m.events, WorkloadEvents("A1", 20'000)) << SystemName(system);
    EXPECT_EQ(m.committed + m.refused, m.events) << SystemName(system);
    EXPECT_GT(m.committed, 0) << SystemName(system);
    EXPECT_GE(m.conflicts, 0) << SystemName(system);
  }
}

TEST(BenchWorkloads, V1AppliesEveryEventOfW1AndReportsItsLag) {
  TempDir dir;
  const Measurement m =
      RunWorkload({.workload = "V1", .system = System::kEvlog, .dir = dir.path(), .events = 5'000});
  EXPECT_EQ(m.events, 5'000);
  EXPECT_GE(m.lag_ms, 0);
  EXPECT_GE(m.lag_events, 0);
  EXPECT_LE(m.lag_events, 5'000);
  EXPECT_GT(m.replay_events_per_s, 0);
  TempDir sqlite_dir;
  EXPECT_NE(
      RunWorkload(
          {.workload = "V1", .system = System::kSqlite, .dir = sqlite_dir.path(), .events = 5'000})
          .skipped,
      "");
}

TEST(BenchWorkloads, V1FailsWhenTheWriterFallsShort) {
  TempDir dir;
  auto store = Store::Open(Options{}, dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  // 1,000 appends promised, 10 made: the view has 10 events to apply, and
  // V1 says so rather than report a rate.
  auto write = [&] {
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE((*store)
                      ->Append("stream-" + std::to_string(i), ExpectedVersion::Any(),
                               {EventData{.type = "ItemAdded", .data = "x"}}, Durability::kBuffered)
                      .ok());
    }
  };
  EXPECT_THROW(ViewApply(**store, 1'000, write), std::runtime_error);
}

json GoodReport() {
  return json::parse(R"({
    "machine": {"cpu": "x", "cores": 2, "rocksdb": "7.8.3", "sqlite": "3.40.1",
                "fsync_per_s": 7000},
    "results": [
      {"workload": "W1", "system": "evlog", "events_per_s": 200000, "min": 190000,
       "max": 210000, "peak_rss_bytes": 1000},
      {"workload": "W1", "system": "sqlite", "events_per_s": 30000, "min": 30000,
       "max": 30000, "peak_rss_bytes": 1000},
      {"workload": "S1", "system": "evlog", "skipped": "no daemon"}]})");
}

// A result row at a steady `events_per_s` (min = max), plus `extra` fields.
json Row(const std::string& workload, const std::string& system, int64_t events_per_s,
         const json& extra = json::object()) {
  json row = {{"workload", workload},      {"system", system},
              {"events_per_s", events_per_s}, {"min", events_per_s},
              {"max", events_per_s},       {"peak_rss_bytes", 1000}};
  row.update(extra);
  return row;
}

// What PrintTable prints for `report`.
std::string Table(const json& report) {
  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  if (out == nullptr) return "";
  PrintTable(report, out);
  std::fclose(out);
  std::string table(text, size);
  std::free(text);
  return table;
}

TEST(BenchReport, AcceptsAWellFormedReport) {
  std::string error;
  EXPECT_TRUE(ValidateReport(GoodReport(), &error)) << error;
}

TEST(BenchReport, RejectsAMedianOutsideItsRange) {
  json report = GoodReport();
  report["results"][0]["min"] = 250000;
  std::string error;
  EXPECT_FALSE(ValidateReport(report, &error));
  EXPECT_NE(error.find("W1"), std::string::npos) << error;
}

TEST(BenchReport, RejectsAFailedRunAndAMissingField) {
  std::string error;
  json failed = GoodReport();
  failed["results"].push_back({{"workload", "W2"}, {"system", "evlog"}, {"error", "boom"}});
  EXPECT_FALSE(ValidateReport(failed, &error));
  json no_rss = GoodReport();
  no_rss["results"][1].erase("peak_rss_bytes");
  EXPECT_FALSE(ValidateReport(no_rss, &error));
  json no_machine = GoodReport();
  no_machine["machine"].erase("fsync_per_s");
  EXPECT_FALSE(ValidateReport(no_machine, &error));
}

TEST(BenchReport, PlotDrawsABarPerFigure) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(WritePlot(GoodReport(), dir.Sub("out.svg"), &error)) << error;
  std::ifstream in(dir.Sub("out.svg"));
  std::stringstream svg;
  svg << in.rdbuf();
  EXPECT_EQ(svg.str().rfind("<svg", 0), 0u);
  size_t bars = 0;
  for (size_t at = 0; (at = svg.str().find("<title>", at)) != std::string::npos; ++at) ++bars;
  EXPECT_EQ(bars, 2u);  // W1 evlog and sqlite; the skipped S1 has none
  EXPECT_FALSE(WritePlot(json::object(), dir.Sub("bad.svg"), &error));
}

TEST(BenchReport, TableShowsW5AsAShareOfTheSameSystemsW1) {
  json report = GoodReport();
  report["results"].push_back(Row("W5", "evlog", 150000));
  report["results"].push_back(Row("W5", "sqlite", 15000));
  const std::string table = Table(report);
  // evlog's W5 beside evlog's W1 (150k / 200k), SQLite's beside SQLite's.
  EXPECT_NE(table.find("0.75x of W1"), std::string::npos) << table;
  EXPECT_NE(table.find("0.50x of W1"), std::string::npos) << table;
  // And against SQLite's W5 of the same run (150k / 15k).
  EXPECT_NE(table.find("10.00x"), std::string::npos) << table;
}

TEST(BenchReport, TableNotesConflictsRefusalsAndTheViewsLag) {
  json report = GoodReport();
  report["results"].push_back(
      Row("A1", "evlog", 40000, {{"conflicts", 12}, {"committed", 900}, {"refused", 100}}));
  report["results"].push_back(Row(
      "V1", "evlog", 300000,
      {{"lag_ms", 4.3}, {"lag_events", 1200}, {"replay_events_per_s", 1500000}}));
  std::string error;
  EXPECT_TRUE(ValidateReport(report, &error)) << error;
  const std::string table = Table(report);
  EXPECT_NE(table.find("12 conflicts, 100 refused"), std::string::npos) << table;
  // V1 beside the engine's W1 (300k / 200k).
  EXPECT_NE(table.find("1.50x of W1, lag 4.3 ms (1200 events), replay 1.50M/s"), std::string::npos)
      << table;
}

int RunBench(const std::vector<std::string>& argv) {
  auto child = ChildProcess::Start(argv);
  if (child == nullptr) return -1;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), child->out()) != nullptr) {
  }
  int status = child->Wait();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs `evlog-bench run <workloads> --smoke` with its stores and report in
// `dir`, and checks the report is well formed.
void RunSmoke(const TempDir& dir, const std::vector<std::string>& workloads, json* report) {
  std::vector<std::string> argv = {EVLOG_BENCH_PATH, "run"};
  argv.insert(argv.end(), workloads.begin(), workloads.end());
  argv.insert(argv.end(), {"--smoke", "--dir", dir.Sub("stores"), "--json", dir.Sub("report.json")});
  ASSERT_EQ(RunBench(argv), 0);
  std::ifstream in(dir.Sub("report.json"));
  *report = json::parse(in, nullptr, false);
  ASSERT_FALSE(report->is_discarded());
  std::string error;
  EXPECT_TRUE(ValidateReport(*report, &error)) << error;
}

// A report's results by (workload, system).
std::map<std::pair<std::string, std::string>, json> ResultsBySystem(const json& report) {
  std::map<std::pair<std::string, std::string>, json> results;
  for (const json& r : report["results"]) {
    results[{r["workload"].get<std::string>(), r["system"].get<std::string>()}] = r;
  }
  return results;
}

TEST(BenchSmoke, EveryWorkloadCompletesWithAWellFormedReport) {
  TempDir dir;
  json report;
  ASSERT_NO_FATAL_FAILURE(RunSmoke(dir, {"all"}, &report));

  std::set<std::pair<std::string, std::string>> seen;
  for (const json& r : report["results"])
    seen.insert({r["workload"].get<std::string>(), r["system"].get<std::string>()});
  for (const std::string& w : WorkloadNames()) {
    EXPECT_TRUE(seen.count({w, "evlog"})) << w;
    if (w == "L1" || w == "F1" || w == "S1") continue;
    EXPECT_TRUE(seen.count({w, "rocksdb-raw"})) << w;
    EXPECT_TRUE(seen.count({w, "sqlite"})) << w;
  }
  // The run's stores are gone: only the (now empty) parent remains.
  EXPECT_TRUE(std::filesystem::is_empty(dir.Sub("stores")));

  ASSERT_EQ(RunBench({EVLOG_BENCH_PATH, "plot", dir.Sub("report.json"), dir.Sub("report.svg")}), 0);
  EXPECT_TRUE(std::filesystem::file_size(dir.Sub("report.svg")) > 0);
}

TEST(BenchSmoke, W5ReportsEverySystemInW1sShape) {
  TempDir dir;
  json report;
  ASSERT_NO_FATAL_FAILURE(RunSmoke(dir, {"W1", "W5"}, &report));
  std::map<std::pair<std::string, std::string>, json> results = ResultsBySystem(report);
  for (System system : kAllSystems) {
    const std::string name = SystemName(system);
    ASSERT_TRUE(results.count({"W5", name})) << name;
    ASSERT_TRUE(results.count({"W1", name})) << name;
    const json& w5 = results[{"W5", name}];
    const json& w1 = results[{"W1", name}];
    // The same fields as W1, and no others: no latency, no error.
    std::set<std::string> w5_keys, w1_keys;
    for (const auto& [key, value] : w5.items()) w5_keys.insert(key);
    for (const auto& [key, value] : w1.items()) w1_keys.insert(key);
    EXPECT_EQ(w5_keys, w1_keys) << name;
    for (const char* key : {"workload", "system", "events", "repetitions", "events_per_s", "min",
                            "max", "runs", "mb_per_s", "peak_rss_bytes"}) {
      EXPECT_TRUE(w5.contains(key)) << name << " " << key;
    }
    EXPECT_EQ(w5["events"], 2000) << name;  // the smoke scale, every event appended
    EXPECT_EQ(w5["repetitions"], 1) << name;
    EXPECT_EQ(w5["runs"].size(), 1u) << name;
    EXPECT_GT(w5["events_per_s"].get<double>(), 0) << name;
  }
}

TEST(BenchSmoke, A1AndV1ReportTheirCounts) {
  TempDir dir;
  json report;
  ASSERT_NO_FATAL_FAILURE(RunSmoke(dir, {"V1", "A1"}, &report));
  std::map<std::pair<std::string, std::string>, json> results = ResultsBySystem(report);
  const json& v1 = results[{"V1", "evlog"}];
  EXPECT_EQ(v1.value("events", 0), 2000);
  EXPECT_GE(v1.value("lag_ms", -1.0), 0);
  EXPECT_GT(v1.value("replay_events_per_s", 0.0), 0);
  EXPECT_TRUE((results[{"V1", "sqlite"}].contains("skipped")));
  EXPECT_TRUE((results[{"A1", "rocksdb-raw"}].contains("skipped")));
  for (const char* system : {"evlog", "sqlite"}) {
    const json& a1 = results[{std::string("A1"), std::string(system)}];
    EXPECT_EQ(a1.value("events", 0), WorkloadEvents("A1", 2000)) << system;
    EXPECT_EQ(a1.value("committed", 0) + a1.value("refused", 0), a1.value("events", -1)) << system;
    EXPECT_TRUE(a1.contains("conflicts")) << system;
    EXPECT_TRUE(a1.contains("p99_us")) << system;
  }
}

TEST(BenchCli, UnknownWorkloadOrBadInputIsAnError) {
  TempDir dir;
  EXPECT_EQ(RunBench({EVLOG_BENCH_PATH, "run", "W9", "--dir", dir.path()}), 2);
  EXPECT_NE(RunBench({EVLOG_BENCH_PATH, "run", "W1", "--events", "10"}), 0);  // below the minimum
  std::ofstream(dir.Sub("not.json")) << "{";
  EXPECT_EQ(RunBench({EVLOG_BENCH_PATH, "plot", dir.Sub("not.json"), dir.Sub("x.svg")}), 1);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("x.svg")));
}

}  // namespace
}  // namespace evlog::bench
