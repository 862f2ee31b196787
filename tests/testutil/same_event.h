// ExpectSameEvent: every field of an event read back, against the one it
// should be (a feed against ReadAll, a decoded wire event against the one
// encoded).

#pragma once

#include <gtest/gtest.h>

#include "evlog/types.h"

namespace evlog::testutil {

inline void ExpectSameEvent(const OwnedEvent& got, const OwnedEvent& want) {
  EXPECT_EQ(got.position, want.position);
  EXPECT_EQ(got.stream, want.stream);
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.data, want.data);
  EXPECT_EQ(got.metadata, want.metadata);
  EXPECT_EQ(got.tags, want.tags);
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.timestamp_us, want.timestamp_us);
  EXPECT_EQ(got.content_type, want.content_type);
}

}  // namespace evlog::testutil
