// libFuzzer target: the evlogd protocol decoder on arbitrary messages, as a
// request and as a response. It must never crash; a request that decodes
// must survive encode -> decode unchanged in kind and id.

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <variant>

#include "protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> message(data, size);
  auto request = evlog::server::DecodeRequest(message);
  if (auto* decoded = std::get_if<evlog::server::Request>(&request)) {
        // EncodeRequest makes a whole frame: skip its 4-byte length prefix.
    const std::string again = evlog::server::EncodeRequest(*decoded);
    if (again.size() < 4) std::abort();
    auto round = evlog::server::DecodeRequest(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(again.data()) + 4, again.size() - 4));
    auto* back = std::get_if<evlog::server::Request>(&round);
    if (back == nullptr || back->request_id != decoded->request_id ||
        back->body.index() != decoded->body.index()) {
      std::abort();
    }
  }
  (void)evlog::server::DecodeResponse(message);
  return 0;
}
