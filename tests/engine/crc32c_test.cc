// CRC-32C against the known vectors of RFC 3720 (B.4) and LevelDB's
// crc32c_test, through the dispatching entry point and the table alike, and
// LevelDB's mask.

#include "crc32c.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace evlog::crc32c {
namespace {

struct Vector {
  std::string bytes;
  uint32_t crc;
};

std::vector<Vector> KnownVectors() {
  std::vector<Vector> v;
  v.push_back({std::string(32, '\0'), 0x8a9136aa});
  v.push_back({std::string(32, '\xff'), 0x62a8ab43});
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  v.push_back({ascending, 0x46dd794e});
  v.push_back({descending, 0x113fdb5c});
  const unsigned char scsi[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  v.push_back({std::string(reinterpret_cast<const char*>(scsi), sizeof(scsi)), 0xd9963a56});
  v.push_back({"123456789", 0xe3069283});
  v.push_back({"", 0});
  return v;
}

TEST(Crc32c, MatchesTheRfc3720Vectors) {
  for (const Vector& v : KnownVectors()) {
    EXPECT_EQ(Value(v.bytes), v.crc) << v.bytes.size() << " bytes";
    EXPECT_EQ(ExtendPortable(0, v.bytes.data(), v.bytes.size()), v.crc);
  }
}

TEST(Crc32c, ExtendingEqualsTheValueOfTheConcatenation) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (size_t cut : {0, 1, 7, 8, 9, 63, 500, 1000}) {
    const uint32_t head = Value(data.data(), cut);
    EXPECT_EQ(Extend(head, data.data() + cut, data.size() - cut), Value(data)) << cut;
  }
}

// Lengths around every path of the hardware code: single bytes, words,
// blocks of three 64-byte lanes, blocks of three 1 KiB lanes, and the rests.
TEST(Crc32c, HardwareAndTableAgreeOnEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 8000; ++i) data.push_back(static_cast<char>(i * 37 + 11 + (i >> 8)));
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 400; ++n) lengths.push_back(n);
  for (size_t n : {3071, 3072, 3073, 3072 + 192, 3072 + 200, 6143, 6144, 6144 + 191, 7990}) {
    lengths.push_back(n);
  }
  for (size_t start = 0; start < 9; ++start) {
    for (size_t n : lengths) {
      ASSERT_EQ(Extend(0, data.data() + start, n), ExtendPortable(0, data.data() + start, n))
          << start << "+" << n;
      ASSERT_EQ(Extend(0x12345678, data.data() + start, n),
                ExtendPortable(0x12345678, data.data() + start, n))
          << start << "+" << n;
    }
  }
}

// Value2 (an events chunk's header and record at once): the two values
// Value gives, for every short length beside every record-like one, at
// every alignment of `b`, with and without the copy of `b`.
TEST(Crc32c, Value2GivesBothValuesAndCopiesTheSecond) {
  std::string data;
  for (int i = 0; i < 8000; ++i) data.push_back(static_cast<char>(i * 53 + 5 + (i >> 7)));
  std::vector<size_t> b_lengths;
  for (size_t n = 0; n <= 260; ++n) b_lengths.push_back(n);
  for (size_t n : {383, 384, 385, 700, 3072 + 200, 6144 + 191}) b_lengths.push_back(n);
  for (size_t na : {0, 1, 4, 7, 8, 9, 36, 100}) {
    const std::string_view a(data.data() + 3, na);
    for (size_t start = 0; start < 9; ++start) {
      for (size_t nb : b_lengths) {
        const std::string_view b(data.data() + 500 + start, nb);
        uint32_t ca = 1, cb = 1;
        Value2(a, b, nullptr, &ca, &cb);
        ASSERT_EQ(ca, ExtendPortable(0, a.data(), a.size())) << na << " " << start << "+" << nb;
        ASSERT_EQ(cb, ExtendPortable(0, b.data(), b.size())) << na << " " << start << "+" << nb;
        std::string copy(nb + 1, '#');
        ca = cb = 1;
        Value2(a, b, copy.data(), &ca, &cb);
        ASSERT_EQ(ca, Value(a));
        ASSERT_EQ(cb, Value(b));
        ASSERT_EQ(std::string_view(copy).substr(0, nb), b) << na << " " << start << "+" << nb;
        ASSERT_EQ(copy[nb], '#') << "wrote past the copy";
      }
    }
  }
}

TEST(Crc32c, MaskChangesTheValueAndUnmaskRestoresIt) {
  const uint32_t crc = Value("foo");
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

}  // namespace
}  // namespace evlog::crc32c
