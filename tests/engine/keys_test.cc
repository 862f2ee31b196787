// keys: every key and fixed-size value layout encodes to the bytes
// docs/format.md gives (stores written by earlier builds must still read
// back) and decodes to what was encoded.

#include "keys.h"

#include <gtest/gtest.h>

#include <string>

namespace evlog::keys {
namespace {

using namespace std::string_literals;

TEST(Keys, LogKeyIsThePositionBigEndianAndDecodes) {
  EXPECT_EQ(LogKey(Position(0x0102)), "\0\0\0\0\0\0\x01\x02"s);
  Position p;
  ASSERT_TRUE(ParseLogKey(LogKey(Position(77)), &p));
  EXPECT_EQ(p, Position(77));
  EXPECT_FALSE(ParseLogKey("short", &p));
}

TEST(Keys, StreamKeyIsIdThenVersionAndDecodes) {
  EXPECT_EQ(StreamKey(1, Version(2)), "\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x02"s);
  uint64_t id = 0;
  Version v;
  ASSERT_TRUE(ParseStreamKey(StreamKey(9, Version(10)), &id, &v));
  EXPECT_EQ(id, 9u);
  EXPECT_EQ(v, Version(10));
  EXPECT_FALSE(ParseStreamKey("\0\0"s, &id, &v));
}

TEST(Keys, PutStreamKeyWritesTheStreamKeyIntoABuffer) {
  char buffer[kStreamKeyBytes + 1];
  buffer[kStreamKeyBytes] = 'x';
  PutStreamKey(0x0102030405060708, Version(0x1112131415161718), buffer);
  EXPECT_EQ(std::string_view(buffer, kStreamKeyBytes),
            StreamKey(0x0102030405060708, Version(0x1112131415161718)));
  EXPECT_EQ(std::string_view(buffer, kStreamKeyBytes),
            "\x01\x02\x03\x04\x05\x06\x07\x08\x11\x12\x13\x14\x15\x16\x17\x18"s);
  EXPECT_EQ(buffer[kStreamKeyBytes], 'x') << "nothing written past the key";
}

TEST(Keys, IndexKeyIsNameNulPositionAndDecodes) {
  EXPECT_EQ(IndexKey("order", Position(3)), "order\0\0\0\0\0\0\0\0\x03"s);
  EXPECT_EQ(IndexPrefix("order"), "order\0"s);
  Position p;
  ASSERT_TRUE(ParseIndexKey(IndexKey("a", Position(5)), &p));
  EXPECT_EQ(p, Position(5));
}

TEST(Keys, TagKeyIsLengthTagPositionAndDecodes) {
  EXPECT_EQ(TagKey("ab", Position(3)), "\x02" "ab\0\0\0\0\0\0\0\x03"s);
  EXPECT_EQ(TagPrefix("ab"), "\x02" "ab"s);
  // A NUL in a tag is a byte like any other.
  const std::string tag("a\0b", 3);
  std::string_view parsed;
  Position p;
  const std::string key = TagKey(tag, Position(7));  // `parsed` points into it
  ASSERT_TRUE(ParseTagKey(key, &parsed, &p));
  EXPECT_EQ(parsed, tag);
  EXPECT_EQ(p, Position(7));
  const std::string longest(255, '\xff');
  const std::string longest_key = TagKey(longest, Position(1));
  ASSERT_TRUE(ParseTagKey(longest_key, &parsed, &p));
  EXPECT_EQ(parsed, longest);
  // No tag's key starts with another tag's prefix.
  EXPECT_FALSE(TagKey("ab", Position(1)).starts_with(TagPrefix("a")));
  EXPECT_FALSE(ParseTagKey("\x05" "ab\0\0\0\0\0\0\0\x03"s, &parsed, &p));
  EXPECT_FALSE(ParseTagKey("\0\0\0\0\0\0\0\0\x03"s, &parsed, &p));
}

TEST(Keys, DedupValueRoundTrips) {
  Position p;
  int64_t t = 0;
  ASSERT_TRUE(ParseDedupValue(DedupValue(Position(4), 1234567), &p, &t));
  EXPECT_EQ(p, Position(4));
  EXPECT_EQ(t, 1234567);
  EXPECT_FALSE(ParseDedupValue("x", &p, &t));
}

TEST(Keys, CheckpointKeysKeepTheirStoredBytes) {
  EXPECT_EQ(ProgressKey("orders", 1, 0), "orders");
  EXPECT_EQ(ProgressKey("orders", 3, 2), "orders/2");
  EXPECT_EQ(ReplayToKey("orders"), "orders\0replay_to"s);
  EXPECT_EQ(ReplayedKey("orders"), "orders\0replayed"s);
  EXPECT_EQ(ViewStateKey("stock"), "stock\0view"s);
  EXPECT_EQ(ViewRebuildKey("stock"), "stock\0rebuild"s);
}

TEST(Keys, CheckpointKeysDecodeToTheirKindAndName) {
  // `name` points into the key: the table's keys outlive their checks.
  const struct {
    std::string key;
    CheckpointKind kind;
    std::string_view name;
  } cases[] = {{ProgressKey("orders", 1, 0), CheckpointKind::kProgress, "orders"},
               {ProgressKey("orders", 4, 3), CheckpointKind::kProgress, "orders/3"},
               {ReplayToKey("a"), CheckpointKind::kReplayTo, "a"},
               {ReplayedKey("b"), CheckpointKind::kReplayed, "b"},
               {ViewStateKey("c"), CheckpointKind::kViewState, "c"},
               {ViewRebuildKey("d"), CheckpointKind::kViewRebuild, "d"},
               {HostedKey("f"), CheckpointKind::kHosted, "f"},
               {HandledKey("g"), CheckpointKind::kHandled, "g"},
               {AttemptsKey("h"), CheckpointKind::kAttempts, "h"}};
  for (const auto& c : cases) {
    std::string_view name;
    EXPECT_EQ(ParseCheckpointKey(c.key, &name), c.kind) << c.name;
    EXPECT_EQ(name, c.name);
  }
  std::string_view name;
  const std::string unknown = "e\0later"s;
  EXPECT_EQ(ParseCheckpointKey(unknown, &name), CheckpointKind::kUnknown);
}

TEST(Keys, CheckpointValuesKeepTheirStoredBytesAndDecode) {
  EXPECT_EQ(CheckpointValue(0x0a0b), "\0\0\0\0\0\0\x0a\x0b"s);
  uint64_t v = 0;
  ASSERT_TRUE(ParseCheckpointValue("\0\0\0\0\0\0\x01\x00"s, &v));
  EXPECT_EQ(v, 256u);
  EXPECT_FALSE(ParseCheckpointValue("1234567", &v));

  EXPECT_EQ(ViewStateValue(2, Position(5)), "\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x05"s);
  uint64_t generation = 0;
  Position position;
  ASSERT_TRUE(ParseViewStateValue(ViewStateValue(7, Position(99)), &generation, &position));
  EXPECT_EQ(generation, 7u);
  EXPECT_EQ(position, Position(99));
  EXPECT_FALSE(ParseViewStateValue(CheckpointValue(1), &generation, &position));

  EXPECT_EQ(RebuildStateValue(Position(3), Position(4)),
            "\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0\x04"s);
  Position target;
  ASSERT_TRUE(ParseRebuildStateValue(RebuildStateValue(Position(8), Position(9)), &position,
                                     &target));
  EXPECT_EQ(position, Position(8));
  EXPECT_EQ(target, Position(9));
  EXPECT_FALSE(ParseRebuildStateValue("", &position, &target));
}

TEST(Keys, ViewRowKeysKeepTheirStoredBytesAndDecode) {
  EXPECT_EQ(ViewPrefix("stock"), "stock\0"s);
  EXPECT_EQ(ViewRowPrefix("stock", 1), "stock\0\0\0\0\0\0\0\0\x01"s);
  const std::string key = ViewRowKey("stock", 258, "product-42");
  EXPECT_EQ(key, "stock\0\0\0\0\0\0\0\x01\x02product-42"s);
  std::string_view name, row;
  uint64_t generation = 0;
  ASSERT_TRUE(ParseViewRowKey(key, &name, &generation, &row));
  EXPECT_EQ(name, "stock");
  EXPECT_EQ(generation, 258u);
  EXPECT_EQ(row, "product-42");
  ASSERT_TRUE(ParseViewRowKey(ViewRowKey("v", 0, ""), &name, &generation, &row));
  EXPECT_EQ(row, "");
  EXPECT_FALSE(ParseViewRowKey("no-nul", &name, &generation, &row));
  EXPECT_FALSE(ParseViewRowKey("v\0short"s, &name, &generation, &row));
}

TEST(Keys, PrefixEndIsTheFirstKeyAfterThePrefix) {
  EXPECT_EQ(PrefixEnd("ab"), "ac");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd("\xff\xff"), "");
  EXPECT_LT(ViewRowKey("v", 1, "\xff\xff"), PrefixEnd(ViewRowPrefix("v", 1)));
}

TEST(Keys, CountersAreDecimalAndDecode) {
  EXPECT_EQ(EncodeCounter(42), "42");
  uint64_t v = 0;
  ASSERT_TRUE(ParseCounter("42", &v));
  EXPECT_EQ(v, 42u);
  EXPECT_FALSE(ParseCounter("", &v));
  EXPECT_FALSE(ParseCounter("4x", &v));
}

}  // namespace
}  // namespace evlog::keys
