// Raw RocksDB (raw_rocksdb.h) as a bench target: what a user would build on
// RocksDB directly. One append at a time per thread; RocksDB groups
// concurrent writers' WAL syncs itself.

#include <chrono>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "bench_util.h"
#include "raw_rocksdb.h"
#include "target.h"

namespace evlog::bench {
namespace {

// The envelope before the stream name: position, version, timestamp, id.
constexpr size_t kEnvelopeBytes = 8 + 8 + 8 + 16;

class RocksDbTarget final : public Target {
 public:
  RocksDbTarget(const std::string& dir, const TargetOptions& options)
      : log_(dir), sync_(options.sync), event_ids_(options.event_ids) {}

  int64_t AppendRoundRobin(const StreamSet& streams, int64_t appends, bool sync, bool,
                           LatencySink sink, void* sink_context) override {
    return RoundRobin(streams, appends, sink, sink_context,
                      [&](const std::string& name, uint64_t n, uint64_t expected) {
                        if (!event_ids_) {
                          return log_.Append(name, expected, kEventType, Payload(), sync);
                        }
                        const auto id = EventId(n, expected + 1);
                        return log_.AppendWithId(
                            name, expected,
                            std::string_view(reinterpret_cast<const char*>(id.data()), id.size()),
                            kEventType, Payload(), sync);
                      });
  }

  int64_t AppendBatches(uint64_t stream, int64_t appends, int batch, bool) override {
    std::string name;
    StreamName(stream, &name);
    int64_t failed = 0;
    for (int64_t i = 0; i < appends; ++i) {
      if (!log_.AppendBatch(name, static_cast<uint64_t>(i * batch), kEventType, Payload(), batch,
                            sync_)) {
        ++failed;
      }
    }
    return failed;
  }

  void Load(int64_t events, uint64_t streams) override {
    std::vector<std::string> names;
    for (int64_t i = 0; i < events;) {
      names.clear();
      for (int k = 0; k < 1000 && i < events; ++k, ++i) {
        StreamName(static_cast<uint64_t>(i) % streams, &names.emplace_back());
      }
      if (!log_.AppendEach(names, kEventType, Payload())) {
        throw std::runtime_error("load: write failed");
      }
    }
  }

  void Settle() override {
    if (!log_.Compact()) throw std::runtime_error("compaction failed");
  }

  int64_t ReadStream(uint64_t stream) override {
    std::string name;
    StreamName(stream, &name);
    int64_t n = 0;
    uint64_t previous = 0;
    bool in_order = true;
    bool ok = log_.ReadStream(name, [&](std::string_view record) {
      if (record.size() < kEnvelopeBytes) {
        in_order = false;
        return;
      }
      const uint64_t version = GetU64BE(record.data() + 8);
      in_order = in_order && version == previous + 1;
      previous = version;
      ++n;
    });
    return ok && in_order ? n : -1;
  }

  int64_t ScanAll() override {
    int64_t n = 0;
    uint64_t previous = 0;
    bool in_order = true;
    bool ok = log_.ScanLog([&](std::string_view record) {
      if (record.size() < kEnvelopeBytes) {
        in_order = false;
        return;
      }
      const uint64_t position = GetU64BE(record.data());
      in_order = in_order && position > previous;
      previous = position;
      ++n;
    });
    return ok && in_order ? n : -1;
  }

 private:
  RawLog log_;
  bool sync_;
  bool event_ids_;
};

}  // namespace

std::unique_ptr<Target> OpenRocksDbTarget(const std::string& dir, const TargetOptions& options) {
  return std::make_unique<RocksDbTarget>(dir, options);
}

}  // namespace evlog::bench
