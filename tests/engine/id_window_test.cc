// IdWindow (engine/id_window.h): the in-memory window of caller ids that
// answers duplicate lookups. Each test checks one bound or rule against the
// positions it must (or must not) return.

#include "id_window.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace evlog {
namespace {

constexpr int64_t kDay = int64_t{24} * 3600 * 1'000'000;
constexpr int64_t kNow = int64_t{1'800'000'000} * 1'000'000;

Uuid IdOf(uint64_t n) {
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  return Uuid(bytes);
}

std::vector<uint64_t> Candidates(IdWindow& w, const Uuid& id, uint64_t last, int64_t now = kNow) {
  std::vector<uint64_t> out;
  w.Candidates(id, last, now, &out);
  return out;
}

TEST(IdWindow, AnAddedIdIsACandidateAtItsPositionAndOthersAreNot) {
  IdWindow w(1000, kDay);
  w.Add(IdOf(1), 5, kNow);
  w.Add(IdOf(2), 6, kNow);
  EXPECT_EQ(Candidates(w, IdOf(1), 6), std::vector<uint64_t>{5});
  EXPECT_EQ(Candidates(w, IdOf(2), 6), std::vector<uint64_t>{6});
  EXPECT_TRUE(Candidates(w, IdOf(3), 6).empty());
  EXPECT_EQ(w.size(), 2u);
}

TEST(IdWindow, AnIdAddedTwiceGivesBothPositionsNewestFirst) {
  IdWindow w(1000, kDay);
  w.Add(IdOf(1), 3, kNow);
  w.Add(IdOf(1), 9, kNow);
  EXPECT_EQ(Candidates(w, IdOf(1), 9), (std::vector<uint64_t>{9, 3}));
}

TEST(IdWindow, IdsStagedAboveTheCommittedPositionAreNotCandidates) {
  IdWindow w(1000, kDay);
  w.Add(IdOf(1), 4, kNow);
  EXPECT_TRUE(Candidates(w, IdOf(1), 3).empty());
  EXPECT_EQ(Candidates(w, IdOf(1), 4), std::vector<uint64_t>{4});
}

TEST(IdWindow, IdsStagedAboveTheCommittedPositionAreReportedApartWhenAsked) {
  IdWindow w(3, kDay);
  w.Add(IdOf(1), 1, kNow);
  w.Add(IdOf(1), 2, kNow);
  w.Add(IdOf(2), 3, kNow);
  w.Add(IdOf(1), 5, kNow);  // staged, with 4 and 6
  w.Add(IdOf(3), 4, kNow);
  w.Add(IdOf(1), 6, kNow);
  std::vector<uint64_t> committed, staged;
  // At 3 with a window of 3, position 1 is still inside (3 - 1 < 3).
  w.Candidates(IdOf(1), 3, kNow, &committed, &staged);
  EXPECT_EQ(committed, (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(staged, (std::vector<uint64_t>{6, 5}));
  w.Candidates(IdOf(2), 3, kNow, &committed, &staged);
  EXPECT_EQ(committed, std::vector<uint64_t>{3});
  EXPECT_TRUE(staged.empty());
}

TEST(IdWindow, TheCountBoundEvictsIdsThatLeftTheWindow) {
  IdWindow w(2, kDay);
  w.Add(IdOf(1), 1, kNow);
  w.Add(IdOf(2), 2, kNow);
  EXPECT_EQ(Candidates(w, IdOf(1), 2), std::vector<uint64_t>{1});  // 2 - 1 < 2
  EXPECT_TRUE(Candidates(w, IdOf(1), 3).empty());                  // 3 - 1 = 2
  EXPECT_EQ(w.size(), 1u);
  w.Add(IdOf(3), 10, kNow);
  EXPECT_TRUE(Candidates(w, IdOf(2), 10).empty());
  EXPECT_EQ(w.size(), 1u);
}

// A group stages ids far past the committed position, then its write
// fails: the ids inside the window as seen from the committed position
// must still be there.
TEST(IdWindow, StagingFarAheadThenUndoKeepsTheCommittedWindow) {
  IdWindow w(2, kDay);
  w.Add(IdOf(4), 4, kNow);
  w.Add(IdOf(5), 5, kNow);
  for (uint64_t p = 6; p <= 8; ++p) {
    EXPECT_TRUE(Candidates(w, IdOf(p), 5).empty());
    w.Add(IdOf(p), p, kNow + 1);
  }
  w.Undo(6);
  EXPECT_EQ(Candidates(w, IdOf(4), 5), std::vector<uint64_t>{4});
  EXPECT_EQ(Candidates(w, IdOf(5), 5), std::vector<uint64_t>{5});
  EXPECT_TRUE(Candidates(w, IdOf(7), 5).empty());
}

TEST(IdWindow, TheAgeBoundEvictsIdsCommittedTooLongAgo) {
  IdWindow w(1000, kDay);
  w.Add(IdOf(1), 1, kNow - kDay);      // exactly one window old: out
  w.Add(IdOf(2), 2, kNow - kDay + 1);  // just inside
  w.Add(IdOf(3), 3, kNow);
  EXPECT_TRUE(Candidates(w, IdOf(1), 3).empty());
  EXPECT_EQ(Candidates(w, IdOf(2), 3), std::vector<uint64_t>{2});
  EXPECT_EQ(w.size(), 2u);
  EXPECT_TRUE(Candidates(w, IdOf(2), 3, kNow + 1).empty());
  EXPECT_EQ(Candidates(w, IdOf(3), 3, kNow + 1), std::vector<uint64_t>{3});
  EXPECT_EQ(w.size(), 1u);
}

TEST(IdWindow, AfterAClockStepBackEachIdIsJudgedByItsOwnCommitTime) {
  IdWindow w(1000, kDay);
  w.Add(IdOf(1), 1, kNow);
  w.Add(IdOf(2), 2, kNow - 2 * kDay);  // the clock stepped back
  EXPECT_EQ(Candidates(w, IdOf(1), 2), std::vector<uint64_t>{1});
  EXPECT_TRUE(Candidates(w, IdOf(2), 2).empty());
}

TEST(IdWindow, UndoForgetsTheIdsOfAFailedGroupOnly) {
  IdWindow w(1000, kDay);
  w.Add(IdOf(1), 1, kNow);
  w.Add(IdOf(2), 2, kNow + 1);
  w.Add(IdOf(3), 3, kNow + 1);
  w.Undo(2);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_TRUE(Candidates(w, IdOf(2), 3).empty());
  EXPECT_EQ(Candidates(w, IdOf(1), 3), std::vector<uint64_t>{1});
  // The positions are staged again by the next group, at another time.
  w.Add(IdOf(4), 2, kNow + 2);
  EXPECT_EQ(Candidates(w, IdOf(4), 2, kNow + kDay + 1), std::vector<uint64_t>{2});
  EXPECT_TRUE(Candidates(w, IdOf(1), 2, kNow + kDay + 1).empty());
}

TEST(IdWindow, AWindowOfZeroHoldsNothing) {
  IdWindow by_count(0, kDay), by_age(1000, 0);
  by_count.Add(IdOf(1), 1, kNow);
  by_age.Add(IdOf(1), 1, kNow);
  EXPECT_TRUE(Candidates(by_count, IdOf(1), 1).empty());
  EXPECT_TRUE(Candidates(by_age, IdOf(1), 1).empty());
  EXPECT_EQ(by_count.size() + by_age.size(), 0u);
}

// Against a plain map, used as the writer uses the window: groups stage
// ids above the committed position after asking for each, then commit or
// undo. Growth, eviction and undo keep every id inside the window findable
// and nothing else, so the index's deletions never cut a probe chain.
TEST(IdWindow, RandomGroupsAgreeWithAPlainMap) {
  constexpr uint64_t kWindow = 500;
  IdWindow w(kWindow, kDay, /*seed=*/42);
  std::map<uint64_t, uint64_t> reference;  // position -> id number
  std::mt19937_64 rng(7);
  uint64_t committed = 0;
  const auto expect = [&](uint64_t n, int round) {
    std::vector<uint64_t> want;
    for (auto it = reference.upper_bound(committed); it != reference.begin();) {
      --it;
      if (committed - it->first >= kWindow) break;
      if (it->second == n) want.push_back(it->first);
    }
    ASSERT_EQ(Candidates(w, IdOf(n), committed), want) << "round " << round;
  };
  for (int round = 0; round < 4000; ++round) {
    const uint64_t staged = rng() % 40;
    for (uint64_t k = 0; k < staged; ++k) {
      const uint64_t n = rng() % 3000;  // repeats happen
      ASSERT_NO_FATAL_FAILURE(expect(n, round));
      const uint64_t p = committed + 1 + k;
      w.Add(IdOf(n), p, kNow);
      reference[p] = n;
    }
    if (rng() % 4 == 0) {
      w.Undo(committed + 1);
      reference.erase(reference.upper_bound(committed), reference.end());
    } else {
      committed += staged;
    }
  }
  EXPECT_LE(w.size(), kWindow + 40);
}

TEST(IdWindow, HoldsAbout32BytesPerId) {
  IdWindow w(uint64_t{1} << 20, kDay);
  constexpr uint64_t kIds = uint64_t{1} << 16;
  for (uint64_t p = 1; p <= kIds; ++p) w.Add(IdOf(p), p, kNow);
  EXPECT_EQ(w.size(), kIds);
  EXPECT_LE(w.MemoryBytes(), 33 * kIds);
  EXPECT_EQ(Candidates(w, IdOf(12345), kIds), std::vector<uint64_t>{12345});
}

// The index keeps a fingerprint's low 32 bits to skip other ids without
// reading the ring: two ids that share those bits but not the rest must
// each find only itself, before and after the other leaves the window.
TEST(IdWindow, IdsWhoseFingerprintsShareTheLow32BitsAreStillTold) {
  IdWindow w(3, kDay, /*seed=*/42);
  std::map<uint32_t, uint64_t> seen;  // low 32 bits -> id number
  uint64_t a = 0, b = 0;
  for (uint64_t n = 1; n < (uint64_t{1} << 22) && b == 0; ++n) {
    const uint64_t f = w.Fingerprint(IdOf(n));
    auto [it, inserted] = seen.emplace(static_cast<uint32_t>(f), n);
    if (!inserted && w.Fingerprint(IdOf(it->second)) != f) a = it->second, b = n;
  }
  ASSERT_NE(b, 0u) << "no two ids share the low 32 bits of their fingerprints";
  w.Add(IdOf(a), 1, kNow);
  w.Add(IdOf(b), 2, kNow);
  EXPECT_EQ(Candidates(w, IdOf(a), 2), std::vector<uint64_t>{1});
  EXPECT_EQ(Candidates(w, IdOf(b), 2), std::vector<uint64_t>{2});
  w.Add(IdOf(7), 3, kNow);
  w.Add(IdOf(8), 4, kNow);  // at 4, position 1 has left a window of 3
  EXPECT_TRUE(Candidates(w, IdOf(a), 4).empty());
  EXPECT_EQ(Candidates(w, IdOf(b), 4), std::vector<uint64_t>{2});
}

}  // namespace
}  // namespace evlog
