// DaemonTest: a fixture running evlogd's Server in-process on 127.0.0.1 with
// an ephemeral port, on its own io_context thread; and RawSession, a
// blocking socket for sending bytes no well-behaved client would.

#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "client.h"
#include "evlog/store.h"
#include "net.h"
#include "protocol.h"
#include "server.h"
#include "testutil/child_process.h"
#include "testutil/temp_dir.h"

namespace evlog::testutil {

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }
  void TearDown() override { StopServer(); }

  // Opens the store (once) and starts a server with `options` on an
  // ephemeral loopback port.
  void StartServer(server::ServerOptions options = {});
  // StartServer with HTTP on an ephemeral loopback port as well (default
  // HttpOptions unless `options` has some); sets http_port_.
  void StartHttpServer(server::ServerOptions options = {});
  // Drains the server and waits for its thread. The store stays open.
  void StopServer();
  // "127.0.0.1:<http port>", for a Host header.
  std::string HttpHost() const { return "127.0.0.1:" + std::to_string(http_port_); }

  uint16_t port() const { return port_; }
  Result<std::unique_ptr<Client>> Connect(const std::string& token = "");

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<net::asio::io_context> io_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  uint16_t http_port_ = 0;
};

// evlogd as a child process serving store() on a loopback port, for the
// tests that stop it with a signal; killed at the latest when the test ends.
class EvlogdProcessTest : public ::testing::Test {
 protected:
  // Starts evlogd on an ephemeral port (port_).
  void StartDaemon();
  // Kills evlogd (SIGKILL) and starts it again on the same port.
  void RestartDaemonOnSamePort();
  // A client of it (`options.port` is set here).
  Result<std::unique_ptr<Client>> ConnectToDaemon(ClientOptions options = {});
  std::string store() const { return dir_.Sub("store"); }

  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> daemon_;
};

// Starts the evlogd binary on `listen`; sets `port` from the line it prints.
// Null if it did not start.
std::unique_ptr<ChildProcess> StartEvlogd(const std::string& db, const std::string& listen,
                                          uint16_t& port);
// The same with any flags after the program name. With `http_port`, also
// reads the second line evlogd prints with --http and sets it.
std::unique_ptr<ChildProcess> StartEvlogd(const std::vector<std::string>& flags, uint16_t& port,
                                          uint16_t* http_port = nullptr);

// A blocking TCP connection with a 10 s receive timeout, so a test that
// waits for an answer that never comes fails instead of hanging.
class RawSession {
 public:
  static std::unique_ptr<RawSession> Connect(uint16_t port);
  ~RawSession();

  bool Send(std::string_view bytes);
  // The next frame's decoded response; nullopt on close, timeout or a frame
  // that does not decode.
  std::optional<server::Response> ReadResponse();
  // Sends Hello and expects HelloOk.
  bool Hello(const std::string& token = "", uint32_t version = server::kProtocolVersion);
  // True when the server closes the connection (EOF or reset) before the
  // timeout, with no further bytes.
  bool ClosedByServer();

 private:
  explicit RawSession(int fd) : fd_(fd) {}
  int fd_;
  std::string buffer_;
};

}  // namespace evlog::testutil
