// evlogd's memory bounded by its budgets (issue #14): sessions that pipeline
// reads and subscriptions against big events and never read their socket
// cannot carry the queued bytes past the server-wide budget by more than the
// documented slack, and a session has at most max_subscriptions.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon_fixture.h"
#include "testutil/max_sampler.h"

namespace evlog::testutil {
namespace {

constexpr int kBudgetSessions = 32;
constexpr int kSlow = 8;
constexpr int kPipeline = 8;
constexpr int kBigEvents = 4;
constexpr size_t kBigEventBytes = 900 << 10;

class MemoryBudget : public DaemonTest {
 protected:
  // Restarts the server with a 16 MiB budget and at most kPipeline
  // subscriptions per session, over kBigEvents events of 900 KiB (a
  // ReadAll answers with all of them when not under pressure).
  void StartWithBigEvents() {
    StopServer();
    options_.max_queued_bytes = size_t{16} << 20;
    options_.session.max_subscriptions = kPipeline;
    StartServer(options_);
    Result<std::unique_ptr<Client>> c = Connect();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    for (int i = 0; i < kBigEvents; ++i) {
      AppendRequest big;
      big.streams.push_back(StreamAppend{"big-1",
                                         ExpectedVersion::Any(),
                                         {EventData{.type = "T", .data = std::string(
                                                                     kBigEventBytes, 'x')}}});
      big.durability = Durability::kBuffered;
      ASSERT_TRUE((*c)->Append(big).ok());
    }
  }

  server::ServerOptions options_;
};

// Hello, then kPipeline subscriptions from the oldest event (with `credits`
// each) and kPipeline ReadAll in one burst.
std::unique_ptr<RawSession> StartPipeline(uint16_t port, uint64_t credits) {
  auto raw = RawSession::Connect(port);
  if (raw == nullptr || !raw->Hello()) return nullptr;
  std::string burst;
  for (uint64_t i = 0; i < kPipeline; ++i) {
    burst += server::EncodeRequest(server::Request{
        100 + i, server::SubscribeRequest{.options = {.start = FeedStart::Oldest()},
                                          .credits = credits}});
    burst += server::EncodeRequest(server::Request{200 + i, server::ReadAllRequest{}});
  }
  if (!raw->Send(burst)) return nullptr;
  return raw;
}

// Reads a pipeline's answers: every ReadAll's Events, every Subscribed, and
// `credits` pushed events per subscription. False on anything else.
bool ReadPipeline(RawSession& raw, uint64_t credits) {
  int events_answers = 0, subscribed = 0;
  uint64_t pushed = 0;
  while (events_answers < kPipeline || subscribed < kPipeline || pushed < kPipeline * credits) {
    std::optional<server::Response> r = raw.ReadResponse();
    if (!r.has_value()) return false;
    if (std::holds_alternative<server::EventsResponse>(r->body)) {
      ++events_answers;
    } else if (std::holds_alternative<server::SubscribedResponse>(r->body)) {
      ++subscribed;
    } else if (auto* push = std::get_if<server::SubscriptionEventsResponse>(&r->body)) {
      pushed += push->events.size();
    } else {
      return false;
    }
  }
  return true;
}

// 8 of 32 sessions pipeline 8 full-page ReadAll and 8 subscriptions with
// unbounded credits and never read; the other 24 do the same with a credit
// each and read everything. Before pages were reserved, each slow session
// held its reads' answers (3.6 MB each) past the budget: some 230 MB
// against 16 MiB. Now the queued (and reserved) bytes stay
// within the budget plus, per session, its share under pressure (1 MiB)
// and one page (1 MiB + 64 KiB), and the sessions that read all finish.
TEST_F(MemoryBudget, QueuedBytesStayWithinTheBudgetPlusAShareAndAPagePerSession) {
  ASSERT_NO_FATAL_FAILURE(StartWithBigEvents());
  MaxSampler sampler([&] { return server_->queued_bytes(); });
  std::vector<std::unique_ptr<RawSession>> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(StartPipeline(port(), uint64_t{1} << 40));
    ASSERT_NE(slow.back(), nullptr);
  }
  constexpr uint64_t kCredits = 1;
  std::atomic<int> finished{0};
  std::vector<std::thread> readers;
  for (int i = kSlow; i < kBudgetSessions; ++i) {
    readers.emplace_back([&] {
      auto raw = StartPipeline(port(), kCredits);
      if (raw != nullptr && ReadPipeline(*raw, kCredits)) ++finished;
    });
  }
  for (auto& t : readers) t.join();
  const size_t sampled_max = sampler.Stop();

  EXPECT_EQ(finished.load(), kBudgetSessions - kSlow) << "sessions that read did not all finish";
  const size_t slack = kBudgetSessions * (options_.session.max_buffered_bytes_under_pressure +
                                          options_.session.min_page_bytes);
  const size_t bound = options_.max_queued_bytes + slack;
  const size_t peak =
      std::max({sampled_max, server_->queued_bytes(), server_->peak_queued_bytes()});
  EXPECT_LE(peak, bound) << "peak " << peak << " bytes queued, the budget is "
                         << options_.max_queued_bytes;
  EXPECT_GT(peak, options_.max_queued_bytes / 2) << "the slow sessions did not fill the budget";
}

// A Subscribe past max_subscriptions is answered Busy; the session goes on
// (its subscriptions and other requests are served).
TEST_F(MemoryBudget, ASubscribeBeyondTheCapIsRefusedAndTheSessionGoesOn) {
  ASSERT_NO_FATAL_FAILURE(StartWithBigEvents());
  auto raw = RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Hello());
  for (uint64_t i = 0; i <= kPipeline; ++i) {
    ASSERT_TRUE(raw->Send(server::EncodeRequest(
        server::Request{100 + i, server::SubscribeRequest{.options = {.start = FeedStart::Latest()},
                                                          .credits = 1}})));
  }
  for (uint64_t i = 0; i < kPipeline; ++i) {
    std::optional<server::Response> r = raw->ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->request_id, 100 + i);
    EXPECT_TRUE(std::holds_alternative<server::SubscribedResponse>(r->body));
  }
  std::optional<server::Response> refused = raw->ReadResponse();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->request_id, 100u + kPipeline);
  auto* error = std::get_if<server::ErrorResponse>(&refused->body);
  ASSERT_NE(error, nullptr);
  EXPECT_TRUE(error->status.IsBusy()) << error->status.ToString();
  EXPECT_NE(error->status.ToString().find("--max-subscriptions-per-session"), std::string::npos)
      << error->status.ToString();

  ASSERT_TRUE(raw->Send(server::EncodeRequest(
      server::Request{300, server::StreamVersionRequest{.stream = "big-1"}})));
  std::optional<server::Response> version = raw->ReadResponse();
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(version->request_id, 300u);
  EXPECT_FALSE(std::holds_alternative<server::ErrorResponse>(version->body));
}

int ExitCode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

// evlogd's --max-subscriptions-per-session sets the cap; 0 is a usage error.
TEST(EvlogdMemoryFlags, MaxSubscriptionsPerSessionSetsTheCap) {
  TempDir dir;
  auto refused = ChildProcess::Start({EVLOGD_PATH, "--db", dir.Sub("s"), "--listen", "127.0.0.1:0",
                                      "--max-subscriptions-per-session", "0"});
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(ExitCode(refused->Wait()), 2);

  uint16_t port = 0;
  auto child = StartEvlogd(
      {"--db", dir.Sub("s"), "--listen", "127.0.0.1:0", "--max-subscriptions-per-session", "2"},
      port);
  ASSERT_NE(child, nullptr);
  auto raw = RawSession::Connect(port);
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Hello());
  for (uint64_t id = 10; id < 13; ++id) {
    ASSERT_TRUE(raw->Send(server::EncodeRequest(
        server::Request{id, server::SubscribeRequest{.options = {.start = FeedStart::Latest()},
                                                     .credits = 1}})));
    std::optional<server::Response> r = raw->ReadResponse();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(std::holds_alternative<server::ErrorResponse>(r->body), id == 12) << id;
  }
  raw.reset();
  EXPECT_EQ(ExitCode(child->KillAndWait(SIGTERM)), 0);
}

}  // namespace
}  // namespace evlog::testutil
