// Power loss: FaultFs cuts every file back to what was synced, as a disk
// would hold it after the power came back. With Durability::kSync nothing
// acknowledged may be lost; with kBuffered the store must reopen as a
// consistent prefix of its log, never corrupt.

#include <gtest/gtest.h>

#include "fault_fixture.h"
#include "testutil/store_fixture.h"

namespace evlog::testutil {
namespace {

using PowerLoss = FaultStoreTest;

// The background sync never runs on its own within a test.
const Options kNoBackgroundSync{.buffered_sync_interval_ms = 3'600'000};

TEST_F(PowerLoss, SyncAppendsFromManyThreadsSurviveDroppingUnsyncedData) {
  AppendFromThreads(4, 300, [&] { fs_->PowerOff(); });
  store_.reset();
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  Open();
  EXPECT_GE(acked_.size(), 300u);
  ExpectAckedPresent();
  ExpectConsistentPrefix();
}

TEST_F(PowerLoss, SyncAppendsSurviveWhileBufferedOnesAfterThemMayGo) {
  Reopen(kNoBackgroundSync);
  AppendAcked("order-1", 20, Durability::kSync);
  std::vector<Acked> synced = acked_;
  AppendAcked("order-1", 30, Durability::kBuffered);
  AppendAcked("cart-1", 30, Durability::kBuffered);
  CutPower();
  EXPECT_GT(fs_->dropped_bytes(), 0u) << "the buffered appends were never unsynced";
  Open(kNoBackgroundSync);
  acked_ = synced;
  ExpectAckedPresent();
  ExpectConsistentPrefix();
  EXPECT_GE(store_->LastPosition(), Position(20));
  // The store takes appends again, after whatever survived.
  AppendAcked("order-1", 1, Durability::kSync);
  ExpectConsistentPrefix();
}

// Buffered appends interleaved with flushes (memtables written to table
// files and the manifest) and syncs at several points: whatever the power
// loss cuts, the store reopens as a prefix of its log.
TEST_F(PowerLoss, BufferedStoreReopensAsAConsistentPrefix) {
  Options small_memtables = kNoBackgroundSync;
  small_memtables.write_buffer_bytes = 64 << 10;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    Reopen(small_memtables);
    const uint64_t before = store_->LastPosition().value();
    for (int i = 0; i < 400; ++i) {
      std::string stream = (i % 2 ? "order-" : "cart-") + std::to_string(i % 7);
      auto r = store_->Append(stream, ExpectedVersion::Any(),
                              {Ev(i % 3 ? "Added" : "Removed", std::string(200, 'p'))},
                              Durability::kBuffered);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (i == 100 * (round + 1)) ASSERT_OK(store_->Sync());
    }
    const uint64_t synced_at_least = before + 100 * (round + 1) + 1;
    CutPower();
    Open(small_memtables);
    EXPECT_GE(store_->LastPosition().value(), synced_at_least);
    ExpectConsistentPrefix();
  }
}

// The store opens with RocksDB's kTolerateCorruptedTailRecords, so that a
// damaged WAL is refused rather than silently cut (Corruption.*). A WAL whose
// last write the power loss tore must still open, as the prefix before it.
TEST_F(PowerLoss, WalTornInItsLastWriteStillOpens) {
  for (double keep : {0.3, 0.5, 0.9}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of the unsynced bytes");
    Reopen(kNoBackgroundSync);
    AppendAcked("order-1", 10, Durability::kSync);
    std::vector<Acked> synced = acked_;
    // One large unsynced append: cutting it anywhere tears a WAL record.
    std::vector<EventData> batch;
    for (int i = 0; i < 50; ++i) batch.push_back(Ev("Added", std::string(500, 'b')));
    ASSERT_OK(
        store_->Append("order-1", ExpectedVersion::Any(), std::move(batch), Durability::kBuffered)
            .status());
    fs_->PowerOff();
    store_.reset();
    ASSERT_TRUE(fs_->DropUnsyncedData(keep).ok());
    Open(kNoBackgroundSync);
    acked_ = synced;
    ExpectAckedPresent();
    ExpectConsistentPrefix();
    AppendAcked("order-1", 1, Durability::kSync);
  }
}

}  // namespace
}  // namespace evlog::testutil
