// CDC mapper (seed 000): a table's change records (INSERT / MODIFY / REMOVE
// with old and new images) are written to "table-items"; a subscription from
// TRIM_HORIZON in batches of 25 maps each to a domain event
// ("item-insert", "item-modify", "item-remove") carrying old and new image, into the stream
// "domain-items". The handler fails its first attempt of some batches to show
// the retries; deterministic event ids (from the change's position) make a
// retried batch idempotent. Exits 1 unless every change is mapped once.
//
//   cdc_mapper [STORE_DIR]

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "evlog/store.h"
#include "example.h"

using nlohmann::json;

namespace {

int Fail(const std::string& what) { return evlog::examples::Fail("cdc_mapper", what); }

// A stable id for the domain event made from the change at `position`.
evlog::Uuid IdFor(evlog::Position position) {
  std::array<uint8_t, 16> b{'c', 'd', 'c', 0, 0, 0, 0x40, 0, 0x80};
  for (int i = 0; i < 7; ++i) b[15 - i] = static_cast<uint8_t>(position.value() >> (8 * i));
  return evlog::Uuid(b);
}

}  // namespace

int main(int argc, char** argv) {
  evlog::examples::ExampleStore example(argc, argv, "evlog-cdc-");
  if (!example.status().ok()) return Fail(example.status().ToString());
  evlog::Store& store = example.store();

  // The "database" writes its change records first, as DynamoDB would.
  std::map<std::string, json> table;
  for (int i = 0; i < 120; ++i) {
    std::string key = "item-" + std::to_string(i % 30);
    json change{{"key", key}};
    if (!table.count(key)) {
      change["op"] = "INSERT";
    } else if (i % 7 == 0) {
      change["op"] = "REMOVE";
    } else {
      change["op"] = "MODIFY";
    }
    if (table.count(key)) change["old"] = table[key];
    if (change["op"] == "REMOVE") {
      table.erase(key);
    } else {
      table[key] = json{{"id", key}, {"rev", i}};
      change["new"] = table[key];
    }
    auto r = store.Append(
        "table-items", evlog::ExpectedVersion::Any(),
        {{.type = "change", .data = change.dump(), .content_type = evlog::ContentType::kJson}},
        evlog::Durability::kBuffered);
    if (!r.ok()) return Fail(r.status().ToString());
  }
  const evlog::Position last_change = store.LastPosition();

  std::atomic<int> batches{0}, failures{0};
  auto mapper = store.Subscribe(
      {.name = "cdc-mapper",
       .feed = {.start = evlog::FeedStart::Oldest(), .category = "table", .max_batch_events = 25},
       .max_attempts = 3,
       .initial_backoff = std::chrono::milliseconds(1)},
      [&](const std::vector<evlog::OwnedEvent>& events) -> evlog::Status {
        if (++batches % 2 == 1) {
          ++failures;  // a transient failure: the batch is retried
          return evlog::Status::IOError("stream temporarily unavailable");
        }
        std::vector<evlog::EventData> mapped;
        for (const auto& e : events) {
          json change = json::parse(e.data);
          std::string op = change["op"];
          for (auto& c : op) c = static_cast<char>(std::tolower(c));
          json event{
              {"type", "item-" + op},
              {"timestamp", e.timestamp_us},
              {"partition_key", change["key"]},
              {"item",
               {{"old", change.value("old", json())}, {"new", change.value("new", json())}}}};
          mapped.push_back({.type = "item-" + op,
                            .data = event.dump(),
                            .content_type = evlog::ContentType::kJson,
                            .id = IdFor(e.position)});
        }
        auto r = store.Append("domain-items", evlog::ExpectedVersion::Any(), std::move(mapped));
        return r.status();
      });
  if (!mapper.ok()) return Fail(mapper.status().ToString());
  if (!(*mapper)->WaitFor(last_change, std::chrono::seconds(30)).ok()) {
    return Fail("the mapper did not catch up");
  }
  std::map<std::string, int> by_type;
  int mapped = 0;
  {
    auto it = store.ReadStream("domain-items");  // iterators go before the store
    if (!it.ok()) return Fail(it.status().ToString());
    for (auto& events = *it; events->Valid(); events->Next()) {
      ++by_type[std::string(events->event().type)];
      ++mapped;
    }
  }
  std::printf("%d changes mapped in %d batches (%d failed first attempts retried):", mapped,
              batches.load(), failures.load());
  for (const auto& [type, n] : by_type) std::printf(" %s=%d", type.c_str(), n);
  std::printf("\n");
  if (mapped != 120) return Fail("expected 120 domain events, got " + std::to_string(mapped));
  if (failures.load() == 0) return Fail("no retry happened");
  mapper->reset();
  example.Finish();
  return 0;
}
