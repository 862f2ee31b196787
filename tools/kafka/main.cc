// evlog-kafka: streams a store's change feed to a Kafka topic. Parses flags,
// opens the source, runs the Connector until SIGINT/SIGTERM or a fatal
// error — nothing else.

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_error.h"
#include "evlog/store.h"
#include "kafka/connector.h"
#include "kafka/source.h"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnSignal(int) { g_stop.store(true); }

// "key=value" from --kafka-config; false if there is no '=' or no key.
bool SplitProperty(const std::string& text, std::pair<std::string, std::string>* out) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  *out = {text.substr(0, eq), text.substr(eq + 1)};
  return true;
}

void Log(const std::string& line) { std::cerr << "evlog-kafka: " << line << std::endl; }

}  // namespace

int main(int argc, char** argv) {
  using namespace evlog;
  CLI::App app{"evlog-kafka: streams the change feed to Kafka, at least once (see README)."};
  std::string db_dir, connect, brokers, topic, category, subscription;
  std::vector<std::string> properties;
  size_t batch = 100;
  app.add_option("--db", db_dir, "Store directory");
  app.add_option("--connect", connect, "HOST:PORT of an evlogd instead of --db");
  app.add_option("--brokers", brokers, "Kafka bootstrap servers, host:port[,host:port...]")
      ->required();
  app.add_option("--topic", topic, "Kafka topic")->required();
  app.add_option("--category", category, "Only streams <category>-*");
  app.add_option("--subscription", subscription, "Durable subscription name (default kafka-<topic>)");
  app.add_option("--batch", batch, "Most events per batch (default 100)")
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  app.add_option("-X,--kafka-config", properties, "librdkafka property key=value (repeatable)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return cli::ReportUsage(e.what());
  }
  if (db_dir.empty() == connect.empty()) {
    return cli::ReportUsage("exactly one of --db DIR and --connect HOST:PORT is required");
  }
  if (!connect.empty()) {
    return cli::ReportError(Status::NotSupported(
        "not served remotely: evlogd has no operation to store a durable subscription's "
        "checkpoint yet; run evlog-kafka with --db on the store's host"));
  }
  kafka::ConnectorOptions options{.producer = {.brokers = brokers, .topic = topic, .log = Log}};
  for (const std::string& p : properties) {
    std::pair<std::string, std::string> kv;
    if (!SplitProperty(p, &kv)) return cli::ReportUsage("--kafka-config wants key=value, not '" + p + "'");
    options.producer.config.push_back(std::move(kv));
  }
  if (subscription.empty()) subscription = "kafka-" + topic;

  Result<std::unique_ptr<Store>> store = Store::Open({.create_if_missing = false}, db_dir);
  if (!store.ok()) return cli::ReportError(store.status());
  kafka::EmbeddedSource source(**store, {.subscription = subscription,
                                         .category = category,
                                         .batch_events = batch});
  Result<std::unique_ptr<kafka::Connector>> connector =
      kafka::Connector::Create(std::move(options), source);
  if (!connector.ok()) return cli::ReportError(connector.status());

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  Log("streaming to topic " + topic + " as subscription " + subscription);
  Status s = (*connector)->Run(g_stop);
  const uint64_t events = (*connector)->delivered_events();
  connector->reset();
  Log("stopped at checkpoint " + std::to_string(source.checkpoint().value()) + " after " +
      std::to_string(events) + " events");
  if (!s.ok()) return cli::ReportError(s);
  return cli::kExitOk;
}
