// The public headers: what a user must not call is not public.

#include <gtest/gtest.h>

#include <memory>
#include <type_traits>

#include "evlog/change_feed.h"
#include "evlog/snapshot.h"
#include "evlog/store.h"
#include "evlog/subscription.h"
#include "evlog/view.h"

namespace evlog {
namespace {

TEST(PublicHeaders, InternalConstructorsAreNotPublic) {
  // Each object is made by its Store call, never from its internal state.
  static_assert(!std::is_constructible_v<View, std::unique_ptr<View::Rep>>);
  static_assert(!std::is_constructible_v<ChangeFeed, std::unique_ptr<ChangeFeed::Rep>>);
  static_assert(!std::is_constructible_v<Subscription, std::unique_ptr<Subscription::Rep>>);
  static_assert(!std::is_constructible_v<Snapshotter, std::unique_ptr<Snapshotter::Rep>>);
  static_assert(!std::is_constructible_v<Snapshotter, std::unique_ptr<Subscription>>);
  static_assert(!std::is_copy_constructible_v<Snapshotter>);
  SUCCEED();
}

}  // namespace
}  // namespace evlog
