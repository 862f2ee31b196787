// Stream lifecycle verbs: snapshot, trim, metadata, delete.

#include <iostream>

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "json/event_json.h"

namespace evlog::cli {

using json::Dump;
using json::FormatTime;
using json::Json;
using json::ObjectText;
using json::OneLine;

namespace {

Json MetadataToJson(const std::string& stream, const StreamMetadata& m) {
  Json j;
  j["stream"] = stream;
  j["max_count"] = m.max_count ? Json(*m.max_count) : Json(nullptr);
  j["max_age"] = m.max_age_seconds ? Json(*m.max_age_seconds) : Json(nullptr);
  j["truncate_before"] = m.truncate_before ? Json(m.truncate_before->value()) : Json(nullptr);
  j["deleted"] = m.hard_deleted ? Json("hard") : m.deleted ? Json("soft") : Json(nullptr);
  return j;
}

}  // namespace

int RunSnapshot(const Target& target, const std::string& stream) {
  return WithStore(target, OpenMode::kRead, [&](EventStore& store) {
    auto snapshot = store.LoadSnapshot(stream);
    if (!snapshot.ok()) return ReportError(snapshot.status());
    if (!snapshot->has_value()) {
      return ReportError(Status::NotFound("stream '" + stream + "' has no snapshot"));
    }
    ObjectText j;
    j.String("stream", stream)
        .Number("version", (*snapshot)->version.value())
        .String("time", FormatTime((*snapshot)->timestamp_us))
        .Value("state", (*snapshot)->state);
    std::cout << OneLine(j.Finish()) << std::endl;
    return kExitOk;
  });
}

int RunTrim(const Target& target, const std::string& stream, uint64_t before) {
  return WithStore(target, OpenMode::kWrite, [&](EventStore& store) {
    auto first = store.TrimStream(stream, {.before = Version(before)});
    if (!first.ok()) return ReportError(first.status());
    Json j;
    j["stream"] = stream;
    j["truncate_before"] = first->value();
    std::cout << Dump(j) << std::endl;
    return kExitOk;
  });
}

int RunMetadata(const Target& target, const std::string& stream, const MetadataArgs& args) {
  const bool change = args.max_count || args.max_age || args.truncate_before;
  return WithStore(target, change ? OpenMode::kWrite : OpenMode::kRead, [&](EventStore& store) {
    auto metadata = store.GetStreamMetadata(stream);
    if (!metadata.ok()) return ReportError(metadata.status());
    if (change) {
      if (args.max_count) metadata->max_count = *args.max_count;
      if (args.max_age) metadata->max_age_seconds = *args.max_age;
      if (args.truncate_before) metadata->truncate_before = Version(*args.truncate_before);
      if (Status s = store.SetStreamMetadata(stream, *metadata); !s.ok()) return ReportError(s);
    }
    std::cout << Dump(MetadataToJson(stream, *metadata)) << std::endl;
    return kExitOk;
  });
}

int RunDelete(const Target& target, const std::string& stream, bool hard) {
  return WithStore(target, OpenMode::kWrite, [&](EventStore& store) {
    if (Status s = store.DeleteStream(stream, hard); !s.ok()) return ReportError(s);
    Json j;
    j["stream"] = stream;
    j["deleted"] = hard ? "hard" : "soft";
    std::cout << Dump(j) << std::endl;
    return kExitOk;
  });
}

}  // namespace evlog::cli
