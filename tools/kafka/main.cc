// evlog-kafka: streams a store's change feed to a Kafka topic. Parses flags,
// opens the source, runs the Connector until SIGINT/SIGTERM or a fatal
// error — nothing else.

#include <CLI/CLI.hpp>
#include <atomic>
#include <cctype>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_error.h"
#include "command_line/address.h"
#include "command_line/parse.h"
#include "evlog/store.h"
#include "kafka/connector.h"
#include "kafka/source.h"
#ifndef EVLOG_KAFKA_NO_REMOTE
#include "kafka/source_remote.h"
#endif

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
  std::string db_dir, connect, token_file, checkpoint_file, brokers, topic, category, subscription;
  std::vector<std::string> properties;
  size_t batch = 100;
  bool system = false;
  app.add_option("--db", db_dir, "Store directory");
  app.add_option("--connect", connect, "HOST:PORT of an evlogd instead of --db");
  app.add_option("--token-file", token_file, "File holding evlogd's token (with --connect)");
  app.add_option("--checkpoint-file", checkpoint_file,
                 "With --connect: keep the checkpoint in this file instead of in evlogd's store");
  app.add_option("--brokers", brokers, "Kafka bootstrap servers, host:port[,host:port...]")
      ->required();
  app.add_option("--topic", topic, "Kafka topic")->required();
  app.add_option("--category", category, "Only streams <category>-*");
  app.add_flag("--system", system, "Also system streams ($meta-*, $parked-*), hidden by default");
  app.add_option("--subscription", subscription,
                 "Durable subscription name (default kafka-<topic>)");
  app.add_option("--batch", batch, "Most events per batch (default 100)")
      ->check(CLI::Range(size_t{1}, size_t{100000}));
  app.add_option("-X,--kafka-config", properties, "librdkafka property key=value (repeatable)");
  if (std::optional<int> exit = command_line::ParseCommandLine(
          app, argc, argv,
          [](const CLI::App&, const CLI::ParseError& e) { return cli::ReportUsage(e.what()); })) {
    return *exit;
  }
  if (db_dir.empty() == connect.empty()) {
    return cli::ReportUsage("exactly one of --db DIR and --connect HOST:PORT is required");
  }
#ifndef EVLOG_KAFKA_NO_REMOTE
  ClientOptions client{.client_name = "evlog-kafka"};
#endif
  if (!connect.empty()) {
#ifdef EVLOG_KAFKA_NO_REMOTE
    return cli::ReportUsage("this evlog-kafka was built without the client: use --db");
#else
    auto address = command_line::ParseHostPort(connect, "--connect");
    if (!address.ok()) return cli::ReportUsage(address.status().message());
    client.host = address->host;
    client.port = address->port;
    if (!subscription.empty() && !checkpoint_file.empty()) {
      return cli::ReportUsage(
          "--subscription names the checkpoint evlogd keeps; with --checkpoint-file the "
          "checkpoint is in that file: give one of them");
    }
    if (!token_file.empty()) {
      auto token = command_line::ReadTokenFile(token_file);
      if (!token.ok()) return cli::ReportUsage(token.status().message());
      client.token = std::move(token).value();
    }
#endif
  } else if (!token_file.empty() || !checkpoint_file.empty()) {
    return cli::ReportUsage("--token-file and --checkpoint-file go with --connect");
  }
  kafka::ConnectorOptions options{.producer = {.brokers = brokers, .topic = topic, .log = Log}};
  for (const std::string& p : properties) {
    std::pair<std::string, std::string> kv;
    if (!SplitProperty(p, &kv)) {
      return cli::ReportUsage("--kafka-config wants key=value, not '" + p + "'");
    }
    options.producer.config.push_back(std::move(kv));
  }
  if (subscription.empty() && checkpoint_file.empty()) subscription = "kafka-" + topic;

  std::unique_ptr<Store> store;
  std::unique_ptr<kafka::Source> source;
  const kafka::SourceOptions source_options{
      .subscription = subscription,
      .category = category,
      .include_system = system,
      .batch_events = batch};
  if (connect.empty()) {
    Result<std::unique_ptr<Store>> opened = Store::Open({.create_if_missing = false}, db_dir);
    if (!opened.ok()) return cli::ReportError(opened.status());
    store = std::move(*opened);
    source = std::make_unique<kafka::EmbeddedSource>(*store, source_options);
  } else {
#ifndef EVLOG_KAFKA_NO_REMOTE
    source = std::make_unique<kafka::RemoteSource>(client, checkpoint_file, source_options);
#endif
  }
  Result<std::unique_ptr<kafka::Connector>> connector =
      kafka::Connector::Create(std::move(options), *source);
  if (!connector.ok()) return cli::ReportError(connector.status());
#ifndef EVLOG_KAFKA_NO_REMOTE
  if (!connect.empty() && !checkpoint_file.empty()) {
    // A bad checkpoint file is the caller's to fix, not the daemon's.
    if (Result<Position> p = kafka::RemoteSource::ReadCheckpoint(checkpoint_file); !p.ok()) {
      return cli::ReportError(p.status());
    }
  }
#endif
  if (Status s = (*connector)->Start(); !s.ok()) {
    // As with `evlog --connect`: a daemon that cannot be reached or refuses
    // the session is exit 7, and nothing was done.
    const int code = cli::ReportError(s);
    return connect.empty() ? code : cli::kExitUnreachable;
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  Log("streaming to topic " + topic + (connect.empty() ? "" : " from " + connect) +
      (subscription.empty() ? "" : " as subscription " + subscription));
  Status s = (*connector)->Run(g_stop);
  const uint64_t events = (*connector)->delivered_events();
  connector->reset();
  Log("stopped at checkpoint " + std::to_string(source->checkpoint().value()) + " after " +
      std::to_string(events) + " events");
  if (!s.ok()) return cli::ReportError(s);
  return cli::kExitOk;
}
