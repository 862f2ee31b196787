#include "frame.h"

#include <cstring>

namespace evlog::server {

FrameParser::FrameParser(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

void FrameParser::Feed(std::span<const uint8_t> bytes) {
  if (error_ != Next::kNeedMore) return;  // An error is final; drop the rest.
  // Compact before growing, so a long pipelined session does not keep every
  // frame it ever received.
  if (consumed_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  frame_ = {};
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

FrameParser::Next FrameParser::Parse() {
  if (error_ != Next::kNeedMore) return error_;
  frame_ = {};
  const size_t available = buffer_.size() - consumed_;
  if (available < kFrameHeaderBytes) return Next::kNeedMore;
  const uint8_t* p = buffer_.data() + consumed_;
  const uint32_t length = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                          static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  if (length == 0 || length > max_frame_bytes_) {
    claimed_length_ = length;
    error_ = length == 0 ? Next::kEmptyFrame : Next::kFrameTooLarge;
    return error_;
  }
  if (available - kFrameHeaderBytes < length) return Next::kNeedMore;
  frame_ = std::span<const uint8_t>(p + kFrameHeaderBytes, length);
  consumed_ += kFrameHeaderBytes + length;
  return Next::kFrame;
}

void AppendFrameHeader(uint32_t length, std::string& out) {
  const char header[kFrameHeaderBytes] = {
      static_cast<char>(length & 0xff), static_cast<char>((length >> 8) & 0xff),
      static_cast<char>((length >> 16) & 0xff), static_cast<char>((length >> 24) & 0xff)};
  out.append(header, kFrameHeaderBytes);
}

std::string MakeFrame(std::string_view message) {
  std::string out;
  out.reserve(kFrameHeaderBytes + message.size());
  AppendFrameHeader(static_cast<uint32_t>(message.size()), out);
  out.append(message);
  return out;
}

}  // namespace evlog::server
