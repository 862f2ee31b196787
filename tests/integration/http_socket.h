// http_socket: a raw HTTP/1.1 client connection for the integration tests
// that need every header and byte to be their choice (admission, budgets):
// a blocking socket to 127.0.0.1 whose reads time out after 10 s, so a
// missing answer fails the test instead of hanging it.

#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/loopback.h"

namespace evlog::testutil {

struct Reply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  // A header's value ("" when absent); `name` as written, e.g. "Vary".
  std::string Header(const std::string& name) const {
    const size_t at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    const size_t start = at + name.size() + 4;
    return head.substr(start, head.find("\r\n", start) - start);
  }
  bool Has(const std::string& name) const { return head.find("\r\n" + name + ":") != head.npos; }
};

class HttpSocket {
 public:
  explicit HttpSocket(uint16_t port)
      : fd_(harness::ConnectLoopback(port, std::chrono::seconds(10))) {}
  ~HttpSocket() {
    if (fd_ >= 0) close(fd_);
  }

  bool connected() const { return fd_ >= 0; }
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads one response (Content-Length bodies only); status 0 on close or
  // timeout first.
  Reply Read() {
    Reply reply;
    size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return reply;
    }
    reply.head = in_.substr(0, end + 2);
    in_.erase(0, end + 4);
    const std::string length = reply.Header("Content-Length");
    const size_t body = length.empty() ? 0 : std::stoul(length);
    while (in_.size() < body) {
      if (!Fill()) return reply;
    }
    reply.body = in_.substr(0, body);
    in_.erase(0, body);
    reply.status = std::stoi(reply.head.substr(9, 3));
    return reply;
  }
  // True when the server has closed (EOF or reset) with nothing more sent.
  bool Closed() {
    if (!in_.empty()) return false;
    char byte;
    const ssize_t n = recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE));
  }
  // Sends `bytes` one at a time, waiting up to `pace` for the server to
  // close after each; true as soon as it has (the rest unsent).
  bool TrickleUntilClosed(std::string_view bytes, std::chrono::milliseconds pace) {
    for (char c : bytes) {
      if (!Send(std::string_view(&c, 1))) return true;
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, static_cast<int>(pace.count())) > 0) return Closed();
    }
    return false;
  }

 private:
  bool Fill() {
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    in_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string in_;
};

}  // namespace evlog::testutil
