// HttpHandlerTest: HttpHandler (with its Dispatcher) over a real store,
// called without sockets: each call waits (bounded) for the handler's
// answer.

#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "dispatcher.h"
#include "http_handler.h"
#include "testutil/store_fixture.h"

namespace evlog::server {

class HttpHandlerTest : public testutil::StoreTest {
 protected:
  HttpAnswer Call(net::http::verb method, std::string target, std::string body = "",
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest request{method, target, 11};
    for (auto& [name, value] : headers) request.set(name, value);
    request.body() = std::move(body);
    std::promise<HttpAnswer> promise;
    std::future<HttpAnswer> future = promise.get_future();
    Handler().Handle(std::move(request),
                     [&promise](HttpAnswer answer) { promise.set_value(std::move(answer)); });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return future.get();
  }
  HttpResponse Response(net::http::verb method, std::string target, std::string body = "",
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpAnswer answer = Call(method, std::move(target), std::move(body), std::move(headers));
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(answer));
    return std::holds_alternative<HttpResponse>(answer) ? std::get<HttpResponse>(std::move(answer))
                                                        : HttpResponse{};
  }
  HttpHandler& Handler() {
    if (!handler_) {
      dispatcher_ = std::make_unique<Dispatcher>(*store_, DispatcherOptions{.token = token_});
      handler_ = std::make_unique<HttpHandler>(*dispatcher_, 16, 1 << 20);
    }
    return *handler_;
  }
  void TearDown() override {
    handler_.reset();
    dispatcher_.reset();
  }

  std::string token_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<HttpHandler> handler_;
};

}  // namespace evlog::server
