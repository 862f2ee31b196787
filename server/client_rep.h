// Client::Rep: the session state the client's files share — the session
// and its reconnects (client_session.cc), the calls (client_calls.cc), the
// pushed subscriptions (client_subscription.cc) and the consumers of hosted
// subscriptions (client_consumer.cc).
//
// Invariant: `pending`, the write queue and the socket are touched only on
// the I/O thread; callers hand requests over by posting to it. A request is
// in `pending` before its bytes are written, so its response always finds
// it, and it keeps its frame until answered, so a reconnect can send it
// again. Handlers of a replaced socket see a stale `generation` and do
// nothing.

#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "client.h"
#include "frame.h"
#include "net.h"
#include "protocol.h"

namespace evlog {

using ResponseCallback = std::function<void(Result<server::Response>)>;
using Frame = std::shared_ptr<const std::string>;

// The expected body of `response`, or the Error it carries.
template <class T>
Result<T> Expect(Result<server::Response> response) {
  if (!response.ok()) return response.status();
  server::Response& r = response.value();
  if (auto* error = std::get_if<server::ErrorResponse>(&r.body)) return error->status;
  if (auto* value = std::get_if<T>(&r.body)) return std::move(*value);
  return Status::IOError("the daemon answered with an unexpected message type");
}

// What the daemon said it serves, in its HelloOk: each false for an evlogd
// older than the feature.
struct DaemonFeatures {
  // Tags, query conditions and ReadQuery: an older one drops them unread.
  std::atomic<bool> tags_and_queries{false};
  // AppendRequest::duplicates: an older one applies kError.
  std::atomic<bool> skip_duplicates{false};
  // Hosted subscriptions: an older one answers UnknownRequest and closes.
  std::atomic<bool> hosted_subscriptions{false};
  // ListViews: an older one answers UnknownRequest and closes.
  std::atomic<bool> list_views{false};
};

struct Client::Rep {
  explicit Rep(const ClientOptions& o)
      : options(o), socket(io), retry_timer(io), work(net::asio::make_work_guard(io)) {
    parser.emplace(o.max_frame_bytes);
  }

  struct Pending {
    Frame frame;
    ResponseCallback done;
  };

  ClientOptions options;
  net::asio::io_context io;
  net::tcp::socket socket;
  net::asio::steady_timer retry_timer;
  std::optional<server::FrameParser> parser;
  std::array<uint8_t, 64 << 10> read_buffer{};
  net::asio::executor_work_guard<net::asio::io_context::executor_type> work;
  std::thread thread;
  std::atomic<uint64_t> next_id{1};
  std::atomic<bool> connected{true};
  DaemonFeatures features;
  // Sessions begun by a reconnect: what the daemon kept for the session
  // before (consumers of hosted subscriptions) is gone once it moves on.
  std::atomic<uint64_t> sessions{0};

  // I/O thread only. Ordered by id: a reconnect resends in the original order.
  std::map<uint64_t, Pending> pending;
  std::deque<Frame> write_queue;
  bool writing = false;
  uint64_t generation = 0;
  bool reconnecting = false;
  std::chrono::steady_clock::time_point reconnect_deadline;
  Status broken;  // why the session ended for good, once it has

  void Call(server::RequestBody body, ResponseCallback done);
  // Call with a chosen id; `registered` runs on the I/O thread just before
  // the request is queued.
  void CallAs(uint64_t id, server::RequestBody body, ResponseCallback done,
              std::function<void()> registered = nullptr);
  // Sends a request that is never answered (Credit).
  void SendNoReply(server::RequestBody body);

  struct Pushed {
    Client::SubscriptionCallback callback;
    uint64_t window = 0;
    bool auto_credit = true;
    uint64_t consumed = 0;  // handed to the callback, not yet granted again
    std::shared_ptr<std::atomic<uint64_t>> position;
    // Start and filters; a resume after a reconnect starts After(position).
    ChangeFeedOptions feed;
    bool subscribed = false;  // the daemon answered Subscribed
  };
  // I/O thread only: subscriptions by id.
  std::map<uint64_t, Pushed> subscriptions;
  void Deliver(std::map<uint64_t, Pushed>::iterator it, server::Response& response);
  void EndSubscriptions(const Status& why);
  // After a reconnect: subscribes each subscription again on the new
  // session, after the last position handed to its callback.
  void ResumeSubscriptions();
  void Read();
  void Write();
  // The connection failed: reconnect and resend if allowed, else Fail.
  void Lost(const Status& why);
  void TryReconnect(Status why);
  void Fail(const Status& why);
  Result<server::Response> CallSync(server::RequestBody body);
};

}  // namespace evlog
