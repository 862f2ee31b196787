// MustDecode: the protocol tests' one way to decode a frame they encoded.

#pragma once

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "frame.h"
#include "protocol.h"

namespace evlog::server {

// The message of a complete frame (prefix stripped), in an aligned copy.
inline std::vector<uint8_t> MessageOf(const std::string& frame) {
  return std::vector<uint8_t>(frame.begin() + kFrameHeaderBytes, frame.end());
}

// What `decode` (DecodeRequest, DecodeResponse) makes of a complete frame;
// a test failure, and an empty message, if it does not decode.
template <class Message, class Decode>
Message MustDecode(const std::string& frame, Decode decode) {
  const std::vector<uint8_t> m = MessageOf(frame);
  auto decoded = decode(m);
  if (auto* e = std::get_if<ProtocolError>(&decoded)) {
    ADD_FAILURE() << "decode failed: " << e->message;
    return Message{};
  }
  return std::get<Message>(std::move(decoded));
}

}  // namespace evlog::server
