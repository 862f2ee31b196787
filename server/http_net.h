// The one place evlogd includes Boost.Beast (after net.h, which includes
// Asio the way Boost 1.74 needs under C++20). Beast's string_view is made
// std::string_view here, so every includer must come through this header.

#pragma once

#include "net.h"
// clang-format off
#ifndef BOOST_BEAST_USE_STD_STRING_VIEW
#define BOOST_BEAST_USE_STD_STRING_VIEW 1
#endif
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

namespace evlog::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;

}  // namespace evlog::net
