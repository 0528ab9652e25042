#include "pods/reconciler.hpp"

#include <memory>
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/errors.hpp"
#include "core/logging.hpp"

namespace neuropod::pods {

namespace asio = boost::asio;

namespace {

using Item =
    std::variant<runtime::Observation, std::vector<runtime::Observation>, runtime::ProgressEvent>;
using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, Item)>;
constexpr std::size_t kQueueCapacity = 100'000;

// Waits `d` unless `stop` is requested first (checked every 200 ms). false: stop requested.
asio::awaitable<bool> sleep_for(std::chrono::milliseconds d, const std::stop_token& stop) {
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

// Hands every queued item to PodService, one at a time, in arrival order.
asio::awaitable<void> drain(std::shared_ptr<Channel> channel, PodService* pods,
                            std::atomic<std::uint64_t>* handled) {
  for (;;) {
    boost::system::error_code ec;
    Item item = co_await channel->async_receive(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return;  // closed: the term ended
    }
    try {
      if (auto* o = std::get_if<runtime::Observation>(&item)) {
        co_await pods->observe(std::move(*o));
      } else if (auto* all = std::get_if<std::vector<runtime::Observation>>(&item)) {
        co_await pods->resync(std::move(*all));
      } else {
        co_await pods->progress(std::get<runtime::ProgressEvent>(std::move(item)));
      }
    } catch (const std::exception& e) {
      log::warn("pods.reconcile_failed", {{"error", e.what()}});
    }
    handled->fetch_add(1);
  }
}

void enqueue(Channel& channel, Item item) {
  if (!channel.try_send(boost::system::error_code{}, std::move(item))) {
    // Full (or closed): the next resync repairs whatever this item would have told.
    log::warn("pods.reconcile_queue_full", {});
  }
}

void log_end(const char* what, const std::exception_ptr& e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log::warn("pods.watch_ended", {{"watch", what}, {"error", ex.what()}});
  }
}

}  // namespace

asio::awaitable<void> Reconciler::resync_once() {
  auto all = co_await runtime_.list();
  co_await pods_.resync(std::move(all));
}

asio::awaitable<void> Reconciler::run(std::stop_token stop) {
  const auto renew_every =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease_duration / 3);
  while (!stop.stop_requested()) {
    bool lead = false;
    try {
      lead = co_await runtime_.lead(options_.identity, options_.lease_duration);
    } catch (const std::exception& e) {
      log::warn("pods.leader_election_failed", {{"error", e.what()}});
    }
    if (lead) {
      log::info("pods.leader", {{"identity", options_.identity}});
      co_await lead_term(stop);
      log::info("pods.leader_lost", {{"identity", options_.identity}});
    }
    if (!co_await sleep_for(renew_every, stop)) {
      break;
    }
  }
}

asio::awaitable<void> Reconciler::lead_term(std::stop_token stop) {
  const auto ex = co_await asio::this_coro::executor;
  leading_ = true;
  std::stop_source term;
  auto channel = std::make_shared<Channel>(ex, kQueueCapacity);
  Channel* ch = channel.get();

  asio::co_spawn(ex, drain(channel, &pods_, &handled_), asio::detached);
  runtime::WatchHandlers handlers;
  handlers.on_change = [ch](const runtime::Observation& o) { enqueue(*ch, o); };
  handlers.on_resync = [ch](const std::vector<runtime::Observation>& all) { enqueue(*ch, all); };
  asio::co_spawn(ex, runtime_.watch(std::move(handlers), term.get_token()),
                 [channel](const std::exception_ptr& e) { log_end("pods", e); });
  asio::co_spawn(ex,
                 runtime_.watch_events([ch](const runtime::ProgressEvent& e) { enqueue(*ch, e); },
                                       term.get_token()),
                 [channel](const std::exception_ptr& e) { log_end("events", e); });

  const auto renew_every =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.lease_duration / 3);
  auto next_resync = std::chrono::steady_clock::now() + options_.resync_every;
  bool prepared = false;
  while (!stop.stop_requested()) {
    if (!prepared) {
      try {
        co_await pods_.prepare_cluster();
        prepared = true;
      } catch (const std::exception& e) {
        log::warn("pods.prepare_failed", {{"error", e.what()}});
      }
    }
    if (!co_await sleep_for(renew_every, stop)) {
      break;
    }
    bool still = true;
    try {
      still = co_await runtime_.lead(options_.identity, options_.lease_duration);
    } catch (const std::exception& e) {
      log::warn("pods.lease_renewal_failed", {{"error", e.what()}});
    }
    if (!still) {
      break;
    }
    if (std::chrono::steady_clock::now() >= next_resync) {
      next_resync = std::chrono::steady_clock::now() + options_.resync_every;
      prepared = false;  // templates may have changed: cheap when they did not
      try {
        auto all = co_await runtime_.list();
        enqueue(*ch, std::move(all));
      } catch (const std::exception& e) {
        log::warn("pods.resync_failed", {{"error", e.what()}});
      }
    }
  }
  term.request_stop();
  channel->close();
  leading_ = false;
}

}  // namespace neuropod::pods
