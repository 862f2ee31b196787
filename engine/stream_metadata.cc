#include "stream_metadata.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "clock.h"
#include "codec.h"
#include "json/json_text.h"
#include "keys.h"
#include "sequence.h"
#include "stream_chunks.h"
#include "trim.h"
#include "writer.h"

namespace evlog {

std::string MetaStream(std::string_view stream) {
  return std::string(kMetaPrefix) + std::string(stream);
}

std::string EncodeMetadata(const StreamMetadata& m) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (m.max_count) j["max_count"] = *m.max_count;
  if (m.max_age_seconds) j["max_age_seconds"] = *m.max_age_seconds;
  if (m.truncate_before) j["truncate_before"] = m.truncate_before->value();
  if (m.deleted) j["deleted"] = true;
  if (m.hard_deleted) j["hard_deleted"] = true;
  return j.dump();
}

Status DecodeMetadata(std::string_view text, StreamMetadata* out) {
  *out = StreamMetadata();
  // What EncodeMetadata writes is one flat object: nothing deeper is parsed.
  if (!json::Validate(text, 1).ok()) return Status::Corruption("unreadable stream metadata");
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("unreadable stream metadata");
  auto count = [&](const char* key) -> std::optional<uint64_t> {
    if (!j.contains(key)) return std::nullopt;
    if (!j[key].is_number_unsigned()) return std::nullopt;
    return j[key].get<uint64_t>();
  };
  out->max_count = count("max_count");
  out->max_age_seconds = count("max_age_seconds");
  if (auto tb = count("truncate_before")) out->truncate_before = Version(*tb);
  // Never j.value(): it throws on a field of another type.
  auto flag = [&](const char* key) {
    return j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
  };
  out->deleted = flag("deleted");
  out->hard_deleted = flag("hard_deleted");
  return Status::OK();
}

Status LoadMetadata(const Db& db, std::string_view stream, StreamMetadata* out) {
  *out = StreamMetadata();
  StreamHead meta;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), MetaStream(stream), &meta); !s.ok()) {
    return s;
  }
  if (meta.version.value() == 0) return Status::OK();
  // The newest metadata event: the last record of the chunk under the
  // head's key (format 2, §1.1).
  std::string value;
  if (Status s = ReadStreamEvent(db, rocksdb::ReadOptions(), meta.id, meta.version, &value);
      !s.ok()) {
    return s;
  }
  codec::AlignedBuffer scratch;
  RecordedEvent event;
  if (Status st = codec::DecodeEvent(value, &scratch, &event); !st.ok()) return st;
  return DecodeMetadata(event.data, out);
}

ReadBounds BoundsFor(const StreamMetadata& m, Version last, int64_t now_us) {
  ReadBounds b;
  b.min_version = Version(1);
  if (m.hard_deleted) {
    b.gone = true;
    return b;
  }
  if (m.truncate_before) b.min_version = std::max(b.min_version, *m.truncate_before);
  if (m.max_count) {
    uint64_t keep_from = last.value() >= *m.max_count ? last.value() - *m.max_count + 1 : 1;
    b.min_version = std::max(b.min_version, Version(keep_from));
  }
  if (m.max_age_seconds) {
    b.min_timestamp_us = now_us - static_cast<int64_t>(*m.max_age_seconds) * 1'000'000;
  }
  b.gone = m.deleted && b.min_version > last;
  return b;
}

bool StoreHasMetadata(const Db& db) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.db->NewIterator(rocksdb::ReadOptions(), db.cf(Db::kStreams)));
  it->Seek(rocksdb::Slice(kMetaPrefix.data(), kMetaPrefix.size()));
  return it->Valid() &&
         it->key().starts_with(rocksdb::Slice(kMetaPrefix.data(), kMetaPrefix.size()));
}

Status WriteMetadata(Db& db, Writer& writer, const Options& options, std::string_view stream,
                     const StreamMetadata& metadata, bool tombstone) {
  AppendRequest request;
  request.streams.push_back(
      StreamAppend{.stream = MetaStream(stream),
                   .events = {EventData{.type = std::string(kMetadataEventType),
                                        .data = EncodeMetadata(metadata),
                                        .content_type = ContentType::kJson}}});
  auto r = AppendAndWait(writer, options, std::move(request), /*system=*/true,
                         tombstone ? std::string(stream) : std::string());
  if (!r.ok()) return r.status();
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  // A stream without events yet (version 0) gets its rule too: the writer
  // raises it as the stream grows.
  db.truncations->Set(stream, RuleFor(metadata, head.version));
  return Status::OK();
}

namespace {

bool Hides(const ReadBounds& b, const RecordedEvent& e) {
  return e.version < b.min_version || e.timestamp_us < b.min_timestamp_us;
}

}  // namespace

Status SetStreamMetadata(Db& db, Writer& writer, const Options& options, std::string_view stream,
                         const StreamMetadata& metadata, const MetadataOptions& meta_options) {
  if (Status s = ValidateStreamName(stream, options.max_stream_name_bytes); !s.ok()) return s;
  const std::string name(stream);
  if (metadata.hard_deleted) {
    return Status::InvalidArgument("a hard delete is DeleteStream(stream, /*hard=*/true)");
  }
  if (metadata.max_count && *metadata.max_count == 0) {
    return Status::InvalidArgument(
        "max_count must be at least 1 (0 would hide every event); to hide them all, delete "
        "the stream");
  }
  StreamMetadata current;
  if (Status s = LoadMetadata(db, stream, &current); !s.ok()) return s;
  if (current.hard_deleted) {
    return Status::StreamDeleted("stream '" + name + "' is hard-deleted");
  }
  if (metadata.truncate_before && current.truncate_before &&
      *metadata.truncate_before < *current.truncate_before) {
    return Status::InvalidArgument("truncate_before only moves forward: stream '" + name +
                                   "' is truncated before version " +
                                   std::to_string(current.truncate_before->value()) + ", not " +
                                   std::to_string(metadata.truncate_before->value()));
  }
  StreamMetadata next = metadata;
  next.truncate_before = std::max(metadata.truncate_before.value_or(Version(0)),
                                  current.truncate_before.value_or(Version(0)));
  StreamHead head;
  if (Status s = LoadStreamHead(db, rocksdb::ReadOptions(), stream, &head); !s.ok()) return s;
  if (head.version.value() != 0) {
    // What the current rules hide stays hidden, whether or not compaction
    // has reclaimed it yet: truncate_before moves past it.
    const int64_t now = WallMicros();
    const ReadBounds was = BoundsFor(current, head.version, now);
    const Version end(head.version.value() + 1);
    auto hidden = ScanHiddenPrefix(db, head.id, was.min_version, Position(UINT64_MAX),
                                   [&](const RecordedEvent& e) { return Hides(was, e); });
    if (!hidden.ok()) return hidden.status();
    const Version first_readable = std::min(hidden->end, end);
    if (first_readable > Version(1)) {
      next.truncate_before = std::max(*next.truncate_before, first_readable);
    }
    auto oldest = checkpoint::Oldest(db);
    if (!oldest.ok()) return oldest.status();
    // An empty name: every consumer is at the end, none is held.
    if (!meta_options.force && !oldest->name.empty()) {
      const ReadBounds will = BoundsFor(next, head.version, now);
      auto held = ScanHiddenPrefix(db, head.id, first_readable, oldest->position,
                                   [&](const RecordedEvent& e) { return Hides(will, e); });
      if (!held.ok()) return held.status();
      if (held->held) {
        return Status::ConditionFailed(
            "the metadata would hide version " + std::to_string(held->held->value()) +
                " of stream '" + name + "' (position " +
                std::to_string(held->held_position.value()) + "), which " + oldest->name +
                " has not processed (its checkpoint is position " +
                std::to_string(oldest->position.value()) + "); force hides it anyway",
            held->held_position.value());
      }
    }
  }
  if (next.truncate_before->value() == 0) next.truncate_before.reset();
  return WriteMetadata(db, writer, options, stream, next, /*tombstone=*/false);
}

}  // namespace evlog
