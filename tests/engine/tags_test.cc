// Tags on events: stored byte for byte, bounded, indexed in `by_tag`, read
// by Store::Read(Query) under the same trim and delete rules as every other
// read, and absent (not an error) in stores made before tags.

#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include <algorithm>
#include <string>
#include <vector>

#include "testutil/raw_rocks.h"
#include "testutil/store_fixture.h"

namespace evlog {
namespace {

using testutil::Ev;
using testutil::Positions;
using testutil::StoreTest;
using Tags = StoreTest;
using testutil::Tagged;

Query ByTag(std::string tag) { return Query{.items = {QueryItem{.tags = {std::move(tag)}}}}; }

// Bytes a tag may hold: NUL, bytes that are not UTF-8, UTF-8 text, and the
// longest tag allowed.
std::vector<std::string> OddTags() {
  return {std::string("a\0b", 3), std::string("\xff\xfe\x80", 3), "stud\xc3\xa9nt:42",
          std::string(kMaxTagBytes, '\x01')};
}

TEST_F(Tags, ComeBackByteForByteFromEveryRead) {
  ASSERT_OK(store_->Append("s-1", ExpectedVersion::Any(), {Tagged("T", OddTags())}).status());
  const std::vector<std::string> want = OddTags();
  const auto stream = ReadStream("s-1");
  ASSERT_EQ(stream.size(), 1u);
  EXPECT_EQ(stream[0].tags, want);
  const auto all = ReadAll();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].tags, want);
  for (const std::string& tag : want) {
    auto r = store_->Read(ByTag(tag));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->events.size(), 1u);
    EXPECT_EQ(r->events[0].tags, want);
  }
  // "a" is a prefix of "a\0b" in bytes but another tag.
  EXPECT_TRUE(store_->Read(ByTag("a"))->events.empty());
}

TEST_F(Tags, EventsWithoutTagsReadAsNoTags) {
  AppendOne("s-1");
  ASSERT_EQ(ReadAll().size(), 1u);
  EXPECT_TRUE(ReadAll()[0].tags.empty());
}

TEST_F(Tags, SurviveReopen) {
  ASSERT_OK(store_->Append("s-1", ExpectedVersion::Any(), {Tagged("T", {"x", "y"})}).status());
  Reopen();
  auto r = store_->Read(ByTag("y"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_EQ(r->events[0].tags, (std::vector<std::string>{"x", "y"}));
}

TEST_F(Tags, BrokenLimitsAreInvalidArgumentsAndWriteNothing) {
  Reopen(Options{.max_tags_per_event = 3});
  AppendOne("s-1");
  const std::vector<std::vector<std::string>> bad = {
      {"a", "b", "c", "d"}, {"a", ""}, {std::string(kMaxTagBytes + 1, 'x')}};
  for (const auto& tags : bad) {
    // The bad event comes second, in another stream: nothing of the append
    // may be written.
    AppendRequest request;
    request.streams.push_back({.stream = "s-1", .events = {Tagged("T", {"ok"})}});
    request.streams.push_back({.stream = "s-2", .events = {Tagged("T", tags)}});
    auto r = store_->Append(std::move(request));
    ASSERT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    EXPECT_NE(r.status().message().find("tag"), std::string::npos) << r.status().ToString();
  }
  EXPECT_EQ(store_->LastPosition(), Position(1));
  EXPECT_TRUE(store_->Read(ByTag("ok"))->events.empty());
  EXPECT_EQ(*store_->StreamVersion("s-2"), Version(0));
  // At the limit it is fine.
  EXPECT_OK(store_->Append("s-2", ExpectedVersion::Any(), {Tagged("T", {"a", "b", "c"})}).status());
}

TEST_F(Tags, TagsCountTowardsTheEventSizeLimit) {
  Reopen(Options{.max_event_bytes = 300});
  EventData e = Tagged("T", {std::string(kMaxTagBytes, 't')});
  e.data = std::string(100, 'd');
  auto r = store_->Append("s-1", ExpectedVersion::Any(), {e});
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
}

TEST_F(Tags, ATagGivenTwiceIsKeptTwiceAndIndexedOnce) {
  ASSERT_OK(store_->Append("s-1", ExpectedVersion::Any(), {Tagged("T", {"x", "x"})}).status());
  auto r = store_->Read(ByTag("x"));
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_EQ(r->events[0].tags, (std::vector<std::string>{"x", "x"}));
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
}

TEST_F(Tags, ReadsByTagHonourTrimsAndDeletes) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(store_->Append("trim-1", ExpectedVersion::Any(), {Tagged("T", {"t"})}).status());
    ASSERT_OK(store_->Append("gone-1", ExpectedVersion::Any(), {Tagged("T", {"t"})}).status());
  }
  ASSERT_OK(store_->TrimStream("trim-1", {.before = Version(3), .require_snapshot = false})
                .status());
  ASSERT_OK(store_->DeleteStream("gone-1"));
  // trim-1 holds positions 1, 3, 5, 7; versions 3 and 4 are 5 and 7.
  auto r = store_->Read(ByTag("t"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Positions(r), (std::vector<uint64_t>{5, 7}));
  auto back = store_->Read(ByTag("t"), {.direction = Direction::kBackward});
  EXPECT_EQ(Positions(back), (std::vector<uint64_t>{7, 5}));
  // Once compacted the bytes are gone; the answer is the same.
  ASSERT_OK(store_->Compact());
  EXPECT_EQ(Positions(store_->Read(ByTag("t"))), (std::vector<uint64_t>{5, 7}));
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
}

TEST_F(Tags, VerifyReportsATagEntryWithoutItsTag) {
  ASSERT_OK(store_->Append("s-1", ExpectedVersion::Any(), {Tagged("T", {"x"})}).status());
  AppendOne("s-1");
  store_.reset();
  testutil::WithRawRocks(path(), [](rocksdb::DB& db, const std::vector<std::string>& names,
                                    const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    auto at = std::find(names.begin(), names.end(), "by_tag") - names.begin();
    ASSERT_LT(static_cast<size_t>(at), names.size());
    // "x" at position 2, whose event has no tags.
    std::string key = std::string("\x01x", 2) + std::string("\0\0\0\0\0\0\0\x02", 8);
    ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), handles[at], key, "").ok());
  });
  Reopen();
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problem_count, 1u);
  EXPECT_NE(report->problems[0].find("position 2"), std::string::npos) << report->problems[0];
  // The query reader refuses the entry too, rather than return the event.
  EXPECT_TRUE(store_->Read(ByTag("x")).status().IsCorruption());
}

// A store last written before tags existed has no `by_tag` family: made
// here by dropping it from a store with untagged events.
class TagsInAnOldStore : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    Add("old-1", "Registered");
    Add("old-2", "Registered");
    store_.reset();
    testutil::WithRawRocks(path(), [](rocksdb::DB& db, const std::vector<std::string>& names,
                                      const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
      auto at = std::find(names.begin(), names.end(), "by_tag") - names.begin();
      ASSERT_LT(static_cast<size_t>(at), names.size());
      ASSERT_TRUE(db.DropColumnFamily(handles[at]).ok());
    });
  }
};

TEST_F(TagsInAnOldStore, OpensReadOnlyAndReadsTagsAsEmpty) {
  auto ro = Store::Open(Options{.read_only = true}, path());
  ASSERT_TRUE(ro.ok()) << ro.status().ToString();
  auto r = (*ro)->Read(ByTag("x"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->events.empty());
  EXPECT_EQ(r->head, Position(2));
  auto typed = (*ro)->Read(Query{.items = {QueryItem{.types = {"Registered"}}}});
  ASSERT_TRUE(typed.ok()) << typed.status().ToString();
  EXPECT_EQ(typed->events.size(), 2u);
  auto report = (*ro)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

TEST_F(TagsInAnOldStore, OpensForWritingAndTakesTags) {
  Reopen();
  ASSERT_OK(store_->Append("new-1", ExpectedVersion::Any(), {Tagged("T", {"x"})}).status());
  EXPECT_EQ(Positions(store_->Read(ByTag("x"))), (std::vector<uint64_t>{3}));
  EXPECT_EQ(store_->Read(Query{})->events.size(), 3u);
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
}

// A read-only instance opened before a writer created `by_tag` keeps
// following the writer's log; the tags it cannot see yet are reported as
// no matches, never as an error.
TEST_F(TagsInAnOldStore, AReadOnlyInstanceFollowsAWriterThatAddsTheFamily) {
  auto ro = Store::Open(Options{.read_only = true}, path());
  ASSERT_TRUE(ro.ok()) << ro.status().ToString();
  Reopen();
  ASSERT_OK(store_->Append("new-1", ExpectedVersion::Any(), {Tagged("T", {"x"})}).status());
  ASSERT_OK(store_->Sync());
  ASSERT_OK((*ro)->CatchUp());
  EXPECT_EQ((*ro)->LastPosition(), Position(3));
  auto all = (*ro)->Read(Query::All());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->events.size(), 3u);
  EXPECT_EQ(all->events[2].tags, (std::vector<std::string>{"x"}));
  auto tagged = (*ro)->Read(ByTag("x"));
  ASSERT_TRUE(tagged.ok()) << tagged.status().ToString();
  EXPECT_TRUE(tagged->events.empty());
}

}  // namespace
}  // namespace evlog
