// Frame: the length-prefix framing of the evlogd protocol, with no sockets.
//
// A frame is a 4-byte little-endian length N followed by N bytes of message.
// FrameParser is fed bytes as they arrive and hands back complete frames.
// Invariant: the parser never allocates on the strength of a claimed length;
// its buffer grows only by bytes actually fed, and a length of 0 or above
// max_frame_bytes is an error before any of the body is buffered.
//
// Thread-safety: a FrameParser is used by one thread at a time.

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace evlog::server {

// Bytes of the length prefix.
inline constexpr size_t kFrameHeaderBytes = 4;

class FrameParser {
 public:
  enum class Next {
    // A complete frame is available through frame().
    kFrame,
    // More bytes are needed.
    kNeedMore,
    // The length prefix was 0. The parser stays in this state.
    kEmptyFrame,
    // The length prefix was above max_frame_bytes. The parser stays in this
    // state.
    kFrameTooLarge,
  };

  // REQUIRES: 0 < max_frame_bytes <= 2^32 - 1
  explicit FrameParser(size_t max_frame_bytes);

  // Appends received bytes.
  void Feed(std::span<const uint8_t> bytes);

  // Advances to the next complete frame. After kFrame, frame() views its
  // message bytes (without the prefix) until the next Feed() or Parse().
  Next Parse();
  std::span<const uint8_t> frame() const { return frame_; }

  // Bytes fed and not yet handed out as frames.
  size_t buffered_bytes() const { return buffer_.size() - consumed_; }
  // The length the last error was about (kEmptyFrame, kFrameTooLarge).
  uint32_t claimed_length() const { return claimed_length_; }
  size_t max_frame_bytes() const { return max_frame_bytes_; }

 private:
  const size_t max_frame_bytes_;
  std::vector<uint8_t> buffer_;
  // Start of the bytes not yet handed out.
  size_t consumed_ = 0;
  std::span<const uint8_t> frame_;
  uint32_t claimed_length_ = 0;
  Next error_ = Next::kNeedMore;
};

// Appends the 4-byte little-endian prefix for a `length`-byte message.
void AppendFrameHeader(uint32_t length, std::string& out);

// A whole frame: prefix + `message`. REQUIRES: message.size() < 2^32
std::string MakeFrame(std::string_view message);

}  // namespace evlog::server
