#include "core/sleep.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace neuropod::core {

namespace asio = boost::asio;

asio::awaitable<bool> sleep_for(std::chrono::milliseconds d, std::stop_token stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto until = std::chrono::steady_clock::now() + d;
  while (!stop.stop_requested()) {
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      co_return true;
    }
    timer.expires_after(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(200)));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return false;
    }
  }
  co_return false;
}

}  // namespace neuropod::core
