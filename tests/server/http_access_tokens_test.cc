// AccessTokens: what POST /token issues and ?access_token= is checked
// against.

#include "http_access_tokens.h"

#include <gtest/gtest.h>

#include <set>

namespace evlog::server {
namespace {

using Clock = AccessTokens::Clock;

TEST(AccessTokens, AnIssuedTokenIsValidUntilItsLifetimeEnds) {
  AccessTokens tokens;
  const Clock::time_point t0 = Clock::now();
  const std::string token = tokens.Issue(t0);
  ASSERT_EQ(token.size(), 64u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
  EXPECT_TRUE(tokens.Valid(token, t0));
  EXPECT_TRUE(tokens.Valid(token, t0 + AccessTokens::kLifetime - std::chrono::seconds(1)));
  EXPECT_FALSE(tokens.Valid(token, t0 + AccessTokens::kLifetime));
}

TEST(AccessTokens, OnlyIssuedTokensAreValid) {
  AccessTokens tokens;
  const std::string token = tokens.Issue();
  std::string other = token;
  other[10] = other[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(tokens.Valid(other));
  EXPECT_FALSE(tokens.Valid(token.substr(0, 63)));
  EXPECT_FALSE(tokens.Valid(""));
  EXPECT_FALSE(AccessTokens().Valid(token));  // another daemon's
}

TEST(AccessTokens, TokensDifferAndAtMostMaxLiveAreKept) {
  AccessTokens tokens;
  const Clock::time_point t0 = Clock::now();
  std::set<std::string> issued;
  const std::string first = tokens.Issue(t0);
  issued.insert(first);
  for (size_t i = 1; i < AccessTokens::kMaxLive; ++i) issued.insert(tokens.Issue(t0));
  EXPECT_EQ(issued.size(), AccessTokens::kMaxLive);
  EXPECT_TRUE(tokens.Valid(first, t0));
  // One more forgets the oldest.
  const std::string last = tokens.Issue(t0);
  EXPECT_FALSE(tokens.Valid(first, t0));
  EXPECT_TRUE(tokens.Valid(last, t0));
}

}  // namespace
}  // namespace evlog::server
