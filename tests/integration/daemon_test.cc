// Requests through evlog::Client against an in-process server.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "integration/daemon_fixture.h"
#include "testutil/eventually.h"
#include "testutil/store_fixture.h"

namespace evlog::testutil {
namespace {

using Handshake = DaemonTest;
using Auth = DaemonTest;
using Requests = DaemonTest;
using Pipelining = DaemonTest;
using Sessions = DaemonTest;

AppendRequest One(const std::string& stream, ExpectedVersion expected, std::string type = "T",
                  Durability durability = Durability::kBuffered) {
  AppendRequest r;
  r.streams.push_back(StreamAppend{stream, expected, {Ev(std::move(type), "{\"x\":1}")}});
  r.durability = durability;
  return r;
}

TEST_F(Handshake, HelloGetsHelloOkWithTheServerLimits) {
  auto raw = RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send(server::EncodeRequest(server::Request{7, server::HelloRequest{}})));
  std::optional<server::Response> r = raw->ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->request_id, 7u);
  const auto* ok = std::get_if<server::HelloOkResponse>(&r->body);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->protocol_version, server::kProtocolVersion);
  EXPECT_EQ(ok->max_frame_bytes, 4u << 20);
  EXPECT_EQ(ok->max_in_flight, 1024u);
}

TEST_F(Handshake, UnknownProtocolVersionGetsAClearErrorThenClose) {
  auto raw = RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send(server::EncodeRequest(server::Request{1, server::HelloRequest{99}})));
  std::optional<server::Response> r = raw->ReadResponse();
  ASSERT_TRUE(r.has_value());
  const auto* e = std::get_if<server::ErrorResponse>(&r->body);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->wire_code, static_cast<uint8_t>(server::ProtocolCode::kUnsupportedProtocolVersion));
  EXPECT_TRUE(e->status.IsNotSupported());
  EXPECT_NE(e->status.message().find("speaks protocol version 1"), std::string::npos)
      << e->status.message();
  EXPECT_TRUE(raw->ClosedByServer());
}

TEST_F(Auth, RequestBeforeHelloIsRefusedThenClosed) {
  auto raw = RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send(server::EncodeRequest(server::Request{3, server::StatsRequest{}})));
  std::optional<server::Response> r = raw->ReadResponse();
  ASSERT_TRUE(r.has_value());
  const auto* e = std::get_if<server::ErrorResponse>(&r->body);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->wire_code, static_cast<uint8_t>(server::ProtocolCode::kUnauthenticated));
  EXPECT_TRUE(raw->ClosedByServer());
}

TEST_F(Auth, WrongOrMissingTokenIsRefusedAndTheRightOneAccepted) {
  StopServer();
  server::ServerOptions options;
  options.dispatcher.token = "s3cret";
  StartServer(options);

  Result<std::unique_ptr<Client>> wrong = Connect("s3creT");
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(wrong.status().IsUnauthenticated()) << wrong.status().ToString();
  EXPECT_FALSE(Connect("").ok());

  auto raw = RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  EXPECT_FALSE(raw->Hello("nope"));
  EXPECT_TRUE(raw->ClosedByServer());

  Result<std::unique_ptr<Client>> right = Connect("s3cret");
  ASSERT_TRUE(right.ok()) << right.status().ToString();
  EXPECT_TRUE((*right)->Stats().ok());
}

TEST_F(Requests, AppendThenEveryReadSeesTheEvents) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Client& client = **c;

  AppendRequest request;
  request.streams.push_back(
      StreamAppend{"order-1", ExpectedVersion::NoStream(), {Ev("Placed", "a"), Ev("Paid", "b")}});
  request.streams.push_back(StreamAppend{"user-1", ExpectedVersion::Any(), {Ev("Joined", "c")}});
  Result<AppendResult> r = client.Append(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->streams.size(), 2u);
  EXPECT_EQ(r->streams[0].first_version, Version(1));
  EXPECT_EQ(r->streams[0].last_version, Version(2));
  EXPECT_EQ(r->streams[0].first_position, Position(1));
  EXPECT_EQ(r->streams[1].last_position, Position(3));

  Result<std::vector<OwnedEvent>> events = Collect(client.ReadStream("order-1"));
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].type, "Placed");
  EXPECT_EQ((*events)[1].data, "b");
  EXPECT_EQ((*events)[1].version, Version(2));

  Result<std::vector<OwnedEvent>> backward =
      Collect(client.ReadStream("order-1", {.max_count = 1, .direction = Direction::kBackward}));
  ASSERT_TRUE(backward.ok());
  ASSERT_EQ(backward->size(), 1u);
  EXPECT_EQ((*backward)[0].type, "Paid");

  Result<std::vector<OwnedEvent>> all = Collect(client.ReadAll({.from = Position(2)}));
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].stream, "user-1");

  Result<Version> v = client.StreamVersion("order-1");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, Version(2));
  EXPECT_EQ(*client.StreamVersion("nobody"), Version(0));

  Result<std::vector<StreamInfo>> streams = client.ListStreams();
  ASSERT_TRUE(streams.ok());
  ASSERT_EQ(streams->size(), 2u);
  EXPECT_EQ((*streams)[0].name, "order-1");

  Result<StoreStats> stats = client.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->appended, 3u);
  EXPECT_EQ(stats->last_position, Position(3));

  EXPECT_TRUE(Collect(client.ReadStream("nobody")).status().IsNotFound());
}

TEST_F(Requests, ReadsLongerThanOneResponsePageAreCollectedWhole) {
  StopServer();
  server::ServerOptions options;
  options.dispatcher.max_read_events = 7;
  options.dispatcher.max_list_streams = 3;
  StartServer(options);
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE((*c)->Append(One("page-" + std::to_string(i), ExpectedVersion::Any())).ok());
    ASSERT_TRUE((*c)->Append(One("page-0", ExpectedVersion::Any())).ok());
  }
  EXPECT_EQ(Collect((*c)->ReadAll())->size(), 20u);
  EXPECT_EQ(Collect((*c)->ReadAll({.max_count = 9}))->size(), 9u);
  Result<std::vector<OwnedEvent>> stream = Collect((*c)->ReadStream("page-0"));
  ASSERT_TRUE(stream.ok());
  ASSERT_EQ(stream->size(), 11u);
  EXPECT_EQ(stream->back().version, Version(11));
  Result<std::vector<OwnedEvent>> backward =
      Collect((*c)->ReadStream("page-0", {.direction = Direction::kBackward}));
  ASSERT_EQ(backward->size(), 11u);
  EXPECT_EQ(backward->back().version, Version(1));
  EXPECT_EQ((*c)->ListStreams()->size(), 10u);
}

TEST_F(Requests, WrongExpectedVersionCarriesItsCodeStreamAndActualVersion) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Append(One("acct-1", ExpectedVersion::NoStream())).ok());
  ASSERT_TRUE((*c)->Append(One("acct-1", ExpectedVersion::Exact(Version(1)))).ok());
  Result<AppendResult> stale = (*c)->Append(One("acct-1", ExpectedVersion::Exact(Version(1))));
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(stale.status().IsWrongExpectedVersion()) << stale.status().ToString();
  EXPECT_EQ(stale.status().stream(), "acct-1");
  EXPECT_EQ(stale.status().actual_version(), 2u);
  EXPECT_TRUE(
      (*c)->Append(One("acct-1", ExpectedVersion::NoStream())).status().IsWrongExpectedVersion());
  EXPECT_TRUE((*c)->Append(One("acct-2", ExpectedVersion::StreamExists()))
                  .status()
                  .IsWrongExpectedVersion());
  // The session survives a refused append.
  EXPECT_EQ(*(*c)->StreamVersion("acct-1"), Version(2));
}

TEST_F(Requests, ConditionAndIdempotentIdsAndInvalidRequestsKeepTheirCodes) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  AppendRequest first = One("cart-1", ExpectedVersion::Any(), "ItemAdded");
  first.streams[0].events[0].id = Uuid::Random();
  Result<AppendResult> a = (*c)->Append(first);
  ASSERT_TRUE(a.ok());
  Result<AppendResult> again = (*c)->Append(first);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->deduplicated);
  EXPECT_EQ(again->streams[0].first_position, a->streams[0].first_position);

  AppendRequest guarded = One("cart-2", ExpectedVersion::Any());
  guarded.condition = AppendCondition{{"ItemAdded"}, {}, Position(0)};
  EXPECT_TRUE((*c)->Append(guarded).status().IsConditionFailed());
  EXPECT_TRUE((*c)->Append(One("$reserved", ExpectedVersion::Any())).status().IsInvalidArgument());
}

TEST_F(Pipelining, TenThousandAppendsOnOneSessionAreAllAcknowledgedWithGaplessPositions) {
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  constexpr int kAppends = 10'000;
  std::mutex mu;
  std::vector<uint64_t> positions;
  size_t failures = 0, mismatched = 0;
  std::promise<void> all_done;
  for (int i = 0; i < kAppends; ++i) {
    const std::string stream = "pipe-" + std::to_string(i % 10);
    (*c)->AppendAsync(One(stream, ExpectedVersion::Any()), [&, stream](Result<AppendResult> r) {
      std::lock_guard lock(mu);
      if (!r.ok()) {
        ++failures;
      } else if (r->streams[0].stream != stream) {
        ++mismatched;  // a response paired with the wrong request
      } else {
        positions.push_back(r->streams[0].first_position.value());
      }
      if (positions.size() + failures + mismatched == static_cast<size_t>(kAppends)) {
        all_done.set_value();
      }
    });
  }
  ASSERT_EQ(all_done.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(failures, 0u);
  EXPECT_EQ(mismatched, 0u);
  std::sort(positions.begin(), positions.end());
  ASSERT_EQ(positions.size(), static_cast<size_t>(kAppends));
  for (int i = 0; i < kAppends; ++i) ASSERT_EQ(positions[i], static_cast<uint64_t>(i + 1));
  EXPECT_EQ(store_->LastPosition(), Position(kAppends));
}

TEST_F(Pipelining, ResponsesMayOvertakeAnEarlierDurableAppend) {
  // A sync-durability append waits for an fsync on the writer thread while
  // reads behind it are answered at once: pairing is by request id only.
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok());
  std::promise<Result<AppendResult>> appended;
  (*c)->AppendAsync(One("slow-1", ExpectedVersion::NoStream(), "T", Durability::kSync),
                    [&](Result<AppendResult> r) { appended.set_value(std::move(r)); });
  for (int i = 0; i < 20; ++i) EXPECT_TRUE((*c)->Stats().ok());
  Result<AppendResult> r = appended.get_future().get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->streams[0].stream, "slow-1");
}

TEST_F(Sessions, SixtyFourConcurrentSessionsAppendingWithExpectedVersionsLoseNothing) {
  constexpr int kSessions = 64, kStreams = 16, kAppendsEach = 30;
  std::vector<std::thread> threads;
  std::atomic<int> acked{0}, conflicts{0}, errors{0};
  std::mutex mu;
  std::vector<uint64_t> positions;
  for (int s = 0; s < kSessions; ++s) {
    threads.emplace_back([&, s] {
      Result<std::unique_ptr<Client>> c = Connect();
      if (!c.ok()) {
        errors += kAppendsEach;
        return;
      }
      // Four sessions share each stream and race with exact expected versions.
      const std::string stream = "shared-" + std::to_string(s % kStreams);
      for (int i = 0; i < kAppendsEach;) {
        Result<Version> v = (*c)->StreamVersion(stream);
        if (!v.ok()) {
          ++errors;
          return;
        }
        Result<AppendResult> r = (*c)->Append(One(stream, ExpectedVersion::Exact(*v)));
        if (r.ok()) {
          ++acked;
          ++i;
          std::lock_guard lock(mu);
          positions.push_back(r->streams[0].first_position.value());
        } else if (r.status().IsWrongExpectedVersion()) {
          ++conflicts;
        } else {
          ++errors;
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(acked.load(), kSessions * kAppendsEach);
  std::sort(positions.begin(), positions.end());
  for (size_t i = 0; i < positions.size(); ++i) ASSERT_EQ(positions[i], i + 1);
  for (int s = 0; s < kStreams; ++s) {
    EXPECT_EQ(store_->StreamVersion("shared-" + std::to_string(s)).value(),
              Version(kSessions / kStreams * kAppendsEach));
  }
}

TEST_F(Sessions, OneMoreThanMaxSessionsIsRefusedWithBusy) {
  StopServer();
  server::ServerOptions options;
  options.max_sessions = 2;
  StartServer(options);
  Result<std::unique_ptr<Client>> a = Connect();
  Result<std::unique_ptr<Client>> b = Connect();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  Result<std::unique_ptr<Client>> third = Connect();
  ASSERT_FALSE(third.ok());
  EXPECT_TRUE(third.status().IsBusy()) << third.status().ToString();
  EXPECT_TRUE((*a)->Stats().ok());
}

TEST_F(Sessions, AnIdleSessionIsClosedAfterTheIdleTimeout) {
  StopServer();
  server::ServerOptions options;
  options.session.idle_timeout = std::chrono::milliseconds(200);
  StartServer(options);
  auto raw = RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Hello());
  EXPECT_TRUE(raw->ClosedByServer());  // within the 10 s receive timeout
}

TEST_F(Sessions, AConnectionThatNeverSaysHelloIsClosedAfterTheHelloTimeout) {
  StopServer();
  server::ServerOptions options;
  options.session.hello_timeout = std::chrono::milliseconds(200);
  StartServer(options);
  auto silent = RawSession::Connect(port());
  ASSERT_NE(silent, nullptr);
  EXPECT_TRUE(silent->ClosedByServer());  // within the 10 s receive timeout
}

}  // namespace
}  // namespace evlog::testutil

namespace evlog::testutil {
namespace {

class SlowReader : public DaemonTest {
 protected:
  // Restarts the server with `options` (the store stays) and appends three
  // events of 900 KiB, so that every ReadAll answer is about 2.7 MB.
  void StartWithBigEvents(const server::ServerOptions& options = {}) {
    StopServer();
    StartServer(options);
    Result<std::unique_ptr<Client>> c = Connect();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    for (int i = 0; i < 3; ++i) {
      AppendRequest big;
      big.streams.push_back(
          StreamAppend{"big-1", ExpectedVersion::Any(), {Ev("T", std::string(900 << 10, 'x'))}});
      big.durability = Durability::kBuffered;
      ASSERT_TRUE((*c)->Append(big).ok());
    }
  }
};

// A raw session that asks for `requests` ReadAll answers of about 2.7 MB in
// one burst and reads only the first: the server has then taken the rest of
// the burst and is stuck writing what nobody reads.
std::unique_ptr<RawSession> StartSlowReader(uint16_t port, uint64_t requests = 38) {
  auto raw = RawSession::Connect(port);
  if (raw == nullptr || !raw->Hello()) return nullptr;
  for (uint64_t id = 2; id < 2 + requests; ++id) {
    if (!raw->Send(server::EncodeRequest(server::Request{id, server::ReadAllRequest{}}))) {
      return nullptr;
    }
  }
  std::optional<server::Response> first = raw->ReadResponse();
  if (!first.has_value() || !std::holds_alternative<server::EventsResponse>(first->body)) {
    return nullptr;
  }
  return raw;
}

// How the SlowReader tests know a slow reader's session is over, without
// guessing when it has stopped taking requests: its client never reads
// again, so its writes stall and the server closes it as a slow consumer
// after this write timeout. Until then the session took whatever it would;
// Server::peak_queued_bytes() holds the most it ever held.
constexpr std::chrono::milliseconds kSlowReaderWriteTimeout = std::chrono::seconds(1);

// A client that sends reads and never reads the answers fills the socket
// buffers; the server stops reading it (bounded memory) and, on drain, gives
// up on it after drain_timeout instead of waiting forever.
TEST_F(SlowReader, CannotHoldTheDrainForever) {
  server::ServerOptions options;
  options.drain_timeout = std::chrono::milliseconds(300);
  ASSERT_NO_FATAL_FAILURE(StartWithBigEvents(options));
  auto raw = StartSlowReader(port());
  ASSERT_NE(raw, nullptr);
  const auto start = std::chrono::steady_clock::now();
  // Without the drain timeout this would not return (ctest would time out).
  StopServer();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

// The slow consumer: a session whose client takes none of a write for the
// write timeout is closed, and what it held is freed.
TEST_F(SlowReader, IsClosedAfterTheWriteTimeoutAndWhatItHeldIsFreed) {
  server::ServerOptions options;
  options.session.write_timeout = std::chrono::milliseconds(300);
  ASSERT_NO_FATAL_FAILURE(StartWithBigEvents(options));
  Result<std::unique_ptr<Client>> c = Connect();  // idle while the other is slow
  ASSERT_TRUE(c.ok());
  auto raw = StartSlowReader(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(Eventually([&] { return server_->slow_consumers_closed() == 1; }));
  EXPECT_TRUE(Eventually([&] { return server_->queued_bytes() == 0; }))
      << server_->queued_bytes() << " bytes still queued";
  // A client that reads is never taken for a slow one.
  Result<std::vector<OwnedEvent>> page = Collect((*c)->ReadAll());
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->size(), 3u);
  EXPECT_EQ(server_->slow_consumers_closed(), 1u);
}

// Once all sessions together hold the server-wide budget of queued bytes, a
// session holding more than its share under pressure (1 MiB) takes no more
// requests -- though it is far under its own 64 MiB limit here. It takes one
// read, and another only once its writes have brought it under its share:
// it never holds more than its share and one answer, however many requests
// wait in its socket.
TEST_F(SlowReader, UnderTheBudgetASessionHoldingMoreThanItsShareTakesNoMoreRequests) {
  server::ServerOptions options;
  options.max_queued_bytes = size_t{1} << 20;
  options.session.max_buffered_bytes = size_t{64} << 20;
  options.session.write_timeout = kSlowReaderWriteTimeout;
  ASSERT_NO_FATAL_FAILURE(StartWithBigEvents(options));
  auto raw = StartSlowReader(port(), 16);  // about 43 MB, part in the socket buffers
  ASSERT_NE(raw, nullptr);
  // Under pressure, a read reserves a page of min_page_bytes and its answer
  // (one 900 KiB event) fits in it. Past the budget: an answer queued and
  // the next read's page.
  const size_t page = options.session.min_page_bytes;
  ASSERT_TRUE(Eventually([&] { return server_->queued_bytes() > page; }, std::chrono::seconds(60)));
  for (uint64_t id = 100; id < 110; ++id) {
    ASSERT_TRUE(raw->Send(server::EncodeRequest(server::Request{id, server::ReadAllRequest{}})));
  }
  // The barrier: the session is over (closed as a slow consumer), so it
  // took all it ever will.
  ASSERT_TRUE(
      Eventually([&] { return server_->slow_consumers_closed() == 1; }, std::chrono::seconds(60)));
  // It reserved a page only while holding less than its share: a read
  // taken while holding its share or more would have passed share + page.
  const size_t share = options.session.max_buffered_bytes_under_pressure;
  EXPECT_LT(server_->peak_queued_bytes(), share + page)
      << "the session took requests while holding more than its share";
  EXPECT_LT(server_->peak_queued_bytes(), options.session.max_buffered_bytes);
}

// A burst of pipelined reads is taken max_reads_in_flight (16) at a time: a
// client that never reads holds at most its 16 MiB of queue plus the answers
// of 16 reads, not of all 38 it sent (about 100 MB; the queue limits alone
// would let them all in, since no answer is queued when the burst arrives).
TEST_F(SlowReader, APipelinedBurstOfReadsIsTakenSixteenAtATime) {
  server::ServerOptions options;
  options.session.write_timeout = kSlowReaderWriteTimeout;
  ASSERT_NO_FATAL_FAILURE(StartWithBigEvents(options));
  auto raw = StartSlowReader(port(), 38);
  ASSERT_NE(raw, nullptr);
  const size_t answer = 3 * (900 << 10);
  // It did take a burst.
  ASSERT_TRUE(
      Eventually([&] { return server_->queued_bytes() > 4 * answer; }, std::chrono::seconds(60)));
  // The barrier: the session is over (closed as a slow consumer); the most
  // it ever held is final.
  ASSERT_TRUE(
      Eventually([&] { return server_->slow_consumers_closed() == 1; }, std::chrono::seconds(60)));
  EXPECT_LT(server_->peak_queued_bytes(), (size_t{16} << 20) + 17 * answer);
}

// Under the same pressure, sessions whose clients read go on at once: they
// hold less than their share.
TEST_F(SlowReader, UnderTheBudgetSessionsThatReadGoOn) {
  server::ServerOptions options;
  options.max_queued_bytes = size_t{1} << 20;
  ASSERT_NO_FATAL_FAILURE(StartWithBigEvents(options));
  auto raw = StartSlowReader(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(Eventually([&] { return server_->queued_bytes() > options.max_queued_bytes; },
                         std::chrono::seconds(60)));
  Result<std::unique_ptr<Client>> c = Connect();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (int i = 0; i < 20; ++i) {
    Result<AppendResult> a = (*c)->Append(One("small-1", ExpectedVersion::Any()));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
  }
  Result<std::vector<OwnedEvent>> page = Collect((*c)->ReadAll());
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->size(), 23u);
  // Nobody waited for the slow consumer's eviction.
  EXPECT_EQ(server_->slow_consumers_closed(), 0u);
  EXPECT_GT(server_->queued_bytes(), options.max_queued_bytes);
}

}  // namespace
}  // namespace evlog::testutil
