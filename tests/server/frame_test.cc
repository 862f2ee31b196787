#include "frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace evlog::server {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
std::string Text(std::span<const uint8_t> s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}
std::string Header(uint32_t length) {
  std::string out;
  AppendFrameHeader(length, out);
  return out;
}

TEST(FrameHeader, IsFourBytesLittleEndian) {
  EXPECT_EQ(Header(0x01020304), std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(MakeFrame("ab"), std::string("\x02\0\0\0ab", 6));
}

TEST(FrameParser, ReturnsAFrameFedInOnePiece) {
  FrameParser p(1024);
  p.Feed(Bytes(MakeFrame("hello")));
  ASSERT_EQ(p.Parse(), FrameParser::Next::kFrame);
  EXPECT_EQ(Text(p.frame()), "hello");
  EXPECT_EQ(p.Parse(), FrameParser::Next::kNeedMore);
  EXPECT_EQ(p.buffered_bytes(), 0u);
}

TEST(FrameParser, AssemblesAFrameFedByteByByte) {
  FrameParser p(1024);
  const std::string frame = MakeFrame("pipelined");
  for (size_t i = 0; i + 1 < frame.size(); ++i) {
    p.Feed(Bytes(frame.substr(i, 1)));
    ASSERT_EQ(p.Parse(), FrameParser::Next::kNeedMore) << "after byte " << i;
  }
  p.Feed(Bytes(frame.substr(frame.size() - 1)));
  ASSERT_EQ(p.Parse(), FrameParser::Next::kFrame);
  EXPECT_EQ(Text(p.frame()), "pipelined");
}

TEST(FrameParser, ReturnsEveryFrameOfOneFeedInOrder) {
  FrameParser p(1024);
  p.Feed(Bytes(MakeFrame("a") + MakeFrame("bb") + MakeFrame("ccc") + Header(10).substr(0, 2)));
  std::vector<std::string> frames;
  while (p.Parse() == FrameParser::Next::kFrame) frames.push_back(Text(p.frame()));
  EXPECT_EQ(frames, (std::vector<std::string>{"a", "bb", "ccc"}));
  EXPECT_EQ(p.buffered_bytes(), 2u);
}

TEST(FrameParser, TruncatedBodyWaitsForTheRest) {
  FrameParser p(1024);
  const std::string frame = MakeFrame("0123456789");
  p.Feed(Bytes(frame.substr(0, 8)));
  EXPECT_EQ(p.Parse(), FrameParser::Next::kNeedMore);
  p.Feed(Bytes(frame.substr(8)));
  ASSERT_EQ(p.Parse(), FrameParser::Next::kFrame);
  EXPECT_EQ(Text(p.frame()), "0123456789");
}

TEST(FrameParser, ZeroLengthIsAnErrorThatStays) {
  FrameParser p(1024);
  p.Feed(Bytes(Header(0) + MakeFrame("x")));
  EXPECT_EQ(p.Parse(), FrameParser::Next::kEmptyFrame);
  EXPECT_EQ(p.Parse(), FrameParser::Next::kEmptyFrame);
}

TEST(FrameParser, LengthAboveTheLimitIsAnErrorBeforeAnyBodyIsBuffered) {
  FrameParser p(1024);
  p.Feed(Bytes(Header(0xffffffffu)));
  EXPECT_EQ(p.Parse(), FrameParser::Next::kFrameTooLarge);
  EXPECT_EQ(p.claimed_length(), 0xffffffffu);
  // Bytes after the error are dropped, not buffered toward the claimed length.
  p.Feed(Bytes(std::string(4096, 'x')));
  EXPECT_EQ(p.Parse(), FrameParser::Next::kFrameTooLarge);
  EXPECT_LE(p.buffered_bytes(), kFrameHeaderBytes);
}

TEST(FrameParser, LengthAtTheLimitIsAcceptedAndOneMoreIsNot) {
  FrameParser at(16);
  at.Feed(Bytes(MakeFrame(std::string(16, 'a'))));
  EXPECT_EQ(at.Parse(), FrameParser::Next::kFrame);
  FrameParser above(16);
  above.Feed(Bytes(Header(17)));
  EXPECT_EQ(above.Parse(), FrameParser::Next::kFrameTooLarge);
}

TEST(FrameParser, PartialHeaderNeedsMore) {
  FrameParser p(1024);
  p.Feed(Bytes(Header(5).substr(0, 3)));
  EXPECT_EQ(p.Parse(), FrameParser::Next::kNeedMore);
}

}  // namespace
}  // namespace evlog::server
