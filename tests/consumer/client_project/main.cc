// Builds against the installed evlog::client and connects to a port where
// no daemon listens: the call must come back as IOError (exit 0).

#include <evlog/client.h>

#include <iostream>

int main() {
  auto client = evlog::Client::Connect({.host = "127.0.0.1", .port = 1});
  if (client.ok() || !client.status().IsIOError()) {
    std::cerr << "expected IOError, got " << client.status().ToString() << "\n";
    return 1;
  }
  std::cout << "client_consumer: " << client.status().ToString() << "\n";
  return 0;
}
