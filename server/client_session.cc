// The session with evlogd and its reconnects: connecting and the Hello,
// the write queue, the read loop pairing responses with pending requests,
// and what a lost connection does (reconnect and resend, or fail every
// pending call). See client_rep.h for the invariant.

#include "client_rep.h"

#include <future>
#include <span>

namespace evlog {

namespace {
using server::Request;
using server::RequestBody;
using server::Response;

// Connects `socket` and says Hello, blocking. On success `parser` holds any
// bytes the server sent after HelloOk, and `features` what the daemon said
// it serves.
Status ConnectAndHello(const ClientOptions& options, net::tcp::socket& socket,
                       server::FrameParser& parser, DaemonFeatures& features) {
  boost::system::error_code ec;
  net::tcp::resolver resolver(socket.get_executor());
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (!ec) net::asio::connect(socket, endpoints, ec);
  if (ec) {
    return Status::IOError("cannot connect to " + options.host + ":" +
                           std::to_string(options.port) + ": " + ec.message());
  }
  socket.set_option(net::tcp::no_delay(true), ec);
  const std::string hello = server::EncodeRequest(Request{
      0, server::HelloRequest{server::kProtocolVersion, options.token, options.client_name}});
  net::asio::write(socket, net::asio::buffer(hello), ec);
  std::array<uint8_t, 4096> buffer;
  while (!ec) {
    const size_t n = socket.read_some(net::asio::buffer(buffer), ec);
    if (ec) break;
    parser.Feed(std::span<const uint8_t>(buffer.data(), n));
    const server::FrameParser::Next next = parser.Parse();
    if (next == server::FrameParser::Next::kNeedMore) continue;
    if (next != server::FrameParser::Next::kFrame) {
      return Status::IOError("evlogd sent a frame of a bad length");
    }
    auto decoded = server::DecodeResponse(parser.frame());
    if (auto* error = std::get_if<server::ProtocolError>(&decoded)) {
      return Status::IOError("evlogd sent a bad message: " + error->message);
    }
    Result<server::HelloOkResponse> ok =
        Expect<server::HelloOkResponse>(std::move(std::get<Response>(decoded)));
    if (ok.ok()) {
      features.tags_and_queries = ok->tags_and_queries;
      features.skip_duplicates = ok->skip_duplicates;
      features.hosted_subscriptions = ok->hosted_subscriptions;
      features.list_views = ok->list_views;
    }
    return ok.status();
  }
  return Status::IOError("handshake with evlogd failed: " + ec.message());
}
}  // namespace

void Client::Rep::Call(RequestBody body, ResponseCallback done) {
  CallAs(next_id.fetch_add(1), std::move(body), std::move(done));
}

void Client::Rep::SendNoReply(RequestBody body) {
  auto frame = std::make_shared<const std::string>(
      server::EncodeRequest(Request{next_id.fetch_add(1), std::move(body)}));
  net::asio::post(io, [this, frame = std::move(frame)]() mutable {
    if (!broken.ok() || reconnecting) return;
    write_queue.push_back(std::move(frame));
    if (!writing) Write();
  });
}

void Client::Rep::CallAs(uint64_t id, RequestBody body, ResponseCallback done,
                         std::function<void()> registered) {
  auto frame =
      std::make_shared<const std::string>(server::EncodeRequest(Request{id, std::move(body)}));
  net::asio::post(io, [this, id, frame = std::move(frame), done = std::move(done),
                       registered = std::move(registered)]() mutable {
    if (!broken.ok()) {
      done(broken);
      return;
    }
    if (registered) registered();
    pending.emplace(id, Pending{frame, std::move(done)});
    if (reconnecting) return;  // Sent with the rest once reconnected.
    write_queue.push_back(std::move(frame));
    if (!writing) Write();
  });
}

Result<Response> Client::Rep::CallSync(RequestBody body) {
  std::promise<Result<Response>> promise;
  std::future<Result<Response>> future = promise.get_future();
  Call(std::move(body), [&promise](Result<Response> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void Client::Rep::Write() {
  writing = true;
  const size_t frames = std::min<size_t>(write_queue.size(), 64);
  std::vector<net::asio::const_buffer> buffers;
  for (size_t i = 0; i < frames; ++i) buffers.push_back(net::asio::buffer(*write_queue[i]));
  net::asio::async_write(
      socket, buffers,
      [this, frames, gen = generation](const boost::system::error_code& ec, size_t) {
        if (gen != generation) return;
        writing = false;
        if (ec) {
          Lost(Status::IOError("write to evlogd failed: " + ec.message()));
          return;
        }
        for (size_t i = 0; i < frames; ++i) write_queue.pop_front();
        if (!write_queue.empty()) Write();
      });
}

void Client::Rep::Read() {
  socket.async_read_some(
      net::asio::buffer(read_buffer),
      [this, gen = generation](const boost::system::error_code& ec, size_t n) {
        if (gen != generation) return;
        if (ec) {
          Lost(Status::IOError(ec == net::asio::error::eof
                                   ? std::string("evlogd closed the session")
                                   : "read from evlogd failed: " + ec.message()));
          return;
        }
        parser->Feed(std::span<const uint8_t>(read_buffer.data(), n));
        for (;;) {
          const server::FrameParser::Next next = parser->Parse();
          if (next == server::FrameParser::Next::kNeedMore) break;
          if (next != server::FrameParser::Next::kFrame) {
            Fail(Status::IOError("evlogd sent a frame of a bad length"));
            return;
          }
          std::variant<Response, server::ProtocolError> decoded =
              server::DecodeResponse(parser->frame());
          if (auto* error = std::get_if<server::ProtocolError>(&decoded)) {
            Fail(Status::IOError("evlogd sent a bad message: " + error->message));
            return;
          }
          Response& response = std::get<Response>(decoded);
          auto it = pending.find(response.request_id);
          if (it == pending.end()) {
            if (auto sub = subscriptions.find(response.request_id); sub != subscriptions.end()) {
              Deliver(sub, response);
              continue;
            }
            // An Error not tied to a request: the daemon is closing the session.
            auto* error = std::get_if<server::ErrorResponse>(&response.body);
            Fail(error != nullptr ? error->status
                                  : Status::IOError("evlogd answered an unknown request id"));
            return;
          }
          ResponseCallback done = std::move(it->second.done);
          pending.erase(it);
          done(std::move(response));
        }
        Read();
      });
}

void Client::Rep::Lost(const Status& why) {
  if (options.reconnect_for.count() <= 0 || !broken.ok()) {
    Fail(why);
    return;
  }
  if (!reconnecting) {
    reconnecting = true;
    connected = false;
    reconnect_deadline = std::chrono::steady_clock::now() + options.reconnect_for;
  }
  TryReconnect(why);
}

void Client::Rep::TryReconnect(Status why) {
  ++generation;  // Handlers of the old socket do nothing from here on.
  boost::system::error_code ignored;
  socket.close(ignored);
  writing = false;
  write_queue.clear();
  parser.emplace(options.max_frame_bytes);
  socket = net::tcp::socket(io);
  const Status s = ConnectAndHello(options, socket, *parser, features);
  if (s.ok()) {
    ++sessions;
    reconnecting = false;
    connected = true;
    // Subscriptions first: a pending Unsubscribe must find its subscription.
    ResumeSubscriptions();
    for (auto& [id, p] : pending) write_queue.push_back(p.frame);
    Read();
    if (!write_queue.empty()) Write();
    return;
  }
  // A refusal by the daemon (token, version) will not change by retrying.
  if (!s.IsIOError() || std::chrono::steady_clock::now() >= reconnect_deadline) {
    Fail(s.IsIOError() ? why : s);
    return;
  }
  retry_timer.expires_after(std::chrono::milliseconds(50));
  retry_timer.async_wait([this, why](const boost::system::error_code& ec) {
    if (!ec && broken.ok()) TryReconnect(why);
  });
}

void Client::Rep::Fail(const Status& why) {
  if (broken.ok()) broken = why;
  connected = false;
  reconnecting = false;
  ++generation;
  boost::system::error_code ignored;
  socket.close(ignored);
  retry_timer.cancel();
  EndSubscriptions(broken);
  // Callbacks may not call back into the map while we walk it.
  auto all = std::move(pending);
  pending.clear();
  for (auto& [id, p] : all) p.done(broken);
}

Client::Client(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Client::~Client() {
  net::asio::post(rep_->io, [rep = rep_.get()] {
    rep->Fail(Status::Aborted("the client was closed"));
    rep->work.reset();
  });
  rep_->thread.join();
}

Result<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  auto rep = std::make_unique<Rep>(options);
  if (Status s = ConnectAndHello(options, rep->socket, *rep->parser, rep->features);
      !s.ok()) {
    return s;
  }
  Rep* r = rep.get();
  r->Read();
  r->thread = std::thread([r] { r->io.run(); });
  return std::unique_ptr<Client>(new Client(std::move(rep)));
}

bool Client::connected() const { return rep_->connected; }

}  // namespace evlog
