// Views: queries, read-your-writes, exactly-once across restarts and
// crashes, failure, and online rebuild.

#include "evlog/view.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "testutil/child_process.h"
#include "testutil/store_fixture.h"
#include "view_counter.h"

namespace evlog {
namespace {

using std::chrono::seconds;
using testutil::CountEvents;

class ViewTest : public testutil::StoreTest {
 protected:
  std::unique_ptr<View> Open(ViewHandler handler = CountEvents, ViewOptions options = {}) {
    if (options.name.empty()) options.name = "counter";
    auto view = store_->OpenView(std::move(options), std::move(handler));
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    return view.ok() ? std::move(view).value() : nullptr;
  }

  static std::string Value(View& view, const std::string& key) {
    auto v = view.Get(key);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() && v->has_value() ? **v : "";
  }
};

using Views = ViewTest;

TEST_F(Views, ReflectsEventsAfterWaitFor) {
  AppendOne("a-1");
  auto view = Open();
  AppendOne("a-1");
  Position last = AppendOne("b-1").last_position;
  ASSERT_OK(view->WaitFor(last, seconds(30)));
  EXPECT_EQ(Value(*view, "count/a-1"), "2");
  EXPECT_EQ(Value(*view, "count/b-1"), "1");
  EXPECT_EQ(Value(*view, "total"), "3");
  EXPECT_FALSE(view->Get("count/none")->has_value());
  EXPECT_EQ(view->position(), last);
}

TEST_F(Views, ScanReturnsAPrefixInKeyOrder) {
  AppendOne("b-1");
  AppendOne("a-1");
  Position last = AppendOne("a-2").last_position;
  auto view = Open();
  ASSERT_OK(view->WaitFor(last, seconds(30)));
  auto rows = view->Scan("count/");
  ASSERT_OK(rows.status());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0], (std::pair<std::string, std::string>{"count/a-1", "1"}));
  EXPECT_EQ((*rows)[2].first, "count/b-1");
  EXPECT_EQ(view->Scan("count/a", 1)->size(), 1u);
  EXPECT_TRUE(view->Scan("zzz")->empty());
}

TEST_F(Views, DeleteRemovesARow) {
  auto view = Open([](const std::vector<OwnedEvent>& events, ViewWriter& out) {
    for (const auto& e : events) {
      if (e.type == "Gone") {
        out.Delete(e.stream);
      } else {
        out.Put(e.stream, e.type);
      }
    }
    return Status::OK();
  });
  AppendOne("a-1", "Here");
  ASSERT_OK(view->WaitFor(AppendOne("b-1", "Here").last_position, seconds(30)));
  ASSERT_OK(view->WaitFor(AppendOne("a-1", "Gone").last_position, seconds(30)));
  EXPECT_FALSE(view->Get("a-1")->has_value());
  EXPECT_EQ(Value(*view, "b-1"), "Here");
}

// Within one batch the last mutation of a row is the one that stands, and
// the handler reads its own mutations back.
TEST_F(Views, TheLastMutationOfARowInABatchStands) {
  AppendOne("a-1", "Here");
  const Position last = AppendOne("a-1", "Here").last_position;
  std::atomic<int> batches{0};
  auto view = Open(
      [&](const std::vector<OwnedEvent>& events, ViewWriter& out) {
        ++batches;
        for (const auto& e : events) {
          out.Put("put-twice", e.stream + "/" + std::to_string(e.version.value()));
          out.Put("put-then-deleted", "x");
          out.Delete("put-then-deleted");
          out.Delete("deleted-then-put");
          out.Put("deleted-then-put", std::to_string(e.position.value()));
        }
        auto own = out.Get("put-twice");
        if (!own.ok()) return own.status();
        out.Put("read-back", own->value_or("absent"));
        return out.Get("put-then-deleted")->has_value() ? Status::Corruption("not deleted")
                                                         : Status::OK();
      },
      {.feed = {.max_batch_events = 10}});
  ASSERT_OK(view->WaitFor(last, seconds(30)));
  EXPECT_EQ(batches.load(), 1);  // both events in one batch
  EXPECT_EQ(Value(*view, "put-twice"), "a-1/2");
  EXPECT_EQ(Value(*view, "read-back"), "a-1/2");
  EXPECT_FALSE(view->Get("put-then-deleted")->has_value());
  EXPECT_EQ(Value(*view, "deleted-then-put"), std::to_string(last.value()));
}

TEST_F(Views, RestartResumesWithoutReapplying) {
  {
    auto view = Open();
    AppendOne("a-1");
    ASSERT_OK(view->WaitFor(AppendOne("a-1").last_position, seconds(30)));
  }
  Reopen();
  Position last = AppendOne("a-1").last_position;
  auto view = Open();
  ASSERT_OK(view->WaitFor(last, seconds(30)));
  EXPECT_EQ(Value(*view, "count/a-1"), "3");
}

TEST_F(Views, QueryableByNameWithoutRunning) {
  {
    auto view = Open();
    ASSERT_OK(view->WaitFor(AppendOne("a-1").last_position, seconds(30)));
  }
  auto value = store_->ViewGet("counter", "count/a-1");
  ASSERT_OK(value.status());
  EXPECT_EQ(**value, "1");
  EXPECT_EQ(store_->ViewScan("counter", "")->size(), 2u);
  EXPECT_TRUE(store_->ViewGet("nothing", "k").status().IsNotFound());
}

TEST_F(Views, ListViewsNamesEveryViewWithItsProgressAndLag) {
  auto none = store_->ListViews();
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  {
    auto counter = Open();
    auto other = Open(CountEvents, {.name = "another"});
    const Position first = AppendOne("a-1").last_position;
    ASSERT_OK(counter->WaitFor(first, seconds(30)));
    ASSERT_OK(other->WaitFor(first, seconds(30)));
  }
  AppendOne("a-1");
  AppendOne("b-1");
  // A subscription's checkpoint is no view.
  ASSERT_OK(store_->SetCheckpoint("connector", Position(1)));
  auto views = store_->ListViews();
  ASSERT_OK(views);
  ASSERT_EQ(views->size(), 2u);
  EXPECT_EQ((*views)[0].name, "another");
  EXPECT_EQ((*views)[1].name, "counter");
  for (const Store::ViewInfo& v : *views) {
    EXPECT_EQ(v.progress.position, Position(1)) << v.name;
    EXPECT_EQ(v.lag, 2u) << v.name;
  }
}

TEST_F(Views, AFailingHandlerStopsTheViewWithoutSkipping) {
  auto view = Open(
      [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
        for (const auto& e : events) {
          if (e.type == "Bad") return Status::InvalidArgument("bad");
          out.Put(e.stream, "ok");
        }
        return Status::OK();
      },
      {.max_attempts = 2, .initial_backoff = std::chrono::milliseconds(1)});
  AppendOne("a-1");
  Position bad = AppendOne("b-1", "Bad").last_position;
  Status s = view->WaitFor(bad, seconds(30));
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_LT(view->position(), bad);
}

// A batch's rows reach the view's row cache only once its write commits: a
// retried batch reads what the batches before it committed, not what its
// failed attempt wrote.
TEST_F(Views, ARetriedBatchSeesOnlyWhatEarlierBatchesCommitted) {
  std::atomic<int> calls{0};
  auto view = Open(
      [&](const std::vector<OwnedEvent>& events, ViewWriter& out) {
        if (++calls == 2) {  // the second batch's first attempt
          out.Put("total", "999");
          return Status::IOError("flaky");
        }
        return CountEvents(events, out);
      },
      {.max_attempts = 3, .initial_backoff = std::chrono::milliseconds(1)});
  ASSERT_OK(view->WaitFor(AppendOne("a-1").last_position, seconds(30)));
  ASSERT_OK(view->WaitFor(AppendOne("a-1").last_position, seconds(30)));
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(Value(*view, "total"), "2");
  EXPECT_EQ(Value(*view, "count/a-1"), "2");
}

// Whatever the row cache holds — nothing, or less than the rows a batch
// touches, so that it empties itself again and again — every event counts
// exactly once.
TEST_F(Views, CountsExactlyOnceWhateverTheRowCacheHolds) {
  for (int i = 0; i < 300; ++i) AppendOne("s-" + std::to_string(i % 30));
  const Position last = store_->LastPosition();
  for (size_t bytes : {size_t{0}, size_t{300}, size_t{16} << 20}) {
    SCOPED_TRACE(bytes);
    auto view = Open(CountEvents, {.name = "counter-" + std::to_string(bytes),
                                   .feed = {.max_batch_events = 7},
                                   .row_cache_bytes = bytes});
    ASSERT_OK(view->WaitFor(last, seconds(30)));
    EXPECT_EQ(Value(*view, "total"), "300");
    for (int s = 0; s < 30; ++s) EXPECT_EQ(Value(*view, "count/s-" + std::to_string(s)), "10");
  }
}

// A row whose new value is too large for the row cache is dropped from it,
// so the next batch reads the new value from RocksDB, not the old one.
TEST_F(Views, ARowTooLargeForTheRowCacheIsReadBackAsWritten) {
  auto view = Open(
      [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
        for (const auto& e : events) {
          auto row = out.Get("row");
          if (!row.ok()) return row.status();
          out.Put("read", row->value_or("absent"));
          out.Put("row", e.data);
        }
        return Status::OK();
      },
      {.feed = {.max_batch_events = 1}, .row_cache_bytes = 400});
  const std::string big(1000, 'b');
  for (const std::string& data : {std::string("small"), big, std::string("x")}) {
    auto r = store_->Append("a-1", ExpectedVersion::Any(), {testutil::Ev("T", data)});
    ASSERT_OK(r.status());
    ASSERT_OK(view->WaitFor(r->streams[0].last_position, seconds(30)));
  }
  EXPECT_EQ(Value(*view, "read"), big);
  EXPECT_EQ(Value(*view, "row"), "x");
}

TEST_F(Views, RebuildRecomputesFromHistoryWhileWritesGoOn) {
  std::atomic<int> generation{1};
  // The handler's output depends on `generation`, so the rebuilt version is
  // told apart from the old one.
  auto handler = [&](const std::vector<OwnedEvent>& events, ViewWriter& out) {
    for (const auto& e : events) out.Put(e.stream, std::to_string(generation.load()));
    return CountEvents(events, out);
  };
  auto view = Open(handler);
  for (int i = 0; i < 200; ++i) AppendOne("s-" + std::to_string(i % 10));
  ASSERT_OK(view->WaitFor(store_->LastPosition(), seconds(30)));
  EXPECT_EQ(Value(*view, "s-3"), "1");

  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; writing.load() && i < 2000; ++i) AppendOne("w-" + std::to_string(i % 3));
  });
  generation = 2;
  std::vector<uint64_t> progress;
  ASSERT_OK(view->Rebuild([&](Position p, Position) { progress.push_back(p.value()); }));
  writing = false;
  writer.join();
  ASSERT_OK(view->WaitFor(store_->LastPosition(), seconds(30)));

  EXPECT_EQ(Value(*view, "s-3"), "2");
  EXPECT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  // Exactly once: the total equals the log, neither old nor doubled rows.
  EXPECT_EQ(Value(*view, "total"), std::to_string(store_->LastPosition().value()));
  EXPECT_EQ(Value(*view, "count/s-3"), "20");
}

// A child appends and runs the view; it is killed with SIGKILL at random
// points. After each kill the view must hold every event exactly once.
TEST_F(Views, CrashBetweenHandlerAndCommitNeverDoubleApplies) {
  store_.reset();
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 5; ++round) {
    auto child = testutil::ChildProcess::Start({VIEW_CRASH_CHILD, path()});
    ASSERT_NE(child, nullptr);
    // Let it apply a random number of batches, then kill it mid-flight.
    int wanted = std::uniform_int_distribution<int>(5, 200)(rng);
    char buf[64];
    for (int i = 0; i < wanted && std::fgets(buf, sizeof(buf), child->out()) != nullptr; ++i) {
    }
    int status = child->KillAndWait(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << status;

    Reopen();
    auto view = Open();
    ASSERT_OK(view->WaitFor(store_->LastPosition(), seconds(30)));
    uint64_t events = ReadAll().size();
    EXPECT_EQ(Value(*view, "total"), std::to_string(events)) << "round " << round;
    view.reset();
    store_.reset();
  }
}

}  // namespace
}  // namespace evlog
