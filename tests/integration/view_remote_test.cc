// Views and verification through the daemon: scans longer than one
// response page, waiting for a view to catch up, and Store::Verify run by
// the daemon.

#include <atomic>
#include <cstdio>
#include <future>
#include <mutex>
#include <optional>
#include <variant>

#include "integration/daemon_fixture.h"
#include "integration/older_daemon.h"
#include "testutil/store_fixture.h"

namespace evlog::testutil {
namespace {

using RemoteViews = DaemonTest;
using RemoteVerify = DaemonTest;

// A view keeping, per stream, the stream's last event data.
Result<std::unique_ptr<View>> OpenLastValueView(Store& store, ViewHandler handler = nullptr) {
  if (!handler) {
    handler = [](const std::vector<OwnedEvent>& events, ViewWriter& out) {
      for (const OwnedEvent& e : events) out.Put(e.stream, e.data);
      return Status::OK();
    };
  }
  return store.OpenView({.name = "last"}, std::move(handler));
}

// `streams` streams row-0000000..., one event each, in appends of 100 (the most streams one append
// may name).
Position AppendRows(Store& store, int streams) {
  Position last;
  for (int first = 0; first < streams; first += 100) {
    AppendRequest request;
    request.durability = Durability::kBuffered;
    for (int i = first; i < std::min(streams, first + 100); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "row-%07d", i);
      request.streams.push_back(
          StreamAppend{name, ExpectedVersion::Any(), {Ev("T", std::to_string(i))}});
    }
    auto r = store.Append(std::move(request));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) last = r->streams.back().last_position;
  }
  return last;
}

TEST_F(RemoteViews, ScanLongerThanOneResponsePageIsCollectedWhole) {
  auto view = OpenLastValueView(*store_);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  constexpr int kRows = 10'500;  // the daemon answers at most 10,000 per page
  const Position last = AppendRows(*store_, kRows);
  ASSERT_TRUE((*view)->WaitFor(last, std::chrono::seconds(60)).ok());

  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  auto rows = (*c)->ViewScan("last", "row-");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), static_cast<size_t>(kRows));
  for (int i = 0; i < kRows; ++i) {
    ASSERT_EQ((*rows)[i].second, std::to_string(i)) << (*rows)[i].first;
  }
  auto capped = (*c)->ViewScan("last", "row-", 10'200);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->size(), 10'200u);
  EXPECT_EQ(capped->back().first, "row-0010199");
  auto after = (*c)->ViewScan("last", "row-", SIZE_MAX, "row-0010497");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ(after->front().first, "row-0010498");
}

TEST_F(RemoteViews, ListViewsGivesWhatTheEmbeddedStoreGives) {
  auto view = OpenLastValueView(*store_);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  const Position last = AppendRows(*store_, 3);
  ASSERT_TRUE((*view)->WaitFor(last, std::chrono::seconds(30)).ok());
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  auto remote = (*c)->ListViews();
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  auto embedded = store_->ListViews();
  ASSERT_TRUE(embedded.ok());
  ASSERT_EQ(remote->size(), 1u);
  ASSERT_EQ(embedded->size(), 1u);
  EXPECT_EQ((*remote)[0].name, "last");
  EXPECT_EQ((*remote)[0].progress.position, last);
  EXPECT_EQ((*remote)[0].progress.position, (*embedded)[0].progress.position);
  EXPECT_EQ((*remote)[0].progress.generation, (*embedded)[0].progress.generation);
  EXPECT_EQ((*remote)[0].lag, (*embedded)[0].lag);
}

// An evlogd older than ListViews: a HelloOk without the flag.
TEST(RemoteViewsOlderDaemon, ListViewsIsRefusedWithNothingSent) {
  OlderDaemon old_daemon(server::HelloOkResponse{.max_frame_bytes = 1 << 20, .max_in_flight = 16});
  {
    Result<std::unique_ptr<Client>> c = Client::Connect(ClientOptions{.port = old_daemon.port()});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    const Status listed = (*c)->ListViews().status();
    EXPECT_TRUE(listed.IsNotSupported()) << listed.ToString();
  }
  EXPECT_EQ(old_daemon.FramesAfterHello(), 0);
}

// Holds a view's handler from Close() until Open() (once): Pass() waits
// while the gate is closed.
class Gate {
 public:
  void Close() { closed_ = true; }
  void Open() {
    std::call_once(opened_, [&] { open_.set_value(); });
  }
  void Pass() {
    if (closed_) released_.wait();
  }

 private:
  std::atomic<bool> closed_{false};
  std::promise<void> open_;
  std::shared_future<void> released_ = open_.get_future().share();
  std::once_flag opened_;
};

TEST_F(RemoteViews, WaitAnswersOnceTheViewHasAppliedThePosition) {
  Gate gate;
  auto view =
      OpenLastValueView(*store_, [&](const std::vector<OwnedEvent>& events, ViewWriter& out) {
        gate.Pass();
        for (const OwnedEvent& e : events) out.Put(e.stream, e.data);
        return Status::OK();
      });
  ASSERT_TRUE(view.ok());
  // Opens the gate before the view goes, also when the test fails.
  struct OpenAtExit {
    Gate& gate;
    ~OpenAtExit() { gate.Open(); }
  } open_at_exit{gate};
  // A view exists for queries once it has applied its first batch.
  ASSERT_TRUE((*view)->WaitFor(AppendRows(*store_, 1), std::chrono::seconds(30)).ok());
  gate.Close();
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  auto appended = (*c)->Append([] {
    AppendRequest r;
    r.streams.push_back(StreamAppend{"a-1", ExpectedVersion::Any(), {Ev("T", "1")}});
    return r;
  }());
  ASSERT_TRUE(appended.ok());
  const Position target = appended->streams[0].last_position;

  // The view is held: a short wait times out.
  auto early = (*c)->ViewWait("last", target, std::chrono::milliseconds(100));
  EXPECT_TRUE(early.status().IsTimedOut()) << early.status().ToString();

  // A long wait stays open: a request sent after it on the same session is
  // answered first (the barrier), with the view still short of the target.
  auto raw = RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Hello());
  ASSERT_TRUE(raw->Send(server::EncodeRequest(
      server::Request{2, server::ViewWaitRequest{"last", target, std::chrono::seconds(30)}})));
  ASSERT_TRUE(
      raw->Send(server::EncodeRequest(server::Request{3, server::GetViewProgressRequest{"last"}})));
  std::optional<server::Response> barrier = raw->ReadResponse();
  ASSERT_TRUE(barrier.has_value());
  ASSERT_EQ(barrier->request_id, 3u) << "the wait was answered while the view was held";
  auto* held = std::get_if<Store::ViewProgress>(&barrier->body);
  ASSERT_NE(held, nullptr);
  EXPECT_LT(held->position, target);

  // Once the view applies the event, the wait is answered.
  gate.Open();
  std::optional<server::Response> done = raw->ReadResponse();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->request_id, 2u);
  auto* progress = std::get_if<Store::ViewProgress>(&done->body);
  ASSERT_NE(progress, nullptr);
  EXPECT_GE(progress->position, target);
  Result<Store::ViewProgress> again = (*c)->ViewWait("last", target, std::chrono::seconds(30));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_GE(again->position, target);
  EXPECT_TRUE((*c)->ViewWait("nope", target, std::chrono::seconds(1)).status().IsNotFound());
}

TEST_F(RemoteVerify, TheDaemonVerifiesItsStoreAndReportsTheCounts) {
  AppendRows(*store_, 3);
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  Result<VerifyReport> report = (*c)->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->events, 3u);
  EXPECT_EQ(report->streams, 3u);
  EXPECT_EQ(report->last_position, Position(3));
}

}  // namespace
}  // namespace evlog::testutil
