// The core verbs: append, read, read-all, streams, stats. Every input event
// is parsed and checked before the store is opened, so bad input writes
// nothing (--each excepted: there each line is its own append).

#include "cli/commands.h"

#include <iostream>
#include <map>
#include <vector>

#include "cli/cli_error.h"
#include "cli/metrics_json.h"
#include "evlog/store.h"
#include "json/decimal.h"
#include "json/event_json.h"
#include "json/query_json.h"
#include "json/spellings.h"

namespace evlog::cli {

using json::AppendResultToJson;
using json::Dump;
using json::EventFromArgs;
using json::EventFromLine;
using json::EventText;
using json::Json;
using json::OneLine;

bool ParseUint(const std::string& text, uint64_t* out) {
  Result<uint64_t> value = json::ParseUnsigned(text, "");
  if (!value.ok()) return false;
  *out = *value;
  return true;
}

namespace {

void PrintResult(const AppendResult& result) {
  for (const StreamAppendResult& r : result.streams) {
    std::cout << Dump(AppendResultToJson(r, result.deduplicated)) << '\n';
  }
  std::cout.flush();
}

bool IsBlank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

// Checks the flags of `append` against each other; kExitOk or the usage
// error's exit code.
int CheckAppendArgs(const AppendArgs& args, ExpectedVersion* expected, AppendRequest* request) {
  if (args.expect) {
    Result<ExpectedVersion> parsed = json::ParseExpectedVersion(*args.expect, "--expect");
    if (!parsed.ok()) return ReportUsage(parsed.status().message());
    *expected = *parsed;
  }
  Result<Durability> parsed = json::ParseDurability(args.durability, "--durability");
  if (!parsed.ok()) return ReportUsage(parsed.status().message());
  request->durability = *parsed;
  Result<DuplicatePolicy> policy = json::ParseDuplicatePolicy(args.duplicates, "--duplicates");
  if (!policy.ok()) return ReportUsage(policy.status().message());
  request->duplicates = *policy;
  const bool conditional =
      args.fail_if || !args.fail_if_types.empty() || !args.fail_if_categories.empty();
  if (args.each && (args.type || args.expect || conditional)) {
    return ReportUsage(
        "--each reads events from stdin; it takes neither --type, --expect nor a --fail-if flag");
  }
  if (args.stream.empty()) {
    if (args.type || args.expect || args.each) {
      return ReportUsage(
          "without STREAM, each stdin line names its \"stream\"; give expected versions with "
          "--expect-stream STREAM=EXPECTED (no --type, --expect or --each)");
    }
  } else if (!args.expect_streams.empty()) {
    return ReportUsage("--expect-stream is for a multi-stream append (no STREAM); use --expect");
  }
  if (!args.tags.empty() && !args.type) {
    return ReportUsage("--tag goes with --type and --data; on stdin use the \"tags\" field");
  }
  if (args.after && !conditional) {
    return ReportUsage("--after goes with --fail-if, --fail-if-type or --fail-if-category");
  }
  if (conditional) {
    AppendCondition condition{.event_types = args.fail_if_types,
                              .categories = args.fail_if_categories,
                              .after = Position(args.after.value_or(0))};
    if (args.fail_if) {
      Query query;
      if (Status s = json::QueryFromJson(*args.fail_if, &query); !s.ok()) {
        return ReportUsage("--fail-if: " + std::string(s.message()));
      }
      condition.fail_if_events_match = std::move(query);
    }
    request->condition = std::move(condition);
  }
  if (args.type.has_value() != args.data.has_value()) {
    return ReportUsage("--type and --data go together");
  }
  if (!args.type && (!args.metadata.empty() || !args.id.empty())) {
    return ReportUsage("--metadata and --id need --type and --data; on stdin use the fields");
  }
  if (!args.id.empty() && !Uuid::Parse(args.id)) {
    return ReportUsage("--id must be a UUID (8-4-4-4-12 hex digits), not '" + args.id + "'");
  }
  return kExitOk;
}

// --each: every line is its own append, made and printed before the next
// line is read, so a pipe sees each result as soon as it is acknowledged.
// A bad line stops the run; the lines before it stay written.
int AppendEach(EventStore& store, const std::string& stream, const AppendRequest& shape,
               std::istream& in) {
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (IsBlank(line)) continue;
    EventData e;
    if (Status s = EventFromLine(line, n, &e); !s.ok()) return ReportError(s);
    AppendRequest request{.streams = {{stream, ExpectedVersion::Any(), {std::move(e)}}},
                          .durability = shape.durability,
                          .duplicates = shape.duplicates};
    auto r = store.Append(std::move(request));
    if (!r.ok()) return ReportError(r.status());
    PrintResult(*r);
  }
  return kExitOk;
}

// A multi-stream append's input: stdin lines that each name their
// "stream", grouped by stream in the order streams first appear (each
// stream's events in line order), with each stream's expected version from
// `expect_streams` ("STREAM=EXPECTED"; Any when not given).
int ReadStreamLines(const std::vector<std::string>& expect_streams, std::istream& in,
                    AppendRequest* request) {
  std::map<std::string, ExpectedVersion, std::less<>> expected;
  for (const std::string& pair : expect_streams) {
    const size_t eq = pair.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      return ReportUsage("--expect-stream must be STREAM=EXPECTED, not '" + pair + "'");
    }
    Result<ExpectedVersion> e =
        json::ParseExpectedVersion(std::string_view(pair).substr(eq + 1), "--expect-stream");
    if (!e.ok()) return ReportUsage(e.status().message());
    if (!expected.emplace(pair.substr(0, eq), *e).second) {
      return ReportUsage("--expect-stream names '" + pair.substr(0, eq) + "' twice");
    }
  }
  std::map<std::string, size_t, std::less<>> index;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (IsBlank(line)) continue;
    EventData e;
    std::string stream;
    if (Status s = EventFromLine(line, n, &e, &stream); !s.ok()) return ReportError(s);
    auto [it, added] = index.emplace(stream, request->streams.size());
    if (added) request->streams.push_back({stream, ExpectedVersion::Any(), {}});
    request->streams[it->second].events.push_back(std::move(e));
  }
  if (request->streams.empty()) {
    return ReportUsage("no events: give JSON lines on stdin, each with its \"stream\"");
  }
  for (const auto& [stream, e] : expected) {
    auto it = index.find(stream);
    if (it == index.end()) {
      return ReportUsage("--expect-stream names '" + stream + "', which no stdin line appends to");
    }
    request->streams[it->second].expected = e;
  }
  return kExitOk;
}

int Commit(const Target& target, AppendRequest request) {
  return WithStore(target, OpenMode::kCreate, [&](EventStore& store) {
    auto r = store.Append(std::move(request));
    if (!r.ok()) return ReportError(r.status());
    PrintResult(*r);
    return kExitOk;
  });
}

}  // namespace

int ReportOpenError(const Target& target, const Status& status) {
  const int code = ReportError(status);
  return target.remote() ? kExitUnreachable : code;
}

Status PrintEvent(const RecordedEvent& event) {
  if (Status s = json::CheckRenderable(event); !s.ok()) return s;
  std::cout << OneLine(EventText(event)) << '\n';
  return Status::OK();
}

int FinishEvents(const Status& status) {
  std::cout.flush();
  if (!status.ok()) return ReportError(status);
  return kExitOk;
}

int PrintEvents(Result<std::unique_ptr<EventIterator>> read) {
  if (!read.ok()) return FinishEvents(read.status());
  EventIterator& it = **read;
  for (; it.Valid(); it.Next()) {
    if (Status s = PrintEvent(it.event()); !s.ok()) return FinishEvents(s);
  }
  return FinishEvents(it.status());
}

int RunAppend(const Target& target, const AppendArgs& args, std::istream& in) {
  ExpectedVersion expected = ExpectedVersion::Any();
  AppendRequest request;
  if (int code = CheckAppendArgs(args, &expected, &request); code != kExitOk) return code;
  if (args.each) {
    auto store = OpenStore(target, OpenMode::kCreate);
    if (!store.ok()) return ReportOpenError(target, store.status());
    return AppendEach(**store, args.stream, request, in);
  }

  if (args.stream.empty()) {
    if (int code = ReadStreamLines(args.expect_streams, in, &request); code != kExitOk) {
      return code;
    }
    return Commit(target, std::move(request));
  }
  // Parse every input event before touching the store: bad input writes nothing.
  std::vector<EventData> events;
  if (args.type) {
    EventData e;
    if (Status s = EventFromArgs(*args.type, *args.data, args.metadata, args.id, &e); !s.ok()) {
      return ReportError(s);
    }
    e.tags = args.tags;
    events.push_back(std::move(e));
  } else {
    std::string line;
    for (size_t n = 1; std::getline(in, line); ++n) {
      if (IsBlank(line)) continue;
      EventData e;
      if (Status s = EventFromLine(line, n, &e); !s.ok()) return ReportError(s);
      events.push_back(std::move(e));
    }
    if (events.empty()) {
      return ReportUsage("no events: give --type and --data, or JSON lines on stdin");
    }
  }

  request.streams.push_back({args.stream, expected, std::move(events)});
  return Commit(target, std::move(request));
}

int RunQuery(const Target& target, const QueryArgs& args) {
  Query query;
  if (args.query) {
    if (!args.types.empty() || !args.tags.empty()) {
      return ReportUsage("--query gives the whole query; it takes neither --type nor --tag");
    }
    if (Status s = json::QueryFromJson(*args.query, &query); !s.ok()) {
      return ReportUsage("--query: " + std::string(s.message()));
    }
  } else {
    query.items.push_back(QueryItem{.types = args.types, .tags = args.tags});
  }
  QueryOptions options;
  if (args.from) options.from = Position(*args.from);
  if (args.count) options.max_count = *args.count;
  options.direction = args.backward ? Direction::kBackward : Direction::kForward;
  return WithStore(target, OpenMode::kRead, [&](EventStore& store) {
    Result<QueryResult> result = store.Read(query, options);
    if (!result.ok()) return FinishEvents(result.status());
    for (const OwnedEvent& e : result->events) {
      if (Status s = PrintEvent(e.view()); !s.ok()) return FinishEvents(s);
    }
    json::ObjectText head;
    head.Number("head", result->head.value());
    std::cout << head.Finish() << '\n';
    return FinishEvents(Status::OK());
  });
}

int RunRead(const Target& target, const ReadArgs& args) {
  return WithStore(target, OpenMode::kRead, [&](EventStore& store) {
    ReadStreamOptions options;
    if (args.from) options.from = Version(*args.from);
    if (args.count) options.max_count = *args.count;
    options.direction = args.backward ? Direction::kBackward : Direction::kForward;
    return PrintEvents(store.ReadStream(args.stream, options));
  });
}

int RunReadAll(const Target& target, const ReadAllArgs& args) {
  if (!args.category.empty() && !args.type.empty()) {
    return ReportUsage("read-all takes --category or --type, not both");
  }
  return WithStore(target, OpenMode::kRead, [&](EventStore& store) {
    ReadAllOptions options;
    if (args.from) options.from = Position(*args.from);
    if (args.count) options.max_count = *args.count;
    options.category = args.category;
    options.event_type = args.type;
    options.include_system = args.system;
    return PrintEvents(store.ReadAll(options));
  });
}

int RunStreams(const Target& target, const std::string& category, bool system) {
  return PrintLines(
      target,
      [&](EventStore& store) {
        return store.ListStreams({.category = category, .include_system = system});
      },
      [](const StreamInfo& s) {
        Json j;
        j["stream"] = s.name;
        j["version"] = s.version.value();
        return j;
      });
}

int RunStats(const Target& target) {
  return WithStore(target, OpenMode::kRead, [&](EventStore& store) {
    auto stats = store.Stats();
    if (!stats.ok()) return ReportError(stats.status());
    auto metrics = store.Metrics();
    if (!metrics.ok()) return ReportError(metrics.status());
    const Json j = {{"events", stats->appended},
                    {"streams", stats->streams},
                    {"last_position", stats->last_position.value()},
                    {"disk_bytes", stats->disk_bytes},
                    {"metrics", MetricsToJson(*metrics)}};
    std::cout << Dump(j) << std::endl;
    return kExitOk;
  });
}

int RunCompact(const Target& target) {
  return WithStore(target, OpenMode::kWrite, [&](EventStore& store) {
    if (Status s = store.Compact(); !s.ok()) return ReportError(s);
    auto stats = store.Stats();
    if (!stats.ok()) return ReportError(stats.status());
    Json j;
    j["compacted"] = true;
    j["disk_bytes"] = stats->disk_bytes;
    std::cout << Dump(j) << std::endl;
    return kExitOk;
  });
}

int RunVerify(const Target& target) {
  return WithStore(target, OpenMode::kRead, [&](EventStore& store) {
    auto report = store.Verify();
    if (!report.ok()) return ReportError(report.status());
    Json j = {{"ok", report->ok()},
              {"events", report->events},
              {"streams", report->streams},
              {"last_position", report->last_position.value()},
              {"reclaimed", report->reclaimed},
              {"index_entries", report->index_entries}};
    if (!report->ok()) {
      j["problem_count"] = report->problem_count;
      j["problems"] = report->problems;
    }
    std::cout << Dump(j) << std::endl;
    return report->ok() ? kExitOk : kExitCorrupt;
  });
}

}  // namespace evlog::cli
