// `by_tag` has a prefix bloom filter on the tag: a read by tag seeks in
// prefix mode and skips the sorted runs without the tag. Tags that share
// leading bytes with other tags, or that are missing from some runs, still
// read exactly their events; verify still walks every tag's postings.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "keys.h"
#include "testutil/raw_rocks.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::StoreTest;
using testutil::Tagged;
using TagPrefixFilter = StoreTest;
using P = std::vector<uint64_t>;

Query ByTag(std::string tag) { return Query{.items = {QueryItem{.tags = {std::move(tag)}}}}; }

P Positions(const Result<QueryResult>& r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  P out;
  if (r.ok()) {
    for (const OwnedEvent& e : r->events) out.push_back(e.position.value());
  }
  return out;
}

// Tags whose keys share leading bytes: one a prefix of another, a NUL
// after a shorter one, a length byte equal to another tag's first byte.
const std::vector<std::string>& Tags() {
  static const std::vector<std::string> tags = {
      "a", "ab", "abc", std::string("a\0", 2), "b", std::string("\x02", 1) + "ab", "abd"};
  return tags;
}

TEST_F(TagPrefixFilter, TagsSharingLeadingBytesReadExactlyTheirEventsFromEverySortedRun) {
  std::map<std::string, P> expected;
  uint64_t position = 0;
  // Round r writes tag i when (i + r) % 3 != 0, so each run lacks some
  // tags. Run 0 ends compacted, run 1 in an L0 file (flushed at reopen),
  // run 2 in the memtable.
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < Tags().size(); ++i) {
      if ((i + static_cast<size_t>(round)) % 3 == 0) continue;
      ASSERT_OK(store_->Append("s-" + std::to_string(i), ExpectedVersion::Any(),
                               {Tagged("T", {Tags()[i]})})
                    .status());
      expected[Tags()[i]].push_back(++position);
    }
    if (round == 0) ASSERT_OK(store_->Compact());
    if (round == 1) Reopen();
  }
  for (const std::string& tag : Tags()) {
    SCOPED_TRACE(testing::PrintToString(tag));
    EXPECT_EQ(Positions(store_->Read(ByTag(tag))), expected[tag]);
    P backward = expected[tag];
    std::reverse(backward.begin(), backward.end());
    EXPECT_EQ(Positions(store_->Read(ByTag(tag), {.direction = Direction::kBackward})), backward);
    // From the middle: a seek inside the tag's postings, forward and back.
    const uint64_t middle = expected[tag][expected[tag].size() / 2];
    auto from = store_->Read(ByTag(tag), {.from = Position(middle), .max_count = 1});
    EXPECT_EQ(Positions(from), P{middle});
    from = store_->Read(ByTag(tag),
                        {.from = Position(middle), .max_count = 1, .direction = Direction::kBackward});
    EXPECT_EQ(Positions(from), P{middle});
  }
  // A tag nowhere, one that is a prefix of stored tags' bytes, one past them.
  for (const std::string& tag : {std::string("zz"), std::string("abcd"), std::string("\x01")}) {
    auto none = store_->Read(ByTag(tag));
    EXPECT_EQ(Positions(none), P{});
    EXPECT_EQ(none->head, Position(position));
  }
  // Two tags ANDed and ORed, across runs.
  Query either{.items = {QueryItem{.tags = {"a"}}, QueryItem{.tags = {"ab"}}}};
  P merged = expected["a"];
  merged.insert(merged.end(), expected["ab"].begin(), expected["ab"].end());
  std::sort(merged.begin(), merged.end());
  EXPECT_EQ(Positions(store_->Read(either)), merged);
  auto verify = store_->Verify();
  ASSERT_TRUE(verify.ok());
  EXPECT_EQ(verify->problem_count, 0u);
}

TEST_F(TagPrefixFilter, VerifyWalksEveryTagAcrossSortedRuns) {
  for (const std::string& tag : Tags()) {
    ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {tag})}).status());
  }
  ASSERT_OK(store_->Compact());
  for (const std::string& tag : Tags()) {
    ASSERT_OK(store_->Append("s", ExpectedVersion::Any(), {Tagged("T", {tag})}).status());
  }
  // One bad entry per tag, in a run of its own (flushed when the raw open
  // closes): tag i's names position i + 2 (mod the first round), whose
  // event carries another tag. Verify reports each position once.
  const size_t n = Tags().size();
  store_.reset();
  testutil::WithRawRocks(path(), [&](rocksdb::DB& db, const std::vector<std::string>& names,
                                     const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    auto at = std::find(names.begin(), names.end(), "by_tag") - names.begin();
    ASSERT_LT(static_cast<size_t>(at), names.size());
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), handles[static_cast<size_t>(at)],
                         keys::TagKey(Tags()[i], Position((i + 1) % n + 1)), "")
                      .ok());
    }
  });
  Reopen();
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->problem_count, n);
  // The reads refuse the entries too.
  for (const std::string& tag : Tags()) {
    EXPECT_TRUE(store_->Read(ByTag(tag)).status().IsCorruption()) << testing::PrintToString(tag);
  }
}

}  // namespace
}  // namespace evlog
