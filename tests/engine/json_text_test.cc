// json_text: the strict, non-recursive JSON validator the engine checks
// appends with and the CLI and evlogd render stored JSON with.

#include "json/json_text.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace evlog::json {
namespace {

bool Valid(std::string_view text, size_t depth = 512) { return Validate(text, depth).ok(); }

TEST(JsonText, AcceptsEveryKindOfValue) {
  for (std::string_view text :
       {"1", "-0", "1.0", "1180591620717411303424", "-1.5e+10", "2E-3", "0.0e0", "true", "false",
        "null", "\"\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        "[]", "{}", "[1,[2,{}]]", "{\"k\":1,\"k\":2}", " { \"a\" :  [1, 2] }\r\n",
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""}) {
    EXPECT_TRUE(Valid(text)) << text << ": " << Validate(text, 512).ToString();
  }
}

TEST(JsonText, DepthIsBoundedAtTheLimitExactly) {
  const std::string at = std::string(512, '[') + std::string(512, ']');
  const std::string past = std::string(513, '[') + std::string(513, ']');
  EXPECT_TRUE(Valid(at));
  Status s = Validate(past, 512);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "nests deeper than 512 levels");
  EXPECT_TRUE(Valid("{\"a\":{\"b\":[1]}}", 3));
  EXPECT_FALSE(Valid("{\"a\":{\"b\":[1]}}", 2));
  EXPECT_TRUE(Valid("1", 0));
  EXPECT_FALSE(Valid("[]", 0));
}

TEST(JsonText, AHundredThousandLevelsAreRefusedWithoutRecursion) {
  const std::string deep(100'000, '[');
  EXPECT_EQ(Validate(deep, 512).message(), "nests deeper than 512 levels");
  // With no practical bound it still runs on its explicit stack.
  const std::string closed = deep + std::string(100'000, ']');
  EXPECT_TRUE(Valid(closed, 1'000'000));
}

TEST(JsonText, TrailingBytesAreRefused) {
  for (std::string_view text : {"1 2", "{} x", "[]]", "nullx", "\"a\"\"b\"", "1,"}) {
    EXPECT_FALSE(Valid(text)) << text;
  }
  EXPECT_EQ(Validate("{} x", 512).message(),
            "is not valid JSON: unexpected 'x' after the value at offset 3");
}

TEST(JsonText, NulAndRawControlCharactersAreRefused) {
  EXPECT_EQ(Validate(std::string_view("{}\0junk", 7), 512).message(),
            "is not valid JSON: NUL byte after the value at offset 2");
  EXPECT_FALSE(Valid(std::string_view("\"a\0b\"", 5)));
  EXPECT_FALSE(Valid("\"a\nb\""));
  EXPECT_FALSE(Valid("\"a\tb\""));
  EXPECT_FALSE(Valid("[1,\x0c" "2]"));
  EXPECT_FALSE(Valid(""));
  EXPECT_FALSE(Valid("   "));
}

TEST(JsonText, BadEscapesAreRefused) {
  for (std::string_view text : {"\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\\"", "\"\\'\""}) {
    EXPECT_FALSE(Valid(text)) << text;
  }
}

TEST(JsonText, LoneSurrogateEscapesAreRefused) {
  EXPECT_FALSE(Valid("\"\\ud800\""));
  EXPECT_FALSE(Valid("\"\\ud800x\""));
  EXPECT_FALSE(Valid("\"\\ud800\\u0041\""));
  EXPECT_FALSE(Valid("\"\\udc00\""));
  EXPECT_TRUE(Valid("\"\\udbff\\udfff\""));
}

TEST(JsonText, InvalidUtf8IsRefused) {
  for (std::string_view text : {"\"\xff\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"",
                                "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\x80\"",
                                "\"\xf0\x9f\x98\""}) {
    EXPECT_FALSE(Valid(text)) << text;
  }
  EXPECT_FALSE(Valid("\xef\xbb\xbf{}"));  // no byte-order mark
}

TEST(JsonText, NumbersFollowTheGrammar) {
  for (std::string_view text : {"01", "+1", ".5", "1.", "1e", "1e+", "-", "--1", "0x10", "NaN",
                                "Infinity", "-Infinity", "1.5.2", "tru", "nul"}) {
    EXPECT_FALSE(Valid(text)) << text;
  }
}

TEST(JsonText, ObjectsNeedStringKeysAndColons) {
  for (std::string_view text : {"{1:2}", "{\"a\" 1}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]",
                                "{,}", "{\"a\":1 \"b\":2}", "{'a':1}", "[1 2]", "{", "[", "}"}) {
    EXPECT_FALSE(Valid(text)) << text;
  }
}

TEST(JsonText, ScanValueStopsRightAfterTheValue) {
  const std::string_view text = "{\"data\": [1, {\"x\": 2}] , \"more\": 1}";
  size_t pos = 9;
  ASSERT_TRUE(ScanValue(text, &pos, 512).ok());
  EXPECT_EQ(text.substr(9, pos - 9), "[1, {\"x\": 2}]");
  pos = 1;
  std::string key;
  ASSERT_TRUE(DecodeString(text, &pos, &key).ok());
  EXPECT_EQ(key, "data");
  EXPECT_EQ(pos, 7u);
}

TEST(JsonText, DecodeStringResolvesEscapes) {
  const std::string_view text = "\"a\\u00e9\\n\\ud83d\\ude00\\/\"";
  size_t pos = 0;
  std::string out;
  ASSERT_TRUE(DecodeString(text, &pos, &out).ok());
  EXPECT_EQ(out, "a\xc3\xa9\n\xf0\x9f\x98\x80/");
  EXPECT_EQ(pos, text.size());
}

// Runs ForEachMember over `text` with keys a, b and c known; *members
// gets "key=value@offset" per member, and a fault is returned as
// "kind key offset".
Status Members(std::string_view text, std::vector<std::string>* members, size_t* pos) {
  return ForEachMember(
      text, pos, {"a", "b", "c"}, 2,
      [&](std::string_view key, std::string_view value, size_t offset) {
        members->push_back(std::string(key) + "=" + std::string(value) + "@" +
                           std::to_string(offset));
        return key == "c" ? Status::NotFound("c refused") : Status::OK();
      },
      [](const MemberFault& f) {
        return Status::InvalidArgument(std::to_string(f.kind) + " " + std::string(f.key) + " " +
                                       std::to_string(f.offset));
      });
}

TEST(JsonMembers, EachMemberIsGivenWithItsValueAndOffsetAndPosEndsPastTheObject) {
  std::vector<std::string> members;
  size_t pos = 2;
  const std::string text = "[ { \"a\" : [1, 2] ,\"b\":\"x\" } ]";
  ASSERT_TRUE(Members(text, &members, &pos).ok());
  EXPECT_EQ(members, (std::vector<std::string>{"a=[1, 2]@10", "b=\"x\"@22"}));
  EXPECT_EQ(pos, 27u);

  members.clear();
  pos = 0;
  ASSERT_TRUE(Members("{ }", &members, &pos).ok());
  EXPECT_TRUE(members.empty());
  EXPECT_EQ(pos, 3u);
}

TEST(JsonMembers, EachFaultIsHandedToTheCallerWithItsKeyAndOffset) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "0  0"},                  // kNotObject
      {"{1:2}", "1  1"},               // kNoKey
      {"{\"a\":1,}", "1  7"},          // kNoKey after a ','
      {"{\"\\x\":1}", "2  1"},         // kBadKey
      {"{\"d\":1}", "3 d 1"},          // kUnknownKey
      {"{\"a\":1,\"a\":2}", "4 a 7"},  // kRepeatedKey
      {"{\"a\" 1}", "5 a 5"},          // kNoColon
      {"{\"a\":[[[1]]]}", "6 a 5"},    // kBadValue: deeper than 2
      {"{\"a\":1 \"b\":2}", "7 a 7"},  // kNoSeparator
      {"{\"a\":1", "7 a 6"},           // kNoSeparator at the end
  };
  for (const auto& [text, fault] : cases) {
    std::vector<std::string> members;
    size_t pos = 0;
    Status s = Members(text, &members, &pos);
    EXPECT_TRUE(s.IsInvalidArgument()) << text;
    EXPECT_EQ(s.message(), fault) << text;
    EXPECT_EQ(pos, 0u) << text;
  }
}

TEST(JsonMembers, TheFirstErrorOfOnMemberEndsTheObjectAsIs) {
  std::vector<std::string> members;
  size_t pos = 0;
  Status s = Members("{\"a\":1,\"c\":2,\"b\":3}", &members, &pos);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_EQ(s.message(), "c refused");
  EXPECT_EQ(members, (std::vector<std::string>{"a=1@5", "c=2@11"}));
}

}  // namespace
}  // namespace evlog::json
