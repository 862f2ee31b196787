// The one place evlogd and the client include Boost.Asio.
//
// Boost 1.74's Asio does not compile under -std=c++20 unless <utility> is
// included before it (it uses std::exchange-era names without including
// them). Include this header, never <boost/asio.hpp> directly.

#pragma once

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

namespace evlog::net {

namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;

}  // namespace evlog::net
