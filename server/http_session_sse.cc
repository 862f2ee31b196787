// The event-stream half of HttpSession: GET /subscribe (and a hosted
// subscription's GET /subscriptions/{name}/events) as server-sent
// events. The feed is polled only when no write is in flight, so what a
// session buffers is one batch at most, however slow its client.

#include "http_session.h"
#include "json/event_json.h"

namespace evlog::server {

namespace {
// One comment line; CR and LF (which would end it) become spaces.
std::string Comment(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return ": " + text + "\n\n";
}
}  // namespace

void HttpSession::StartStream(SseStart start) {
  state_ = State::kStreaming;
  Hold(0);  // the request's page; each batch reserves its own
  feed_ = std::move(start.feed);
  stream_poll_ = std::move(start.poll);
  keep_alive_ = false;
  // The body runs until the server closes: no length, no chunking.
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Server: evlogd\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\n"
      "Connection: close\r\n";
  if (!cors_origin_.empty()) {
    head += "Access-Control-Allow-Origin: " + cors_origin_ + "\r\nVary: Origin\r\n";
  }
  head += "\r\n";
  if (feed_ != nullptr) {
    // Tells the client where the stream starts: every later event is live.
    head += Comment("subscribed after position " + std::to_string(feed_->position().value()));
  } else {
    head += start.head;
  }
  StreamWrite(std::move(head));
}

void HttpSession::Pump() {
  if (closed_ || polling_ || stream_writing_ || awaiting_room_) return;
  if (draining_) return Shutdown();
  // The feed is read only once a batch's page is reserved (see the head
  // comment in http_session.h).
  if (!TryReserve(options_.sse_batch_bytes + (64 << 10))) return AwaitRoom(&HttpSession::Pump);
  polling_ = true;
  auto executor =
      net::asio::prefer(stream_.get_executor(), net::asio::execution::outstanding_work.tracked);
  dispatcher_.RunBlocking([self = shared_from_this(), feed = feed_.get(),
                           poll = &stream_poll_, executor] {
    if (feed == nullptr) {
      std::string text;
      Status s = (*poll)(&text);
      net::asio::dispatch(executor, [self, s, text = std::move(text)]() mutable {
        self->OnPolled(s, std::move(text));
      });
      return;
    }
    FeedView batch;
    Status s = feed->NextView(std::chrono::milliseconds(0), &batch);
    std::string text;
    // The events before one that cannot be rendered are sent, then the
    // error ends the stream.
    for (const RecordedEvent& e : batch.events) {
      if (Status bad = json::CheckRenderable(e); !bad.ok()) {
        s = bad;
        break;
      }
      text += FormatSseEvent(e);
    }
    net::asio::dispatch(executor, [self, s, text = std::move(text)]() mutable {
      self->OnPolled(s, std::move(text));
    });
  });
}

void HttpSession::OnPolled(const Status& status, std::string text) {
  polling_ = false;
  if (closed_) return;
  Hold(0);  // the page; StreamWrite counts what is written
  if (draining_) return Shutdown();
  if (!status.ok()) {
    stream_ending_ = true;
    return StreamWrite(std::move(text) + Comment("error: " + status.ToString()));
  }
  if (!text.empty()) return StreamWrite(std::move(text));
  if (std::chrono::steady_clock::now() - last_write_ >= options_.sse_heartbeat) {
    return StreamWrite(Comment("keepalive"));
  }
  poll_timer_.expires_after(options_.sse_poll);
  poll_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->Pump();
  });
}

void HttpSession::StreamWrite(std::string text) {
  stream_writing_ = true;
  stream_out_ = std::move(text);
  Hold(stream_out_.size());
  ArmWriteDeadline();
  net::asio::async_write(stream_, net::asio::buffer(stream_out_),
                         [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                           self->OnStreamWritten(ec);
                         });
}

void HttpSession::OnStreamWritten(const boost::system::error_code& ec) {
  stream_writing_ = false;
  if (closed_) return;
  if (ec) return Close();
  stream_out_.clear();
  Hold(0);
  last_write_ = std::chrono::steady_clock::now();
  if (stream_ending_ || draining_) return Shutdown();
  Pump();
}

}  // namespace evlog::server
