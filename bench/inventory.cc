#include "inventory.h"

#include <algorithm>
#include <charconv>

namespace evlog::bench {

std::string ProductName(uint64_t n) { return "product-" + std::to_string(n); }

int64_t InventoryHistory(int64_t events) { return std::clamp<int64_t>(events / 1000, 8, 200); }

std::string EncodeStock(const Stock& stock) { return std::to_string(stock.available); }

std::optional<Stock> DecodeStock(std::string_view bytes) {
  Stock stock;
  const auto [end, error] =
      std::from_chars(bytes.data(), bytes.data() + bytes.size(), stock.available);
  if (error != std::errc() || end != bytes.data() + bytes.size()) return std::nullopt;
  return stock;
}

}  // namespace evlog::bench
