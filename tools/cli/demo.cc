// `evlog demo`: the seeds' product-inventory story (seed 002), told on a
// store in a temporary directory. Products are created, restocked and
// reserved; a concurrent reservation loses on the expected version; a
// retried command is deduplicated by its event id; then everything is read
// back.

#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "evlog/store.h"

namespace evlog::cli {

namespace {


// The aggregate: a product's state, folded from its events.
struct Product {
  std::string name;
  int64_t quantity = 0;
  Version version;  // the version it was loaded at: the next append's expectation
};

Product Fold(Store& store, const std::string& stream) {
  Product p;
  auto it = store.ReadStream(stream);
  if (!it.ok()) return p;
  for (auto& events = *it; events->Valid(); events->Next()) {
    const RecordedEvent& e = events->event();
    nlohmann::json data = nlohmann::json::parse(e.data, nullptr, false);
    if (e.type == "ProductCreated") p.name = data.value("name", "");
    if (e.type == "ProductRestocked") p.quantity += data.value("quantity", 0);
    if (e.type == "ProductReserved") p.quantity -= data.value("quantity", 0);
    p.version = e.version;
  }
  return p;
}

EventData Event(const std::string& type, const nlohmann::json& data) {
  return EventData{.type = type, .data = data.dump(), .content_type = ContentType::kJson};
}

// The command handler: reserve `quantity` if the product has it, with the
// loaded version as the expected version.
Status Reserve(Store& store, const std::string& stream, const Product& loaded, int64_t quantity,
               const std::string& who) {
  if (loaded.quantity < quantity) {
    std::cout << "  " << who << ": only " << loaded.quantity << " left of " << loaded.name
              << ", cannot reserve " << quantity << " (sold-out invariant holds)\n";
    return Status::OK();
  }
  auto r = store.Append(stream, ExpectedVersion::Exact(loaded.version),
                        {Event("ProductReserved", {{"quantity", quantity}, {"by", who}})});
  if (!r.ok()) return r.status();
  std::cout << "  " << who << ": reserved " << quantity << " " << loaded.name << " at version "
            << r->streams[0].last_version.value() << ", position "
            << r->streams[0].last_position.value() << "\n";
  return Status::OK();
}

int Fail(const Status& s) { return ReportError(s); }

}  // namespace

int RunDemo() {
  std::string dir = (std::filesystem::temp_directory_path() / "evlog-demo-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return Fail(Status::IOError("cannot create a temp dir"));
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};

  auto opened = Store::Open(Options{}, dir + "/store");
  if (!opened.ok()) return Fail(opened.status());
  Store& store = **opened;
  std::cout << "evlog demo: a product inventory on a fresh store in " << dir << "\n\n";

  std::cout << "1. Products are created and restocked (expected version: no stream yet)\n";
  for (auto [stream, name, stock] :
       {std::tuple{"product-1", "Widget", 10}, std::tuple{"product-2", "Gadget", 3}}) {
    auto r = store.Append(stream, ExpectedVersion::NoStream(),
                          {Event("ProductCreated", {{"name", name}}),
                           Event("ProductRestocked", {{"quantity", stock}})});
    if (!r.ok()) return Fail(r.status());
    std::cout << "  " << stream << ": created " << name << " with " << stock
              << " in stock, versions " << r->streams[0].first_version.value() << ".."
              << r->streams[0].last_version.value() << ", positions "
              << r->streams[0].first_position.value() << ".." << r->streams[0].last_position.value()
              << "\n";
  }

  std::cout << "\n2. A customer reserves 4 widgets\n";
  if (Status s = Reserve(store, "product-1", Fold(store, "product-1"), 4, "alice"); !s.ok()) {
    return Fail(s);
  }

  std::cout << "\n3. Two clerks load the gadget at the same time and both try to reserve 2\n";
  Product clerk_a = Fold(store, "product-2");
  Product clerk_b = Fold(store, "product-2");
  std::cout << "  both loaded " << clerk_a.name << " at version " << clerk_a.version.value()
            << " with " << clerk_a.quantity << " in stock\n";
  if (Status s = Reserve(store, "product-2", clerk_a, 2, "clerk A"); !s.ok()) return Fail(s);
  Status conflict = Reserve(store, "product-2", clerk_b, 2, "clerk B");
  if (!conflict.IsWrongExpectedVersion()) {
    return Fail(Status::Aborted("expected a conflict, got " + conflict.ToString()));
  }
  std::cout << "  clerk B: rejected, wrong expected version: the stream is at version "
            << *conflict.actual_version() << ", not " << clerk_b.version.value() << "\n";
  std::cout << "  clerk B reloads and decides again:\n";
  if (Status s = Reserve(store, "product-2", Fold(store, "product-2"), 2, "clerk B"); !s.ok()) {
    return Fail(s);
  }

  std::cout << "\n4. A restock command is sent, its reply is lost, and it is retried\n";
  EventData restock = Event("ProductRestocked", {{"quantity", 5}});
  restock.id = Uuid::Random();
  auto first = store.Append("product-1", ExpectedVersion::Any(), {restock});
  if (!first.ok()) return Fail(first.status());
  Position before = store.LastPosition();
  auto retry = store.Append("product-1", ExpectedVersion::Any(), {restock});
  if (!retry.ok()) return Fail(retry.status());
  std::cout << "  first try: position " << first->streams[0].last_position.value()
            << "; retry with the same event id " << restock.id.ToString() << ": position "
            << retry->streams[0].last_position.value()
            << (retry->deduplicated ? " (deduplicated, nothing written)" : " (WRITTEN TWICE)")
            << "; last position still " << store.LastPosition().value() << "\n";
  if (!retry->deduplicated || store.LastPosition() != before) {
    return Fail(Status::Aborted("the retry was not deduplicated"));
  }

  std::cout << "\n5. Read back\n";
  std::cout << "  streams in category product:\n";
  auto streams = store.ListStreams({.category = "product"});
  if (!streams.ok()) return Fail(streams.status());
  for (const StreamInfo& s : *streams) {
    Product p = Fold(store, s.name);
    std::cout << "    " << s.name << " (" << p.name << "): version " << s.version.value() << ", "
              << p.quantity << " available\n";
  }
  std::cout << "  the global log, in commit order:\n";
  auto read = store.ReadAll({.category = "product"});
  if (!read.ok()) return Fail(read.status());
  std::unique_ptr<EventIterator> all = std::move(read).value();
  for (; all->Valid(); all->Next()) {
    const RecordedEvent& e = all->event();
    std::cout << "    " << e.position.value() << "  " << e.stream << " v" << e.version.value()
              << "  " << e.type << " " << e.data << "\n";
  }
  if (!all->status().ok()) return Fail(all->status());
  all.reset();  // iterators go before the store

  std::cout << "\n6. The change feed, a view and a snapshot\n";
  auto feed =
      store.OpenFeed({.start = FeedStart::After(Position(4)), .event_type = "ProductReserved"});
  if (!feed.ok()) return Fail(feed.status());
  FeedBatch batch;
  if (Status s = (*feed)->Next(std::chrono::seconds(1), &batch); !s.ok()) return Fail(s);
  std::cout << "  feed after position 4, type ProductReserved: " << batch.events.size()
            << " events, the first by "
            << nlohmann::json::parse(batch.events.at(0).data).value("by", "") << "\n";
  auto view = store.OpenView({.name = "availability", .feed = {.category = "product"}},
                             [&store](const std::vector<OwnedEvent>& events, ViewWriter& out) {
                               for (const OwnedEvent& e : events)
                                 out.Put(e.stream, std::to_string(Fold(store, e.stream).quantity));
                               return Status::OK();
                             });
  if (!view.ok()) return Fail(view.status());
  if (Status s = (*view)->WaitFor(store.LastPosition(), std::chrono::seconds(10)); !s.ok()) {
    return Fail(s);
  }
  auto rows = (*view)->Scan("product-");
  if (!rows.ok()) return Fail(rows.status());
  for (const auto& [key, value] : *rows) {
    std::cout << "  view availability: " << key << " -> " << value << "\n";
  }
  Product widget = Fold(store, "product-1");
  if (Status s = store.SaveSnapshot(
          "product-1", widget.version,
          nlohmann::json{{"name", widget.name}, {"quantity", widget.quantity}}.dump());
      !s.ok()) {
    return Fail(s);
  }
  auto one_more = store.Append("product-1", ExpectedVersion::Exact(widget.version),
                               {Event("ProductRestocked", {{"quantity", 1}})});
  if (!one_more.ok()) return Fail(one_more.status());
  auto snapshot = store.LoadSnapshot("product-1");
  if (!snapshot.ok() || !snapshot->has_value()) return Fail(Status::Aborted("no snapshot"));
  auto tail = store.ReadStream("product-1", {.from = Version((*snapshot)->version.value() + 1)});
  if (!tail.ok()) return Fail(tail.status());
  size_t tail_events = 0;
  for (auto& it = *tail; it->Valid(); it->Next()) ++tail_events;
  std::cout << "  snapshot of product-1 at version " << (*snapshot)->version.value() << ": "
            << (*snapshot)->state << "; loading it now reads " << tail_events
            << " event after it instead of " << one_more->streams[0].last_version.value() << "\n";
  tail = Status::OK();  // iterators and views go before the store
  view = Status::OK();
  feed = Status::OK();

  std::cout << "\nDone: every position 1.." << store.LastPosition().value()
            << " once, versions contiguous per stream, no reservation lost or doubled.\n";
  return kExitOk;
}

}  // namespace evlog::cli
