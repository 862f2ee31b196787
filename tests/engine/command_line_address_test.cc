// command_line::ParseHostPort and ReadTokenFile: the one parser of HOST:PORT
// and the one reader of token files that evlogd, evlog and evlog-kafka share.

#include "command_line/address.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testutil/temp_dir.h"

namespace evlog::command_line {
namespace {

TEST(HostPort, NamesAndIpv4AndBracketedIpv6Parse) {
  auto v4 = ParseHostPort("127.0.0.1:7411", "--connect");
  ASSERT_TRUE(v4.ok()) << v4.status().ToString();
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 7411);
  auto v6 = ParseHostPort("[::1]:65535", "--connect");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 65535);
  auto name = ParseHostPort("localhost:1", "--connect");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "localhost");
  EXPECT_EQ(name->port, 1);
}

TEST(HostPort, MalformedAddressesAreInvalidArgumentsNamingTheFlag) {
  for (const char* bad : {"", "7411", "localhost", "localhost:", ":7411", "[]:7411", "[::1]",
                          "host:-1", "host:+80", "host:80x", "host: 80", "host:65536",
                          "host:99999", "host:123456", "host:0", "::1", "::1:7411",
                          "[::1:7411", "a:b:7411"}) {
    auto r = ParseHostPort(bad, "--connect");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << bad;
    EXPECT_EQ(r.status().message(), std::string("--connect must be HOST:PORT, not '") + bad + "'");
  }
}

TEST(HostPort, PortZeroIsAnyFreePortOnlyWhereAListenerAllowsIt) {
  auto any = ParseHostPort("127.0.0.1:0", "--listen", /*allow_port_zero=*/true);
  ASSERT_TRUE(any.ok()) << any.status().ToString();
  EXPECT_EQ(any->port, 0);
  auto v6 = ParseHostPort("[::1]:00000", "--listen", /*allow_port_zero=*/true);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->port, 0);
  EXPECT_FALSE(ParseHostPort("127.0.0.1:0", "--connect").ok());
  EXPECT_FALSE(ParseHostPort("127.0.0.1:65536", "--listen", true).ok());
}

class TokenFile : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    const std::string path = dir_.Sub("token");
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  testutil::TempDir dir_;
};

TEST_F(TokenFile, TrailingWhiteSpaceAndNewlinesAreNotPartOfTheToken) {
  for (const char* text : {"s3cret", "s3cret\n", "s3cret\r\n", "s3cret \t\n\n"}) {
    auto token = ReadTokenFile(Write(text));
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    EXPECT_EQ(*token, "s3cret");
  }
  // Inner white space is the token's own.
  auto inner = ReadTokenFile(Write(" a b\n"));
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(*inner, " a b");
}

TEST_F(TokenFile, AnEmptyOrUnreadableFileIsAnError) {
  for (const char* text : {"", "\n", " \r\n\t"}) {
    const std::string path = Write(text);
    auto token = ReadTokenFile(path);
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().message(), "--token-file " + path + " is empty");
  }
  const std::string missing = dir_.Sub("none");
  auto token = ReadTokenFile(missing);
  ASSERT_FALSE(token.ok());
  EXPECT_TRUE(token.status().IsInvalidArgument());
  EXPECT_EQ(token.status().message(), "--token-file " + missing + " cannot be read");
  EXPECT_FALSE(ReadTokenFile(dir_.path()).ok());  // a directory
}

}  // namespace
}  // namespace evlog::command_line
