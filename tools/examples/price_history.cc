// Price history (seed 003): CreateProduct / UpdateProduct / DeleteProduct
// commands decided by the Aggregate (only a created, undeleted product can be
// updated), and a price-history read model kept by a view — then rebuilt
// from history, which must give the same model. Exits 1 on a mismatch.
//
//   price_history [STORE_DIR]

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evlog/aggregate.h"
#include "evlog/store.h"
#include "example.h"

using nlohmann::json;

namespace {

int Fail(const std::string& what) { return evlog::examples::Fail("price_history", what); }

struct Product {
  bool created = false;
  bool deleted = false;
  double price = 0;
};

void Apply(Product& p, const evlog::RecordedEvent& e) {
  json data = json::parse(e.data);
  if (e.type == "ProductCreated") {
    p.created = true;
    p.price = data["price"];
  }
  if (e.type == "PriceChanged") p.price += data["delta"].get<double>();
  if (e.type == "ProductDeleted") p.deleted = true;
}

evlog::EventData Event(const std::string& type, const json& data) {
  return {.type = type, .data = data.dump(), .content_type = evlog::ContentType::kJson};
}

using Decision = evlog::Result<std::vector<evlog::EventData>>;

Decision CreateProduct(const Product& p, double price) {
  if (p.created) return evlog::Status::InvalidArgument("product exists");
  return std::vector<evlog::EventData>{Event("ProductCreated", {{"price", price}})};
}
Decision UpdateProduct(const Product& p, double delta) {
  if (!p.created || p.deleted) return evlog::Status::InvalidArgument("no such product");
  return std::vector<evlog::EventData>{Event("PriceChanged", {{"delta", delta}})};
}
Decision DeleteProduct(const Product& p) {
  if (!p.created || p.deleted) return evlog::Status::InvalidArgument("no such product");
  return std::vector<evlog::EventData>{Event("ProductDeleted", json::object())};
}

// The read model: product -> [prices over time], and "deleted" when gone.
evlog::Status Project(const std::vector<evlog::OwnedEvent>& events, evlog::ViewWriter& out) {
  for (const auto& e : events) {
    auto current = out.Get(e.stream);
    if (!current.ok()) return current.status();
    json history = current->has_value() ? json::parse(**current) : json{{"prices", json::array()}};
    json data = json::parse(e.data);
    if (e.type == "ProductCreated") history["prices"].push_back(data["price"]);
    if (e.type == "PriceChanged") {
      history["prices"].push_back(history["prices"].back().get<double>() +
                                  data["delta"].get<double>());
    }
    if (e.type == "ProductDeleted") history["deleted"] = true;
    out.Put(e.stream, history.dump());
  }
  return evlog::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  evlog::examples::ExampleStore example(argc, argv, "evlog-prices-");
  if (!example.status().ok()) return Fail(example.status().ToString());
  evlog::Store& store = example.store();
  auto view = store.OpenView({.name = "price-history", .feed = {.category = "price"}}, Project);
  if (!view.ok()) return Fail(view.status().ToString());

  evlog::Aggregate<Product> a(store, "price-a", Apply), b(store, "price-b", Apply);
  const bool ok = a.Handle([](const Product& p) { return CreateProduct(p, 10.0); }).ok() &&
                  a.Handle([](const Product& p) { return UpdateProduct(p, 2.5); }).ok() &&
                  a.Handle([](const Product& p) { return UpdateProduct(p, -1.0); }).ok() &&
                  b.Handle([](const Product& p) { return CreateProduct(p, 99.0); }).ok() &&
                  b.Handle([](const Product& p) { return DeleteProduct(p); }).ok();
  if (!ok) return Fail("a valid command was refused");
  if (b.Handle([](const Product& p) { return UpdateProduct(p, 1.0); }).ok()) {
    return Fail("a deleted product was updated");
  }
  if (!(*view)->WaitFor(store.LastPosition(), std::chrono::seconds(30)).ok()) {
    return Fail("the view did not catch up");
  }
  auto before = (*view)->Scan("price-");
  if (!before.ok()) return Fail(before.status().ToString());
  if (!(*view)
           ->Rebuild([](evlog::Position p, evlog::Position target) {
             std::printf("rebuild: %llu / %llu\n", static_cast<unsigned long long>(p.value()),
                         static_cast<unsigned long long>(target.value()));
           })
           .ok()) {
    return Fail("rebuild failed");
  }
  auto after = (*view)->Scan("price-");
  if (!after.ok() || *after != *before) return Fail("the rebuilt model differs");
  for (const auto& [product, history] : *after)
    std::printf("%s %s\n", product.c_str(), history.c_str());
  if (json::parse((*after)[0].second)["prices"] != json::parse("[10.0,12.5,11.5]")) {
    return Fail("wrong price history");
  }
  view->reset();
  example.Finish();
  return 0;
}
