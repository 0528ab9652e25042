#include "core/probe.hpp"

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace neuropod::core {

namespace asio = boost::asio;

namespace {

struct ProbeState {
  explicit ProbeState(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::atomic<bool> done{false};
  std::mutex mu;
  std::optional<std::string> error;
};

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown error";
  }
}

std::optional<std::string> outcome(ProbeState& st, std::chrono::milliseconds timeout) {
  if (!st.done.load()) {
    return "no answer within " + std::to_string(timeout.count()) + " ms";
  }
  std::lock_guard lock(st.mu);
  return st.error;
}

}  // namespace

asio::awaitable<std::optional<std::string>> probe(asio::awaitable<void> op,
                                                  std::chrono::milliseconds timeout) {
  const auto ex = co_await asio::this_coro::executor;
  auto st = std::make_shared<ProbeState>(ex);
  st->timer.expires_after(timeout);
  asio::co_spawn(ex, std::move(op), [st](const std::exception_ptr& e) {
    if (e) {
      std::lock_guard lock(st->mu);
      st->error = describe(e);
    }
    st->done.store(true);
    st->timer.cancel();
  });
  boost::system::error_code ec;
  co_await st->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return outcome(*st, timeout);
}

}  // namespace neuropod::core
