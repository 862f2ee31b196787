// FeedStoreTest: a StoreTest whose tests open change feeds.

#pragma once

#include <memory>

#include "evlog/change_feed.h"
#include "testutil/store_fixture.h"

namespace evlog::testutil {

class FeedStoreTest : public StoreTest {
 protected:
  // A feed of the store with `options`; nullptr (and a failed test) if it
  // does not open.
  std::unique_ptr<ChangeFeed> Open(ChangeFeedOptions options) {
    auto feed = store_->OpenFeed(options);
    EXPECT_TRUE(feed.ok()) << feed.status().ToString();
    return feed.ok() ? std::move(feed).value() : nullptr;
  }
};

}  // namespace evlog::testutil
