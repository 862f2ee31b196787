// OlderDaemon: a stand-in for an evlogd older than a feature. It accepts one
// connection on 127.0.0.1, answers the Hello with `hello` (the feature's
// flag left false), then only counts the frames it is sent until the client
// closes: a client that refuses the feature up front sends none.

#pragma once

#include <array>
#include <cstdint>
#include <future>
#include <span>
#include <string>
#include <thread>

#include "frame.h"
#include "net.h"
#include "protocol.h"

namespace evlog::testutil {

class OlderDaemon {
 public:
  explicit OlderDaemon(server::HelloOkResponse hello)
      : acceptor_(io_, net::tcp::endpoint(net::asio::ip::make_address("127.0.0.1"), 0)),
        thread_([this, hello] { Serve(hello); }) {}
  OlderDaemon(const OlderDaemon&) = delete;
  OlderDaemon& operator=(const OlderDaemon&) = delete;
  ~OlderDaemon() {
    if (thread_.joinable()) thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Waits until the client has closed its connection; the frames it sent
  // after the Hello.
  int FramesAfterHello() {
    thread_.join();
    return frames_.get_future().get();
  }

 private:
  void Serve(const server::HelloOkResponse& hello) {
    net::tcp::socket socket(io_);
    acceptor_.accept(socket);
    server::FrameParser parser(1 << 20);
    std::array<uint8_t, 4096> buffer;
    int frames = 0;
    bool hello_answered = false;
    boost::system::error_code ec;
    while (true) {
      const size_t n = socket.read_some(net::asio::buffer(buffer), ec);
      if (ec) break;
      parser.Feed(std::span<const uint8_t>(buffer.data(), n));
      while (parser.Parse() == server::FrameParser::Next::kFrame) {
        if (hello_answered) {
          ++frames;
          continue;
        }
        const std::string ok = server::EncodeHelloOk(0, hello);
        net::asio::write(socket, net::asio::buffer(ok), ec);
        hello_answered = true;
      }
    }
    frames_.set_value(frames);
  }

  net::asio::io_context io_;
  net::tcp::acceptor acceptor_;
  std::promise<int> frames_;
  std::thread thread_;
};

}  // namespace evlog::testutil
