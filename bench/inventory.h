// A1's domain: the seeds' inventory. A product's stock is folded from its
// stream "product-<n>": ProductRestocked adds kRestockUnits, ProductReserved
// takes one. A reserve with nothing available is refused and writes nothing.
// Every event carries the standard 128-byte payload (bench_util.h); the fold
// reads only the type, so the systems compare on loading and committing, not
// on parsing.
//
// Each system's clerk (Target::OpenClerk) runs one command: load the
// product, decide with DecideCommand, commit at the loaded version, and on a
// conflict load and decide again.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evlog::bench {

// A1's shape: 8 command threads over 1,000 products, a snapshot every 100
// events of a product (where the system has snapshots).
inline constexpr int kCommandThreads = 8;
inline constexpr int kProducts = 1000;
inline constexpr uint64_t kSnapshotEvery = 100;

inline constexpr char kReserved[] = "ProductReserved";
inline constexpr char kRestocked[] = "ProductRestocked";
inline constexpr int64_t kRestockUnits = 3;

enum class InventoryCommand { kReserve, kRestock };

struct Stock {
  int64_t available = 0;
};

// "product-<n>".
std::string ProductName(uint64_t n);

// Folds one event of the product's stream into `stock`.
inline void ApplyStock(Stock& stock, std::string_view type) {
  stock.available += type == kRestocked ? kRestockUnits : -1;
}

// The event type `command` appends at `stock`; nullptr when it is refused
// (a reserve with nothing available).
inline const char* DecideCommand(const Stock& stock, InventoryCommand command) {
  if (command == InventoryCommand::kRestock) return kRestocked;
  return stock.available > 0 ? kReserved : nullptr;
}

// The command at `draw` (any random number): one in five restocks, so
// demand (0.8 units a command) outruns supply (0.6) and some reserves are
// refused.
inline InventoryCommand CommandFor(uint64_t draw) {
  return draw % 5 == 0 ? InventoryCommand::kRestock : InventoryCommand::kReserve;
}

// The type of the set-up's event `i` (from 0) of every product: two
// restocks and six reserves, repeated, so the stock never goes below zero
// and is back at 0 after each eight (and is not 0 at version 100, where a
// snapshot is taken).
inline const char* HistoryType(int64_t i) { return i % 8 < 2 ? kRestocked : kReserved; }

// The events each product has before A1's commands start, at scale
// `events`: up to 200, so that at --events 200000 each product is loaded
// from a snapshot and its tail.
int64_t InventoryHistory(int64_t events);

// A snapshot's bytes: the decimal stock.
std::string EncodeStock(const Stock& stock);
std::optional<Stock> DecodeStock(std::string_view bytes);

// What one command did.
struct CommandOutcome {
  bool committed = false;  // false: refused
  int64_t conflicts = 0;   // loads and decisions repeated after a conflict
};

// One command thread's access to a system: what a handler holds.
class InventoryClerk {
 public:
  virtual ~InventoryClerk() = default;

  // Loads product `product`, decides `command` and commits at the loaded
  // version, again after each conflict. Throws std::runtime_error on a
  // failed read or write.
  virtual CommandOutcome Handle(uint64_t product, InventoryCommand command) = 0;

  // The product's stream version and stock, as a command would load them.
  // Throws std::runtime_error on a failed read.
  virtual Stock Load(uint64_t product, uint64_t* version) = 0;
};

}  // namespace evlog::bench
