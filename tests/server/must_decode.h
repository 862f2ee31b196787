// MustDecode: the protocol tests' one way to decode a frame they encoded,
// and to build and refuse a message no encoder would produce.

#pragma once

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <variant>
#include <vector>

#include "evlog/schema/protocol_generated.h"
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

inline Request MustDecodeRequest(const std::string& frame) {
  return MustDecode<Request>(frame, DecodeRequest);
}

inline Response MustDecodeResponse(const std::string& frame) {
  return MustDecode<Response>(frame, DecodeResponse);
}

// The error DecodeRequest gives `message`; a test failure if it decodes.
inline ProtocolError MustFailRequest(std::span<const uint8_t> message) {
  auto decoded = DecodeRequest(message);
  if (!std::holds_alternative<ProtocolError>(decoded)) {
    ADD_FAILURE() << "decoded a message that should have failed";
    return ProtocolError{};
  }
  return std::get<ProtocolError>(decoded);
}

// A Message built by hand, for bodies the encoders would never produce:
// `build(b)` returns the body's type and offset.
template <class Build>
std::vector<uint8_t> RawMessage(uint64_t id, Build build) {
  flatbuffers::FlatBufferBuilder b;
  auto [type, body] = build(b);
  b.Finish(::evlog::protocol::CreateMessage(b, id, type, body));
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

}  // namespace evlog::server
