// Runs each example application; each checks its own invariants and exits 0
// only if they hold.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>

#include "testutil/temp_dir.h"

namespace {

int RunExample(const std::string& binary, const std::string& store) {
  int status = std::system((binary + " " + store + " > /dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Examples, InventoryNeverOversellsWithEightClerks) {
  evlog::testutil::TempDir dir;
  EXPECT_EQ(RunExample(EXAMPLE_INVENTORY, dir.Sub("store")), 0);
}

TEST(Examples, PriceHistoryRebuildsToTheSameModel) {
  evlog::testutil::TempDir dir;
  EXPECT_EQ(RunExample(EXAMPLE_PRICE_HISTORY, dir.Sub("store")), 0);
}

TEST(Examples, CdcMapperMapsEveryChangeOnceDespiteRetries) {
  evlog::testutil::TempDir dir;
  EXPECT_EQ(RunExample(EXAMPLE_CDC_MAPPER, dir.Sub("store")), 0);
}

}  // namespace
