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

// Why a trim removed nothing, as the error `evlog trim` exits with
// (condition_failed, exit 3).
Status NothingTrimmed(const std::string& stream, uint64_t before, const TrimResult& r) {
  const std::string first = std::to_string(r.first_kept.value());
  const std::string prefix = "nothing trimmed from stream '" + stream + "': ";
  switch (r.limit) {
    case TrimLimit::kNoSnapshot:
      return Status::ConditionFailed(prefix + "no snapshot covers version " + first +
                                     " (trim keeps what the newest snapshot does not cover)");
    case TrimLimit::kSubscription:
      return Status::ConditionFailed(prefix + "held by " + r.held_by +
                                     ", which has not processed version " + first);
    case TrimLimit::kRetention:
      return Status::ConditionFailed(prefix + "version " + first +
                                     " is within the retention window");
    case TrimLimit::kNothingToTrim:
    case TrimLimit::kNone:
      break;
  }
  return Status::ConditionFailed(prefix + "nothing to trim: its first readable version is " +
                                 first + ", not below --before " + std::to_string(before));
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
    auto trimmed = store.Trim(stream, {.before = Version(before)});
    if (!trimmed.ok()) return ReportError(trimmed.status());
    // Removing nothing is a failure a script can branch on (exit 3).
    if (trimmed->removed == 0) return ReportError(NothingTrimmed(stream, before, *trimmed));
    Json j;
    j["stream"] = stream;
    j["truncate_before"] = trimmed->first_kept.value();
    j["removed"] = trimmed->removed;
    j["stopped_by"] = TrimLimitName(trimmed->limit);
    j["held_by"] = trimmed->held_by.empty() ? Json(nullptr) : Json(trimmed->held_by);
    std::cout << Dump(j) << std::endl;
    return kExitOk;
  });
}

int RunMetadata(const Target& target, const std::string& stream, const MetadataArgs& args) {
  auto clears = [&](std::string_view rule) {
    return std::find(args.clear.begin(), args.clear.end(), rule) != args.clear.end();
  };
  if ((args.max_count && clears("max-count")) || (args.max_age && clears("max-age")) ||
      (args.truncate_before && clears("truncate-before"))) {
    return ReportUsage("a rule cannot be both set and cleared");
  }
  if (clears("truncate-before")) {
    return ReportError(Status::InvalidArgument(
        "truncate_before only moves forward: it cannot be cleared (events it hid may be "
        "reclaimed already)"));
  }
  // As max_count 0, a max age of 0 would hide every event the moment it is
  // committed. The C++ API keeps 0 ("everything has expired") for tests.
  if (args.max_age && *args.max_age == 0) {
    return ReportError(Status::InvalidArgument(
        "max_age must be at least 1 second (0 would hide every event); to hide them all, "
        "delete the stream"));
  }
  const bool change = args.max_count || args.max_age || args.truncate_before || !args.clear.empty();
  if (args.force && !change) return ReportUsage("--force needs a change to the metadata");
  // Setting a rule before a stream's first event is legitimate (as in
  // KurrentDB), also before the store's: a change creates the store, as the
  // daemon's store always exists, so both forms agree.
  return WithStore(target, change ? OpenMode::kCreate : OpenMode::kRead, [&](EventStore& store) {
    auto metadata = store.GetStreamMetadata(stream);
    if (!metadata.ok()) return ReportError(metadata.status());
    if (change) {
      if (args.max_count) metadata->max_count = *args.max_count;
      if (args.max_age) metadata->max_age_seconds = *args.max_age;
      if (args.truncate_before) metadata->truncate_before = Version(*args.truncate_before);
      if (clears("max-count")) metadata->max_count.reset();
      if (clears("max-age")) metadata->max_age_seconds.reset();
      if (Status s = store.SetStreamMetadata(stream, *metadata, {.force = args.force}); !s.ok()) {
        return ReportError(s);
      }
      // What the store made of it (truncate_before may have moved up).
      metadata = store.GetStreamMetadata(stream);
      if (!metadata.ok()) return ReportError(metadata.status());
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
