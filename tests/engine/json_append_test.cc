// JSON on append: data whose content type is JSON, and metadata that starts
// like a JSON object or array, must be valid JSON within
// Options::max_json_depth; what is accepted is stored byte for byte.

#include <gtest/gtest.h>

#include "testutil/store_fixture.h"

namespace evlog {
namespace {

EventData Json(std::string data, std::string metadata = "") {
  return EventData{.type = "T",
                   .data = std::move(data),
                   .metadata = std::move(metadata),
                   .content_type = ContentType::kJson};
}

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

class JsonAppend : public testutil::StoreTest {
 protected:
  Status Append(EventData event) {
    return store_->Append("a-1", ExpectedVersion::Any(), {std::move(event)}).status();
  }
  void ExpectRefused(EventData event, std::string_view message) {
    const Position before = store_->LastPosition();
    Status s = Append(std::move(event));
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find(message), std::string_view::npos) << s.ToString();
    EXPECT_EQ(store_->LastPosition(), before);
  }
};

TEST_F(JsonAppend, DataNestedAHundredThousandLevelsIsRefused) {
  ExpectRefused(Json(std::string(100'000, '[')), "event data nests deeper than 512 levels");
  ExpectRefused(Json(Nested(513)), "event data nests deeper than 512 levels");
}

TEST_F(JsonAppend, DataNestedExactlyAtTheLimitIsAcceptedAndReadBackExactly) {
  ASSERT_OK(Append(Json(Nested(512), Nested(512))));
  std::vector<OwnedEvent> events = ReadStream("a-1");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, Nested(512));
  EXPECT_EQ(events[0].metadata, Nested(512));
}

TEST_F(JsonAppend, InvalidJsonDataIsRefused) {
  ExpectRefused(Json("{\"a\":1} trailing"), "event data is not valid JSON");
  ExpectRefused(Json(std::string("{}\0junk", 7)), "event data is not valid JSON: NUL byte");
  ExpectRefused(Json(""), "event data is not valid JSON");
  ExpectRefused(Json("\"\xff\""), "event data is not valid JSON: invalid UTF-8");
}

TEST_F(JsonAppend, MetadataBesideBinaryDataIsStillChecked) {
  EventData binary = Json("not json", "{\"a\":");
  binary.content_type = ContentType::kBinary;
  ExpectRefused(std::move(binary), "event metadata is not valid JSON");
}

TEST_F(JsonAppend, BinaryDataIsNotChecked) {
  EventData binary = Json(std::string(100'000, '['));
  binary.content_type = ContentType::kBinary;
  EXPECT_OK(Append(std::move(binary)));
}

TEST_F(JsonAppend, MetadataThatLooksLikeJsonMustBeValidWithinTheLimit) {
  ExpectRefused(Json("1", std::string(100'000, '[')),
                "event metadata nests deeper than 512 levels");
  ExpectRefused(Json("1", " {\"a\":"), "event metadata is not valid JSON");
  // Other metadata stays free bytes.
  EXPECT_OK(Append(Json("1", "plain text, not JSON")));
  EXPECT_OK(Append(Json("1", "\xff\x00 bytes")));
  EXPECT_OK(Append(Json("1", "{\"correlation\":\"c-1\"}")));
}

TEST_F(JsonAppend, ConfiguredDepthLimitIsHonoured) {
  Reopen(Options{.max_json_depth = 2});
  ExpectRefused(Json("[[[1]]]"), "event data nests deeper than 2 levels");
  EXPECT_OK(Append(Json("[[1]]")));
}

TEST_F(JsonAppend, TheExactBytesAreStored) {
  const std::vector<std::string> texts = {"1180591620717411303424", "{\"k\":1,\"k\":2}",
                                          "{ \"a\" :  [1, 2] }", "1.0", "-0", "\"\\u00e9\"",
                                          " 1\r\n"};
  for (const std::string& text : texts) ASSERT_OK(Append(Json(text, text)));
  std::vector<OwnedEvent> events = ReadStream("a-1");
  ASSERT_EQ(events.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(events[i].data, texts[i]);
    EXPECT_EQ(events[i].metadata, texts[i]);
  }
}

}  // namespace
}  // namespace evlog
