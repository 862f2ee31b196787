#include "json/spellings.h"

#include <string>

#include "json/decimal.h"

namespace evlog::json {

namespace {

Status Refuse(std::string_view what, std::string_view allowed, std::string_view text) {
  return Status::InvalidArgument(std::string(what) + " must be " + std::string(allowed) +
                                 ", not '" + std::string(text.substr(0, 64)) + "'");
}

}  // namespace

Result<ExpectedVersion> ParseExpectedVersion(std::string_view text, std::string_view what) {
  if (text == "any") return ExpectedVersion::Any();
  if (text == "no_stream" || text == "no-stream") return ExpectedVersion::NoStream();
  if (text == "stream_exists" || text == "exists") return ExpectedVersion::StreamExists();
  Result<uint64_t> version = ParseUnsigned(text, what);
  if (!version.ok()) return Refuse(what, "any, no_stream, stream_exists or a version number", text);
  return ExpectedVersion::Exact(Version(*version));
}

Result<Durability> ParseDurability(std::string_view text, std::string_view what) {
  if (text == "sync") return Durability::kSync;
  if (text == "buffered") return Durability::kBuffered;
  return Refuse(what, "sync or buffered", text);
}

Result<FeedStart> ParseFeedStart(std::string_view text, std::string_view what) {
  if (text == "oldest") return FeedStart::Oldest();
  if (text == "latest") return FeedStart::Latest();
  Result<uint64_t> position = ParseUnsigned(text, what);
  if (!position.ok()) return Refuse(what, "oldest, latest or a position", text);
  return FeedStart::At(Position(*position));
}

Result<DuplicatePolicy> ParseDuplicatePolicy(std::string_view text, std::string_view what) {
  if (text == "error") return DuplicatePolicy::kError;
  if (text == "skip") return DuplicatePolicy::kSkip;
  return Refuse(what, "error or skip", text);
}

}  // namespace evlog::json
