// Parked events: what a subscription writes as a parked event's metadata,
// and that the error reads back from it — also from the bytes earlier
// builds wrote.

#include "parked.h"

#include <gtest/gtest.h>

#include <string>

#include "evlog/status.h"
#include "evlog/types.h"

namespace evlog::parked {
namespace {

using namespace std::string_literals;

OwnedEvent Event(std::string stream, uint64_t version, uint64_t position) {
  OwnedEvent e;
  e.stream = std::move(stream);
  e.version = Version(version);
  e.position = Position(position);
  return e;
}

TEST(ParkedMetadata, IsWrittenAsEarlierBuildsWroteIt) {
  // The hand-made encoder of earlier builds wrote exactly these bytes.
  EXPECT_EQ(Metadata(Event("order-1", 3, 17), Status::InvalidArgument("cannot handle Bad")),
            R"({"error":"invalid_argument: cannot handle Bad","stream":"order-1","version":3,"position":17})");
  EXPECT_EQ(Metadata(Event("s", 1, 2), Status::IOError("a \"quoted\" \\ path\nnext")),
            R"({"error":"io_error: a \"quoted\" \\ path\nnext","stream":"s","version":1,"position":2})");
}

TEST(ParkedMetadata, OldBytesDecodeToTheirError) {
  // As stored by earlier builds (subscription.cc's JsonString).
  EXPECT_EQ(
      ErrorOf(
          R"({"error":"invalid_argument: cannot handle Bad","stream":"order-1","version":3,"position":17})"),
      "invalid_argument: cannot handle Bad");
  EXPECT_EQ(ErrorOf(R"({"error":"io_error: tab\u0009 and \u001f","stream":"s","version":1,"position":2})"),
            "io_error: tab\t and \x1f");
}

TEST(ParkedMetadata, EscapesInTheErrorDecodeToTheBytesTheyStandFor) {
  // The hand-made parser of earlier builds read "\n" as 'n' and "\u0001"
  // as "u0001"; the error text must come back as it was.
  const std::string error = "io_error: a \"quoted\" \\ path\nnext\tcol \x01";
  EXPECT_EQ(ErrorOf(Metadata(Event("s", 1, 2), Status::IOError("a \"quoted\" \\ path\nnext\tcol \x01"))),
            error);
  EXPECT_EQ(ErrorOf(R"({"error":"line\nbreak","stream":"s","version":1,"position":2})"),
            "line\nbreak");
}

TEST(ParkedMetadata, AnErrorThatIsNotUtf8StaysAJsonText) {
  const std::string metadata = Metadata(Event("s", 1, 2), Status::IOError("bad \xff byte"));
  EXPECT_EQ(ErrorOf(metadata), "io_error: bad \xEF\xBF\xBD byte");  // U+FFFD
}

TEST(ParkedMetadata, OtherMetadataReadsBackWhole) {
  EXPECT_EQ(ErrorOf(""), "");
  EXPECT_EQ(ErrorOf("plain text"), "plain text");
  EXPECT_EQ(ErrorOf(R"({"stream":"s"})"), R"({"stream":"s"})");
  EXPECT_EQ(ErrorOf(R"({"error":42})"), R"({"error":42})");
  EXPECT_EQ(ErrorOf(R"({"error":"cut)"), R"({"error":"cut)");
  EXPECT_EQ(ErrorOf("[[[[[[[[[["), "[[[[[[[[[[");
}

}  // namespace
}  // namespace evlog::parked
