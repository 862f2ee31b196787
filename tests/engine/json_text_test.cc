// json_text: the strict, non-recursive JSON validator the engine checks
// appends with and the CLI and evlogd render stored JSON with.

#include "json/json_text.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace evlog::json
