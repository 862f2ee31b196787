// The waiting half of HttpSession for a consumer's fetch (HttpLongPoll):
// each try runs on a read thread and returns at once; between tries the
// session holds a timer, never a thread. The request's page stays reserved
// until the answer is written.

#include "http_session.h"

namespace evlog::server {

void HttpSession::StartLongPoll(HttpLongPoll poll) {
  long_poll_ =
      std::make_shared<std::function<std::optional<HttpResponse>(bool)>>(std::move(poll.attempt));
  long_poll_deadline_ = poll.deadline;
  if (draining_) return LongPollAttempt();
  ArmLongPoll();
}

void HttpSession::ArmLongPoll() {
  const auto now = std::chrono::steady_clock::now();
  const auto left = long_poll_deadline_ > now ? long_poll_deadline_ - now
                                              : std::chrono::steady_clock::duration::zero();
  poll_timer_.expires_after(
      std::min<std::chrono::steady_clock::duration>(options_.fetch_poll, left));
  poll_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    // Cancelled: closed, or a drain that tries at once itself.
    if (!ec) self->LongPollAttempt();
  });
}

void HttpSession::LongPollAttempt() {
  if (closed_ || polling_ || long_poll_ == nullptr) return;
  const bool last = draining_ || std::chrono::steady_clock::now() >= long_poll_deadline_;
  polling_ = true;
  auto executor =
      net::asio::prefer(stream_.get_executor(), net::asio::execution::outstanding_work.tracked);
  dispatcher_.RunBlocking([self = shared_from_this(), attempt = long_poll_, last, executor] {
    auto answer = std::make_shared<std::optional<HttpResponse>>((*attempt)(last));
    net::asio::dispatch(executor, [self, answer] { self->OnLongPolled(std::move(*answer)); });
  });
}

void HttpSession::OnLongPolled(std::optional<HttpResponse> response) {
  polling_ = false;
  if (closed_) return;
  if (response) {
    long_poll_.reset();
    return Respond(std::move(*response));
  }
  if (draining_) return LongPollAttempt();
  ArmLongPoll();
}

}  // namespace evlog::server
