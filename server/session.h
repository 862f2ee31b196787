// Session: one client connection of evlogd, from Hello to close.
//
// A session reads frames, hands each request to the Dispatcher and writes
// the responses as they complete — possibly out of request order (the
// request id pairs them). One write is in flight at a time; queued responses
// wait in a write queue. Reading pauses while `max_in_flight` requests are
// unanswered or `max_buffered_bytes` of responses are queued, so a client
// that does not read its responses cannot grow the server's memory.
//
// Every read and every subscription push first reserves a page: the bytes
// its answer may take, counted against the session's max_buffered_bytes and
// the server-wide budget (SessionRegistry) before the request is taken or
// the feed is read. The answer is built within the page; when it is built
// the page gives way to the answer's real size, which is freed as it is
// written. A read that cannot reserve waits, and the session reads nothing
// more from its socket meanwhile (backpressure, not a refusal).
//
// Subscriptions (Subscribe, Credit, Unsubscribe) are served here: each has
// a change feed polled on the read pool while the client has credits; a
// push takes at most the credits left and is read from the store only once
// its page is reserved, so a client that stops granting (or reading) costs
// at most its credits' worth of events, within the same bounds as reads.
//
// Consumers of hosted subscriptions (OpenConsumer and the requests after
// it, session_consumers.cc) belong to the session that opened them: it
// closes them when it ends, and the events they hold unacknowledged go to
// the other consumers. Every engine call they make runs on the read pool. A
// fetch that finds nothing waits on a timer, polling the consumer every
// subscription_poll until its wait ends, so a waiting fetch holds neither
// the network thread nor a read thread; each poll reserves a page first, as
// reads do, and takes no more events than fit it.
//
// A session whose client takes none of a write for `write_timeout` (a slow
// consumer, NATS's term) is closed, so it cannot hold its queued bytes, or
// the server-wide budget of them (SessionRegistry), for longer than that.
//
// A malformed or oversized frame, a request before Hello or a wrong token
// gets one Error frame, then the session closes. A session with nothing in
// flight and no bytes received for `idle_timeout`, or without a Hello
// `hello_timeout` after connecting, closes.
//
// Thread-safety: every member runs on the session's executor (the server's
// io_context thread). Append replies arrive from the store's writer thread
// and are posted back to that executor.

#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dispatcher.h"
#include "frame.h"
#include "net.h"

namespace evlog::server {

class SessionRegistry;

struct SessionOptions {
  // Largest accepted frame (length prefix excluded).
  // Default: 4 MiB
  size_t max_frame_bytes = 4 << 20;
  // Requests read and not yet answered, before reading pauses.
  // Default: 1024
  size_t max_in_flight = 1024;
  // Reads (every request but appends and the subscription requests) taken
  // and not yet answered, before reading pauses; 1 while all sessions
  // together hold ServerOptions::max_queued_bytes. Their answers are not in
  // the write queue yet, so this bounds what the queue limits cannot: a
  // burst of pipelined reads that each answer with up to a frame.
  // Default: 16
  size_t max_reads_in_flight = 16;
  // Response bytes queued for writing, before reading pauses.
  // Default: 16 MiB
  size_t max_buffered_bytes = 16 << 20;
  // While the server-wide budget (ServerOptions::max_queued_bytes) has no
  // room for a page, a session holding less than this (queued and reserved)
  // may still reserve one page of min_page_bytes, so sessions whose clients
  // read go on; one holding more takes nothing until its own writes bring
  // it under. Sessions so reserving past the budget hold at most this plus
  // a page each: the budget's slack.
  // Default: 1 MiB
  size_t max_buffered_bytes_under_pressure = 1 << 20;
  // The smallest page a read or push reserves: it must hold the store's
  // largest event with its names and framing (evlog::Options::
  // max_event_bytes + 64 KiB), since an answer carries at least one event.
  // Pushes always reserve this much; reads up to max_frame_bytes.
  // Default: 1 MiB + 64 KiB
  size_t min_page_bytes = (1 << 20) + (64 << 10);
  // A session whose client has not taken a write (up to 64 queued frames)
  // this long is closed as a slow consumer. Zero: never.
  // Default: 30 s
  std::chrono::milliseconds write_timeout = std::chrono::seconds(30);
  // A session with nothing in flight that receives nothing this long closes.
  // Default: 300 s
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(300);
  // A session that has not completed its Hello this long after connecting
  // closes, so silent connections cannot hold session slots.
  // Default: 10 s
  std::chrono::milliseconds hello_timeout = std::chrono::seconds(10);
  // How long a closing session waits for the client to close its side after
  // the server has sent its last frame and a FIN. Closing at once with
  // unread client bytes would send a reset, which can destroy responses
  // still in flight to the client.
  // Default: 1 s
  std::chrono::milliseconds linger = std::chrono::seconds(1);
  // Server-pushed subscriptions open at once on one session; one more is
  // answered with a Busy error and the session goes on (evlogd's
  // --max-subscriptions-per-session).
  // Default: 16
  size_t max_subscriptions = 16;
  // Most events in one SubscriptionEvents push (fewer when the client has
  // granted fewer credits).
  // Default: 256
  size_t max_push_events = 256;
  // How often a caught-up subscription, or a consumer's waiting fetch,
  // looks for new events.
  // Default: 10 ms
  std::chrono::milliseconds subscription_poll = std::chrono::milliseconds(10);
  // Consumers of hosted subscriptions open at once on one session; one more
  // is answered with a Busy error and the session goes on (evlogd's
  // --max-consumers-per-session).
  // Default: 16
  size_t max_consumers = 16;
  // Most events one ConsumerFetch takes (fewer when they would not fit the
  // fetch's page).
  // Default: 256
  size_t max_fetch_events = 256;
  // Longest a ConsumerFetch waits for events; a longer wait is cut to this.
  // Default: 30 s
  std::chrono::milliseconds max_fetch_wait = std::chrono::seconds(30);
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `dispatcher` and `registry` must outlive the session's last handler.
  Session(net::tcp::socket socket, Dispatcher& dispatcher, SessionRegistry& registry,
          const SessionOptions& options);

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts reading. The registry holds the session until it closes.
  void Start();

  // Sends `error` (too many sessions, a protocol violation), stops reading
  // and closes once the write queue has drained.
  void Refuse(const ProtocolError& error);

  // Stops reading; answers the requests in flight, then closes.
  void Drain();

  // Closes at once; responses not yet written are dropped.
  void Close();

 private:
  struct Outgoing {
    std::string frame;
    // Whether writing it answers a request (and frees an in-flight slot).
    bool answers_request;
  };
  enum class Ending {
    kNone,
    // Close once every request in flight is answered and written.
    kAfterInFlight,
    // Close once the write queue is empty (after a protocol error).
    kAfterFlush,
  };

  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // Handles buffered frames while under the limits; reads when it needs more.
  void Process();
  void HandleFrame(std::span<const uint8_t> frame);
  void Send(std::string frame, bool answers_request);
  void Write();
  void OnWrite(const boost::system::error_code& ec, size_t frames);
  void MaybeClose();
  // Sends FIN after everything written, discards what the client still
  // sends, and closes at its EOF or after options_.linger.
  void Linger();
  void ArmIdleTimer(std::chrono::steady_clock::time_point at);
  // Whether the session holds (queued and reserved) too much to take
  // another request: max_buffered_bytes, or its share under pressure while
  // the server-wide budget is spent. What it holds is then being built or
  // written, and the completion looks again.
  bool QueueFull() const;
  // Bytes queued for writing and reserved for answers being built.
  size_t held() const { return queued_bytes_ + reserved_bytes_; }
  // Reserves a page of up to `most` bytes (at least min_page_bytes) against
  // the session and the server-wide budget. Returns its size, or 0 when
  // there is no room now: a completion of this session's (a write, an
  // answer built) looks again.
  size_t ReservePage(size_t most);
  void ReleasePage(size_t bytes);
  // Reserves a page for `request` (a read) and hands it to the dispatcher;
  // false, leaving `request`, when no page can be reserved now.
  bool TakeRead(Request& request);
  // Hands `request` to the dispatcher, its answer built within `page`
  // reserved bytes (0: none reserved).
  void Dispatch(Request request, size_t page);
  // Takes up what waits for room: a read, then pushes.
  void Resume();
  // Whether max_reads_in_flight reads (1 while the server-wide budget is
  // spent) are being answered. Each answer is then queued and written, and
  // that write's completion looks again.
  bool ReadsFull() const;
  void ArmWriteTimer(std::chrono::steady_clock::time_point at);
  void OnWriteTimer(const boost::system::error_code& ec);

  struct Subscription;
  void Subscribe(uint64_t id, SubscribeRequest request);
  void Grant(uint64_t id, uint64_t credits);
  // Polls the subscription's feed when it has credits and the write queue
  // has room.
  void Pump(const std::shared_ptr<Subscription>& sub);
  void OnPolled(const std::shared_ptr<Subscription>& sub, const Status& status, size_t events,
                std::string frame, size_t page);
  void EndSubscription(uint64_t id);
  void EndSubscriptions();
  void OnIdleTimer(const boost::system::error_code& ec);

  // Hosted subscription consumers (session_consumers.cc). Each answers its
  // request exactly once (Send with answers_request).
  struct Consumer;
  void OpenConsumer(uint64_t id, OpenConsumerRequest request);
  void OnConsumerOpened(uint64_t id, Result<std::unique_ptr<SubscriptionConsumer>> opened);
  void Fetch(uint64_t id, const ConsumerFetchRequest& request);
  // Polls the consumer for its waiting fetch once a page is reserved.
  void PollFetch(const std::shared_ptr<Consumer>& consumer);
  void OnFetched(const std::shared_ptr<Consumer>& consumer, Status status,
                 std::vector<HostedEvent> events, bool caught_up, size_t page);
  // Runs `call` with the consumer on the read pool and sends its answer.
  void CallConsumer(uint64_t id, uint64_t consumer,
                    std::function<std::string(SubscriptionConsumer&)> call);
  // Polls again for the fetches that waited for a page (Resume).
  void ResumeFetches();
  // Detaches one consumer, answering its waiting fetch with Aborted. With
  // `answer`, sends Done for that request once the engine consumer is
  // destroyed (so its subscription no longer counts it).
  void CloseConsumer(uint64_t consumer, std::optional<uint64_t> answer = std::nullopt);
  void CloseConsumers();
  // Whether `request` is a consumer request; if so, it has been handled.
  bool HandleConsumerRequest(Request& request);

  net::tcp::socket socket_;
  net::asio::steady_timer idle_timer_;
  // Armed while a write is out, at most once per write_timeout (not per
  // write): on expiry it closes the session if the current write began
  // write_timeout ago, or waits for the rest of that write's time.
  net::asio::steady_timer write_timer_;
  Dispatcher& dispatcher_;
  SessionRegistry& registry_;
  const SessionOptions options_;
  FrameParser parser_;
  std::array<uint8_t, 64 << 10> read_buffer_;

  bool authenticated_ = false;
  bool reading_ = false;       // a read is outstanding
  bool stop_reading_ = false;  // no more requests are taken
  bool lingering_ = false;
  bool closed_ = false;
  Ending ending_ = Ending::kNone;
  size_t in_flight_ = 0;
  // Requests other than appends (and Subscribe, Credit, Unsubscribe) taken
  // and not yet answered: each may answer with up to a frame of events.
  size_t reads_in_flight_ = 0;
  std::deque<Outgoing> write_queue_;
  size_t queued_bytes_ = 0;
  // Pages reserved for answers and pushes being built.
  size_t reserved_bytes_ = 0;
  // A read taken from the parser that waits for a page.
  std::optional<Request> waiting_read_;
  bool writing_ = false;
  bool write_timer_armed_ = false;
  std::chrono::steady_clock::time_point write_started_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_activity_;
  std::map<uint64_t, std::shared_ptr<Subscription>> subscriptions_;
  std::map<uint64_t, std::shared_ptr<Consumer>> consumers_;
  // OpenConsumer requests being served: they count against max_consumers.
  size_t consumers_opening_ = 0;
};

}  // namespace evlog::server
