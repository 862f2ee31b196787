#include "torture/ack.h"

#include <sstream>

#include "harness/op_event_id.h"

namespace evlog::torture {

Uuid EventId(uint64_t op, uint32_t k) { return harness::OpEventId(op, k, 0x7e); }

std::string FormatAck(const Ack& ack) {
  std::string line = "ack " + std::to_string(ack.op);
  for (const AckedStream& s : ack.streams) {
    line += " " + s.stream + " " + std::to_string(s.first_version.value()) + " " +
            std::to_string(s.last_version.value()) + " " +
            std::to_string(s.first_position.value()) + " " +
            std::to_string(s.last_position.value());
  }
  return line + "\n";
}

bool ParseAck(const std::string& line, Ack* ack) {
  std::istringstream in(line);
  std::string word;
  if (!(in >> word) || word != "ack" || !(in >> ack->op)) return false;
  ack->streams.clear();
  AckedStream s;
  uint64_t fv, lv, fp, lp;
  while (in >> s.stream) {
    if (!(in >> fv >> lv >> fp >> lp) || fv == 0 || lv < fv || fp == 0 || lp < fp ||
        lp - fp != lv - fv) {
      return false;
    }
    s.first_version = Version(fv);
    s.last_version = Version(lv);
    s.first_position = Position(fp);
    s.last_position = Position(lp);
    ack->streams.push_back(s);
  }
  return !ack->streams.empty();
}

AppendRequest RebuildAppend(const Ack& ack) {
  AppendRequest request{.durability = Durability::kSync};
  uint32_t k = 0;
  for (const AckedStream& s : ack.streams) {
    StreamAppend& sa = request.streams.emplace_back();
    sa.stream = s.stream;
    for (uint64_t v = s.first_version.value(); v <= s.last_version.value(); ++v, ++k) {
      sa.events.push_back(
          EventData{.type = kEventType, .data = std::to_string(ack.op), .id = EventId(ack.op, k)});
    }
  }
  return request;
}

Ack AckOf(uint64_t op, const AppendResult& result) {
  Ack ack{.op = op};
  for (const StreamAppendResult& s : result.streams) {
    ack.streams.push_back(
        AckedStream{s.stream, s.first_version, s.last_version, s.first_position, s.last_position});
  }
  return ack;
}

bool SameResult(const Ack& a, const Ack& b) {
  if (a.streams.size() != b.streams.size()) return false;
  for (size_t i = 0; i < a.streams.size(); ++i) {
    const AckedStream &x = a.streams[i], &y = b.streams[i];
    if (x.stream != y.stream || x.first_version != y.first_version ||
        x.last_version != y.last_version || x.first_position != y.first_position ||
        x.last_position != y.last_position) {
      return false;
    }
  }
  return true;
}

}  // namespace evlog::torture
