// FaultStoreTest: a store whose file I/O goes through a FaultFs, and the
// checks the fault and power-loss tests share: every acknowledged event is
// where its append said, and the store is a consistent prefix of its log.

#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "fault_fs.h"
#include "testutil/temp_dir.h"

namespace evlog::testutil {

// One acknowledged event.
struct Acked {
  std::string stream;
  Uuid id;
  Version version;
  Position position;
};

class FaultStoreTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens the store at path() through fs_, asserting success.
  void Open(const Options& options = Options{});
  // Closes the store (if open) and opens it again.
  void Reopen(const Options& options = Options{});
  // Simulates a power loss: the file system stops, the store is closed,
  // every file is cut back to what was synced.
  void CutPower();

  // Appends `count` one-event appends to `stream` and records them in acked_.
  void AppendAcked(const std::string& stream, int count, Durability durability);

  // Appends with kSync from `threads` threads, recording every acknowledged
  // event, until an append fails (it must be an IOError) or the power is
  // off. Calls `then` once `acks` appends were acknowledged (or every thread
  // stopped), and returns when every thread has.
  void AppendFromThreads(int threads, int acks, const std::function<void()>& then);

  // Every event of acked_ is in the log at its position with its stream,
  // version and id.
  void ExpectAckedPresent();
  // Positions 1..LastPosition() without a gap, versions 1..N per stream,
  // and stream, category and type reads agreeing with the log.
  void ExpectConsistentPrefix();

  std::string path() const { return dir_.Sub("store"); }

  TempDir dir_;
  std::shared_ptr<FaultFs> fs_ = std::make_shared<FaultFs>();
  std::unique_ptr<Store> store_;
  std::mutex acked_mu_;
  std::vector<Acked> acked_;
};

}  // namespace evlog::testutil
