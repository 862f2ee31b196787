#include "hosted_state.h"

#include "checkpoint.h"
#include "keys.h"

namespace evlog::hosted {

namespace {

constexpr size_t kAttemptSize = 12;

Status BadSize(std::string_view name, std::string_view what, size_t size, size_t unit) {
  return Status::Corruption("hosted subscription '" + std::string(name) +
                            "': " + std::string(what) + " of " + std::to_string(size) +
                            " bytes, not a multiple of " + std::to_string(unit));
}

}  // namespace

std::string EncodeHandled(const std::set<uint64_t>& handled) {
  std::string value(handled.size() * 8, '\0');
  char* out = value.data();
  for (uint64_t p : handled) {
    keys::PutU64BE(out, p);
    out += 8;
  }
  return value;
}

Status LoadHandled(const Db& db, std::string_view name, uint64_t checkpoint,
                   std::set<uint64_t>* out) {
  auto value = checkpoint::GetValue(db, keys::HandledKey(name));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status::OK();
  const std::string& bytes = **value;
  if (bytes.size() % 8 != 0) return BadSize(name, "handled positions", bytes.size(), 8);
  for (size_t i = 0; i < bytes.size(); i += 8) {
    const uint64_t p = keys::GetU64BE(bytes.data() + i);
    if (p > checkpoint) out->insert(p);
  }
  return Status::OK();
}

std::string EncodeAttempts(const std::map<uint64_t, uint32_t>& attempts) {
  std::string value(attempts.size() * kAttemptSize, '\0');
  char* out = value.data();
  for (const auto& [position, attempt] : attempts) {
    keys::PutU64BE(out, position);
    for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<char>(attempt >> (8 * (3 - i)));
    out += kAttemptSize;
  }
  return value;
}

Status LoadAttempts(const Db& db, std::string_view name, std::map<uint64_t, uint32_t>* out) {
  auto value = checkpoint::GetValue(db, keys::AttemptsKey(name));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status::OK();
  const std::string& bytes = **value;
  if (bytes.size() % kAttemptSize != 0) {
    return BadSize(name, "delivery counts", bytes.size(), kAttemptSize);
  }
  for (size_t i = 0; i < bytes.size(); i += kAttemptSize) {
    const uint64_t p = keys::GetU64BE(bytes.data() + i);
    uint32_t attempt = 0;
    for (int b = 0; b < 4; ++b) attempt = (attempt << 8) | static_cast<uint8_t>(bytes[i + 8 + b]);
    if (attempt > 0) (*out)[p] = attempt;
  }
  return Status::OK();
}

}  // namespace evlog::hosted
