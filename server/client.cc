// Invariant: `pending_`, the write queue and the socket are touched only on
// the I/O thread; callers hand requests over by posting to it. A request is
// in `pending_` before its bytes are written, so its response always finds
// it.

#include "client.h"

#include <atomic>
#include <deque>
#include <future>
#include <thread>
#include <unordered_map>

#include "frame.h"
#include "net.h"
#include "protocol.h"

namespace evlog {

namespace {
using server::Request;
using server::RequestBody;
using server::Response;
using ResponseCallback = std::function<void(Result<Response>)>;

// The expected body of `response`, or the Error it carries.
template <class T>
Result<T> Expect(Result<Response> response) {
  if (!response.ok()) return response.status();
  Response& r = response.value();
  if (auto* error = std::get_if<server::ErrorResponse>(&r.body)) return error->status;
  if (auto* value = std::get_if<T>(&r.body)) return std::move(*value);
  return Status::IOError("the daemon answered with an unexpected message type");
}
}  // namespace

struct Client::Rep {
  explicit Rep(const ClientOptions& o)
      : options(o), socket(io), parser(o.max_frame_bytes), work(net::asio::make_work_guard(io)) {}

  ClientOptions options;
  net::asio::io_context io;
  net::tcp::socket socket;
  server::FrameParser parser;
  std::array<uint8_t, 64 << 10> read_buffer{};
  net::asio::executor_work_guard<net::asio::io_context::executor_type> work;
  std::thread thread;
  std::atomic<uint64_t> next_id{1};
  std::atomic<bool> connected{true};

  // I/O thread only.
  std::unordered_map<uint64_t, ResponseCallback> pending;
  std::deque<std::string> write_queue;
  bool writing = false;
  Status broken;  // why the session ended, once it has

  void Call(RequestBody body, ResponseCallback done);
  void Read();
  void Write();
  void Fail(const Status& why);
  Result<Response> CallSync(RequestBody body);
};

void Client::Rep::Call(RequestBody body, ResponseCallback done) {
  const uint64_t id = next_id.fetch_add(1);
  std::string frame = server::EncodeRequest(Request{id, std::move(body)});
  net::asio::post(io, [this, id, frame = std::move(frame), done = std::move(done)]() mutable {
    if (!broken.ok()) {
      done(broken);
      return;
    }
    pending.emplace(id, std::move(done));
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
  for (size_t i = 0; i < frames; ++i) buffers.push_back(net::asio::buffer(write_queue[i]));
  net::asio::async_write(socket, buffers,
                         [this, frames](const boost::system::error_code& ec, size_t) {
                           writing = false;
                           if (ec) {
                             Fail(Status::IOError("write to evlogd failed: " + ec.message()));
                             return;
                           }
                           for (size_t i = 0; i < frames; ++i) write_queue.pop_front();
                           if (!write_queue.empty()) Write();
                         });
}

void Client::Rep::Read() {
  socket.async_read_some(
      net::asio::buffer(read_buffer), [this](const boost::system::error_code& ec, size_t n) {
        if (ec) {
          Fail(Status::IOError(ec == net::asio::error::eof
                                   ? std::string("evlogd closed the session")
                                   : "read from evlogd failed: " + ec.message()));
          return;
        }
        parser.Feed(std::span<const uint8_t>(read_buffer.data(), n));
        for (;;) {
          const server::FrameParser::Next next = parser.Parse();
          if (next == server::FrameParser::Next::kNeedMore) break;
          if (next != server::FrameParser::Next::kFrame) {
            Fail(Status::IOError("evlogd sent a frame of a bad length"));
            return;
          }
          std::variant<Response, server::ProtocolError> decoded =
              server::DecodeResponse(parser.frame());
          if (auto* error = std::get_if<server::ProtocolError>(&decoded)) {
            Fail(Status::IOError("evlogd sent a bad message: " + error->message));
            return;
          }
          Response& response = std::get<Response>(decoded);
          auto it = pending.find(response.request_id);
          if (it == pending.end()) {
            // An Error not tied to a request: the daemon is closing the session.
            auto* error = std::get_if<server::ErrorResponse>(&response.body);
            Fail(error != nullptr ? error->status
                                  : Status::IOError("evlogd answered an unknown request id"));
            return;
          }
          ResponseCallback done = std::move(it->second);
          pending.erase(it);
          done(std::move(response));
        }
        Read();
      });
}

void Client::Rep::Fail(const Status& why) {
  if (broken.ok()) broken = why;
  connected = false;
  boost::system::error_code ignored;
  socket.close(ignored);
  // Callbacks may not call back into the map while we walk it.
  auto all = std::move(pending);
  pending.clear();
  for (auto& [id, done] : all) done(broken);
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
  boost::system::error_code ec;
  net::tcp::resolver resolver(rep->io);
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (!ec) net::asio::connect(rep->socket, endpoints, ec);
  if (ec) {
    return Status::IOError("cannot connect to " + options.host + ":" +
                           std::to_string(options.port) + ": " + ec.message());
  }
  rep->socket.set_option(net::tcp::no_delay(true), ec);

  // The handshake is synchronous, before the I/O thread starts.
  const std::string hello = server::EncodeRequest(Request{
      0, server::HelloRequest{server::kProtocolVersion, options.token, options.client_name}});
  net::asio::write(rep->socket, net::asio::buffer(hello), ec);
  std::optional<Response> answer;
  while (!ec && !answer) {
    const size_t n = rep->socket.read_some(net::asio::buffer(rep->read_buffer), ec);
    if (ec) break;
    rep->parser.Feed(std::span<const uint8_t>(rep->read_buffer.data(), n));
    const server::FrameParser::Next next = rep->parser.Parse();
    if (next == server::FrameParser::Next::kNeedMore) continue;
    if (next != server::FrameParser::Next::kFrame) {
      return Status::IOError("evlogd sent a frame of a bad length");
    }
    auto decoded = server::DecodeResponse(rep->parser.frame());
    if (auto* error = std::get_if<server::ProtocolError>(&decoded)) {
      return Status::IOError("evlogd sent a bad message: " + error->message);
    }
    answer = std::move(std::get<Response>(decoded));
  }
  if (ec) return Status::IOError("handshake with evlogd failed: " + ec.message());
  if (Result<server::HelloOkResponse> ok = Expect<server::HelloOkResponse>(std::move(*answer));
      !ok.ok()) {
    return ok.status();
  }
  Rep* r = rep.get();
  r->Read();
  r->thread = std::thread([r] { r->io.run(); });
  return std::unique_ptr<Client>(new Client(std::move(rep)));
}

bool Client::connected() const { return rep_->connected; }

Result<AppendResult> Client::Append(AppendRequest request) {
  return Expect<AppendResult>(rep_->CallSync(std::move(request)));
}

void Client::AppendAsync(AppendRequest request, AppendCallback done) {
  rep_->Call(std::move(request), [done = std::move(done)](Result<Response> r) {
    done(Expect<AppendResult>(std::move(r)));
  });
}

Result<std::vector<OwnedEvent>> Client::ReadStream(std::string_view stream,
                                                   const ReadStreamOptions& options) {
  std::vector<OwnedEvent> out;
  server::ReadStreamRequest request{std::string(stream), options};
  for (;;) {
    Result<server::EventsResponse> page = Expect<server::EventsResponse>(rep_->CallSync(request));
    if (!page.ok()) return page.status();
    std::vector<OwnedEvent>& events = page->events;
    const size_t got = events.size();
    if (got == 0) break;
    const uint64_t last = events.back().version.value();
    for (OwnedEvent& e : events) out.push_back(std::move(e));
    if (!page->truncated || got >= request.options.max_count) break;
    request.options.max_count -= got;
    if (request.options.direction == Direction::kForward) {
      request.options.from = Version(last + 1);
    } else {
      if (last <= 1) break;
      request.options.from = Version(last - 1);
    }
  }
  return out;
}

Result<std::vector<OwnedEvent>> Client::ReadAll(const ReadAllOptions& options) {
  std::vector<OwnedEvent> out;
  server::ReadAllRequest request{options};
  for (;;) {
    Result<server::EventsResponse> page = Expect<server::EventsResponse>(rep_->CallSync(request));
    if (!page.ok()) return page.status();
    const size_t got = page->events.size();
    if (got == 0) break;
    const uint64_t last = page->events.back().position.value();
    for (OwnedEvent& e : page->events) out.push_back(std::move(e));
    if (!page->truncated || got >= request.options.max_count) break;
    request.options.max_count -= got;
    request.options.from = Position(last + 1);
  }
  return out;
}

Result<Version> Client::StreamVersion(std::string_view stream) {
  return Expect<Version>(rep_->CallSync(server::StreamVersionRequest{std::string(stream)}));
}

Result<std::vector<StreamInfo>> Client::ListStreams(const ListStreamsOptions& options) {
  std::vector<StreamInfo> out;
  server::ListStreamsRequest request{options};
  for (;;) {
    Result<server::StreamsResponse> page = Expect<server::StreamsResponse>(rep_->CallSync(request));
    if (!page.ok()) return page.status();
    const size_t got = page->streams.size();
    if (got == 0) break;
    request.options.start_after = page->streams.back().name;
    for (StreamInfo& s : page->streams) out.push_back(std::move(s));
    if (!page->truncated || got >= request.options.max_count) break;
    request.options.max_count -= got;
  }
  return out;
}

Result<StoreStats> Client::Stats() {
  return Expect<StoreStats>(rep_->CallSync(server::StatsRequest{}));
}

}  // namespace evlog
