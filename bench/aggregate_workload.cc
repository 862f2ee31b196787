// A1: the threads share nothing but the target; each counts, per product,
// the restocks and reserves it committed, so that after the run every
// product's version and stock can be checked against what the store holds.

#include "aggregate_workload.h"

#include <chrono>
#include <exception>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace evlog::bench {
namespace {

using Clock = std::chrono::steady_clock;

// What one command thread did.
struct ThreadLog {
  std::vector<float> latency_us;
  std::vector<int64_t> restocked, reserved;  // committed, per product
  int64_t refused = 0, conflicts = 0;
};

// The stock after the set-up's `history` events.
Stock HistoryStock(int64_t history) {
  Stock stock;
  for (int64_t i = 0; i < history; ++i) ApplyStock(stock, HistoryType(i));
  return stock;
}

}  // namespace

Measurement AggregateCommands(Target& target, int64_t commands, int64_t history) {
  target.LoadInventory(kProducts, history);
  std::vector<std::unique_ptr<InventoryClerk>> clerks;
  for (int t = 0; t < kCommandThreads; ++t) clerks.push_back(target.OpenClerk());

  std::vector<ThreadLog> logs(kCommandThreads);
  std::exception_ptr failure;
  std::mutex failure_mu;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < kCommandThreads; ++t) {
    threads.emplace_back([&, t] {
      ThreadLog& log = logs[static_cast<size_t>(t)];
      log.restocked.assign(kProducts, 0);
      log.reserved.assign(kProducts, 0);
      log.latency_us.reserve(static_cast<size_t>(commands / kCommandThreads + 1));
      std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
      try {
        for (int64_t i = t; i < commands; i += kCommandThreads) {
          const uint64_t product = rng() % kProducts;
          const InventoryCommand command = CommandFor(rng());
          const auto begun = Clock::now();
          const CommandOutcome outcome = clerks[static_cast<size_t>(t)]->Handle(product, command);
          log.latency_us.push_back(
              std::chrono::duration<float, std::micro>(Clock::now() - begun).count());
          log.conflicts += outcome.conflicts;
          if (!outcome.committed) {
            ++log.refused;
          } else if (command == InventoryCommand::kRestock) {
            ++log.restocked[product];
          } else {
            ++log.reserved[product];
          }
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mu);
        if (!failure) failure = std::current_exception();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  Measurement m{.events = commands,
                .seconds = std::chrono::duration<double>(Clock::now() - start).count(),
                .conflicts = 0,
                .committed = 0,
                .refused = 0};
  if (failure) std::rethrow_exception(failure);

  std::vector<float> latency;
  for (const ThreadLog& log : logs) {
    latency.insert(latency.end(), log.latency_us.begin(), log.latency_us.end());
    m.conflicts += log.conflicts;
    m.refused += log.refused;
  }
  m.has_latency = true;
  m.p50_us = Percentile(latency, 0.50);
  m.p99_us = Percentile(latency, 0.99);
  m.p999_us = Percentile(latency, 0.999);

  // Each product as the store has it: its version counts the commands that
  // committed on it, its stock what they did.
  const Stock start_stock = HistoryStock(history);
  for (uint64_t p = 0; p < kProducts; ++p) {
    int64_t restocked = 0, reserved = 0;
    for (const ThreadLog& log : logs) {
      restocked += log.restocked[p];
      reserved += log.reserved[p];
    }
    uint64_t version = 0;
    const Stock stock = clerks.front()->Load(p, &version);
    const int64_t expected_stock = start_stock.available + restocked * kRestockUnits - reserved;
    if (version != static_cast<uint64_t>(history + restocked + reserved) ||
        stock.available != expected_stock || stock.available < 0) {
      throw std::runtime_error("A1: " + ProductName(p) + " at version " + std::to_string(version) +
                               " with " + std::to_string(stock.available) +
                               " available, expected " +
                               std::to_string(history + restocked + reserved) + " and " +
                               std::to_string(expected_stock));
    }
    m.committed += static_cast<int64_t>(version) - history;
  }
  if (m.committed + m.refused != commands) {
    throw std::runtime_error("A1: " + std::to_string(m.committed) + " committed and " +
                             std::to_string(m.refused) + " refused of " + std::to_string(commands) +
                             " commands");
  }
  return m;
}

}  // namespace evlog::bench
