// Inventory (seed 002): products are created and restocked; eight clerks
// reserve concurrently through the Aggregate, which commits at the loaded
// version and retries on conflict, so stock never goes below zero; an
// availability view follows the feed. Exits 1 if an invariant breaks.
//
//   inventory [STORE_DIR]   (default: a temporary directory)

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "evlog/aggregate.h"
#include "evlog/store.h"
#include "example.h"

using nlohmann::json;

namespace {

int Fail(const std::string& what) { return evlog::examples::Fail("inventory", what); }

struct Product {
  bool created = false;
  long available = 0;
};

void Apply(Product& p, const evlog::RecordedEvent& e) {
  json data = json::parse(e.data);
  if (e.type == "ProductCreated") p.created = true;
  if (e.type == "ProductRestocked") p.available += data["quantity"].get<long>();
  if (e.type == "ProductReserved") p.available -= data["quantity"].get<long>();
}

evlog::EventData Event(const std::string& type, const json& data) {
  return {.type = type, .data = data.dump(), .content_type = evlog::ContentType::kJson};
}

// The command: reserve `quantity` unless it would oversell.
evlog::Result<std::vector<evlog::EventData>> Reserve(const Product& p, long quantity) {
  if (!p.created) return evlog::Status::NotFound("no such product");
  if (p.available < quantity) return evlog::Status::InvalidArgument("sold out");
  return std::vector<evlog::EventData>{Event("ProductReserved", {{"quantity", quantity}})};
}

}  // namespace

int main(int argc, char** argv) {
  evlog::examples::ExampleStore example(argc, argv, "evlog-inventory-");
  if (!example.status().ok()) return Fail(example.status().ToString());
  evlog::Store& store = example.store();
  // What the clerks do needs only the EventStore interface: with
  // `evlog::Client::Connect(...)` in place of the Store::Open in example.h
  // they would work through evlogd unchanged. The view runs here, beside the store.
  evlog::EventStore& shop = store;

  // The availability view: product -> units available.
  auto view =
      store.OpenView({.name = "availability", .feed = {.category = "product"}},
                     [](const std::vector<evlog::OwnedEvent>& events, evlog::ViewWriter& out) {
                       for (const auto& e : events) {
                         auto current = out.Get(e.stream);
                         if (!current.ok()) return current.status();
                         long n = current->has_value() ? std::stol(**current) : 0;
                         long q = json::parse(e.data).value("quantity", 0L);
                         if (e.type == "ProductRestocked") n += q;
                         if (e.type == "ProductReserved") n -= q;
                         out.Put(e.stream, std::to_string(n));
                       }
                       return evlog::Status::OK();
                     });
  if (!view.ok()) return Fail(view.status().ToString());

  const std::vector<std::pair<std::string, long>> products = {
      {"product-1", 50}, {"product-2", 7}, {"product-3", 0}};
  for (const auto& [stream, stock] : products) {
    auto r = shop.Append(stream, evlog::ExpectedVersion::NoStream(),
                          {Event("ProductCreated", {{"name", stream}}),
                           Event("ProductRestocked", {{"quantity", stock}})});
    if (!r.ok()) return Fail(r.status().ToString());
  }

  std::atomic<long> reserved[3] = {0, 0, 0};
  std::atomic<long> conflicts{0};
  std::vector<std::thread> clerks;
  for (int t = 0; t < 8; ++t) {
    clerks.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        size_t k = static_cast<size_t>((t + i) % 3);
        evlog::Aggregate<Product> product(shop, products[k].first, Apply);
        auto r = product.Handle([](const Product& p) { return Reserve(p, 1); },
                                {.max_attempts = 1000,
                                 .correlation_id = "clerk-" + std::to_string(t),
                                 .durability = evlog::Durability::kBuffered});
        if (r.ok()) ++reserved[k];
        conflicts += static_cast<long>(product.conflicts());
      }
    });
  }
  for (auto& c : clerks) c.join();

  if (!(*view)->WaitFor(store.LastPosition(), std::chrono::seconds(30)).ok()) {
    return Fail("the view did not catch up");
  }
  for (size_t k = 0; k < products.size(); ++k) {
    const auto& [stream, stock] = products[k];
    evlog::Aggregate<Product> product(shop, stream, Apply);
    if (!product.Load().ok()) return Fail("load failed");
    long expected = stock - std::min(stock, reserved[k].load());
    auto shown = (*view)->Get(stream);
    std::printf("%s: stock %ld, reserved %ld, available %ld (view says %s)\n", stream.c_str(),
                stock, reserved[k].load(), product.state().available,
                shown.ok() && shown->has_value() ? (*shown)->c_str() : "?");
    if (reserved[k] > stock) return Fail(stream + " oversold");
    if (product.state().available != expected || product.state().available < 0) {
      return Fail(stream + " has the wrong stock");
    }
    if (!shown.ok() || !shown->has_value() || **shown != std::to_string(expected)) {
      return Fail("the availability view disagrees for " + stream);
    }
  }
  std::printf("8 clerks, %ld conflicts retried, nothing oversold\n", conflicts.load());
  view->reset();
  example.Finish();
  return 0;
}
