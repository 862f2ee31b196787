// A definition is written once and never changed in place: creating it
// again must say the same thing, so every process that consumes it agrees
// on its filter and limits.

#include "hosted_spec.h"

#include <nlohmann/json.hpp>

#include "change_feed.h"
#include "checkpoint.h"
#include "keys.h"
#include "postings.h"

namespace evlog::hosted {

namespace {

constexpr uint64_t kNone = ~uint64_t{0};

// How a stored definition spells a start's kind, read and written: "start"
// names the row, "start_position" is its position (0 for oldest and latest).
struct StartSpelling {
  FeedStart::Kind kind;
  std::string_view name;
  FeedStart (*make)(Position);
};
constexpr StartSpelling kStarts[] = {
    {FeedStart::Kind::kOldest, "oldest", [](Position) { return FeedStart::Oldest(); }},
    {FeedStart::Kind::kLatest, "latest", [](Position) { return FeedStart::Latest(); }},
    {FeedStart::Kind::kAt, "at", FeedStart::At},
    {FeedStart::Kind::kAfter, "after", FeedStart::After},
};

std::string_view StartName(FeedStart::Kind kind) {
  for (const StartSpelling& s : kStarts) {
    if (s.kind == kind) return s.name;
  }
  return "oldest";
}

// The start `name` spells at `position`; nullopt for an unknown name.
std::optional<FeedStart> StartNamed(std::string_view name, Position position) {
  for (const StartSpelling& s : kStarts) {
    if (s.name == name) return s.make(position);
  }
  return std::nullopt;
}

}  // namespace

Status Validate(const HostedSubscriptionSpec& spec) {
  if (Status s = checkpoint::ValidateName("subscription", spec.name); !s.ok()) return s;
  if (spec.max_attempts == 0) return Status::InvalidArgument("max_attempts must be >= 1");
  if (spec.max_in_flight == 0) return Status::InvalidArgument("max_in_flight must be >= 1");
  if (spec.ack_timeout.count() <= 0) return Status::InvalidArgument("ack_timeout must be > 0");
  if (spec.initial_backoff.count() < 0 || spec.max_backoff < spec.initial_backoff) {
    return Status::InvalidArgument("backoff must satisfy 0 <= initial_backoff <= max_backoff");
  }
  if (spec.category.find('\0') != std::string::npos ||
      spec.event_type.find('\0') != std::string::npos) {
    return Status::InvalidArgument("a category or type filter cannot contain NUL");
  }
  return Status::OK();
}

std::string Encode(const HostedSubscriptionSpec& spec) {
  nlohmann::ordered_json j = {{"category", spec.category},
                              {"event_type", spec.event_type},
                              {"stream_prefix", spec.stream_prefix},
                              {"start", StartName(spec.start.kind())},
                              {"start_position", spec.start.position().value()},
                              {"max_attempts", spec.max_attempts},
                              {"ack_timeout_ms", spec.ack_timeout.count()},
                              {"initial_backoff_ms", spec.initial_backoff.count()},
                              {"max_backoff_ms", spec.max_backoff.count()},
                              {"max_in_flight", spec.max_in_flight}};
  // Filters were checked as UTF-8 where they came from; replace keeps the
  // dump from throwing whatever the caller passed.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<HostedSubscriptionSpec> Decode(std::string_view name, std::string_view value) {
  const nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  auto bad = [&] {
    return Status::Corruption("malformed definition of hosted subscription '" +
                              std::string(name) + "'");
  };
  if (!j.is_object()) return bad();
  auto str = [&](const char* key, std::string* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  auto num = [&](const char* key, uint64_t* out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return false;
    *out = it->get<uint64_t>();
    return true;
  };
  HostedSubscriptionSpec spec{.name = std::string(name)};
  std::string start;
  uint64_t start_position = 0, attempts = 0, timeout = 0, initial = 0, max = 0, window = 0;
  if (!str("category", &spec.category) || !str("event_type", &spec.event_type) ||
      !str("stream_prefix", &spec.stream_prefix) || !str("start", &start) ||
      !num("start_position", &start_position) || !num("max_attempts", &attempts) ||
      !num("ack_timeout_ms", &timeout) || !num("initial_backoff_ms", &initial) ||
      !num("max_backoff_ms", &max) || !num("max_in_flight", &window) || attempts > UINT32_MAX ||
      window > UINT32_MAX || timeout > INT32_MAX || initial > INT32_MAX || max > INT32_MAX) {
    return bad();
  }
  std::optional<FeedStart> feed_start = StartNamed(start, Position(start_position));
  if (!feed_start) return bad();
  spec.start = *feed_start;
  spec.max_attempts = static_cast<uint32_t>(attempts);
  spec.max_in_flight = static_cast<uint32_t>(window);
  spec.ack_timeout = std::chrono::milliseconds(timeout);
  spec.initial_backoff = std::chrono::milliseconds(initial);
  spec.max_backoff = std::chrono::milliseconds(max);
  return spec;
}

Result<std::optional<HostedSubscriptionSpec>> Load(const Db& db, std::string_view name) {
  if (Status s = checkpoint::ValidateName("subscription", name); !s.ok()) return s;
  auto value = checkpoint::GetValue(db, keys::HostedKey(name));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<HostedSubscriptionSpec>();
  auto spec = Decode(name, **value);
  if (!spec.ok()) return spec.status();
  return std::optional<HostedSubscriptionSpec>(std::move(spec).value());
}

Result<bool> Create(Db* db, const Options& store_options, const HostedSubscriptionSpec& spec) {
  (void)store_options;
  if (Status s = Validate(spec); !s.ok()) return s;
  auto existing = Load(*db, spec.name);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    if (**existing == spec) return false;
    return Status::InvalidArgument("subscription '" + spec.name +
                                   "' already exists with another definition");
  }
  uint64_t progress = 0;
  const std::string progress_key = keys::ProgressKey(spec.name, 1, 0);
  if (Status s = checkpoint::Get(*db, progress_key, kNone, &progress); !s.ok()) return s;
  if (progress != kNone) {
    return Status::InvalidArgument("subscription '" + spec.name +
                                   "' already exists (a checkpoint of that name is stored)");
  }
  uint64_t first = 0;
  const uint64_t p = spec.start.position().value();
  switch (spec.start.kind()) {
    case FeedStart::Kind::kOldest:
      break;
    case FeedStart::Kind::kLatest:
      first = db->commits->committed();
      break;
    case FeedStart::Kind::kAt:
      first = std::min(p > 0 ? p - 1 : 0, db->commits->committed());
      break;
    case FeedStart::Kind::kAfter:
      first = std::min(p, db->commits->committed());
      break;
  }
  // Definition and checkpoint in one batch: a crash leaves both or neither.
  rocksdb::WriteBatch batch;
  const std::string hosted_key = keys::HostedKey(spec.name);
  const std::string value = Encode(spec);
  const std::string position = keys::CheckpointValue(first);
  rocksdb::Status s = batch.Put(db->cf(Db::kCheckpoints), hosted_key, value);
  if (s.ok()) s = batch.Put(db->cf(Db::kCheckpoints), progress_key, position);
  if (s.ok()) s = db->db->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) return FromRocks(s);
  return true;
}

Status Delete(const Db& db, std::string_view name) {
  auto existing = Load(db, name);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) {
    return Status::NotFound("no hosted subscription '" + std::string(name) + "'");
  }
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* cf = db.cf(Db::kCheckpoints);
  rocksdb::Status s = batch.Delete(cf, keys::HostedKey(name));
  if (s.ok()) s = batch.Delete(cf, keys::ProgressKey(name, 1, 0));
  if (s.ok()) s = batch.Delete(cf, keys::ReplayToKey(name));
  if (s.ok()) s = batch.Delete(cf, keys::ReplayedKey(name));
  if (s.ok()) s = batch.Delete(cf, keys::HandledKey(name));
  if (s.ok()) s = batch.Delete(cf, keys::AttemptsKey(name));
  if (s.ok()) s = db.db->Write(rocksdb::WriteOptions(), &batch);
  return FromRocks(s);
}

Result<uint64_t> Lag(Db* db, const Options& store_options, const HostedSubscriptionSpec& spec,
                     Position checkpoint) {
  const uint64_t last = db->commits->committed();
  if (checkpoint.value() >= last) return uint64_t{0};
  // No filter: every event counts (system ones too, as for any subscription).
  const bool category = !spec.category.empty(), type = !spec.event_type.empty(),
             prefix = !spec.stream_prefix.empty();
  if (!category && !type && !prefix) return last - checkpoint.value();
  if (category && !type && !prefix) {
    return CountPostings(*db, Db::kByCategory, spec.category, checkpoint.value(), last);
  }
  if (type && !category && !prefix) {
    return CountPostings(*db, Db::kByType, spec.event_type, checkpoint.value(), last);
  }
  ChangeFeedOptions options{.start = FeedStart::After(checkpoint),
                            .category = spec.category,
                            .stream_prefix = spec.stream_prefix,
                            .event_type = spec.event_type,
                            .include_system = false,
                            .max_batch_events = 1000};
  auto feed = OpenFeed(db, store_options, options, /*wake_on_poke=*/false, /*resume=*/true);
  if (!feed.ok()) return feed.status();
  uint64_t count = 0;
  FeedBatch batch;
  for (uint64_t at = checkpoint.value(); at < last;) {
    if (Status s = (*feed)->Next(std::chrono::milliseconds(0), &batch); !s.ok()) return s;
    for (const OwnedEvent& e : batch.events) count += e.position.value() <= last ? 1 : 0;
    if (batch.position.value() <= at) break;  // nothing more readable
    at = batch.position.value();
  }
  return count;
}

}  // namespace evlog::hosted
