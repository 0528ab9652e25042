#include "pods/reconciler.hpp"

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/errors.hpp"
#include "core/logging.hpp"
#include "core/sleep.hpp"

namespace neuropod::pods {

namespace asio = boost::asio;

namespace {

using Item =
    std::variant<runtime::Observation, std::vector<runtime::Observation>, runtime::ProgressEvent>;
using Channel = asio::experimental::concurrent_channel<void(boost::system::error_code, Item)>;
constexpr std::size_t kQueueCapacity = 100'000;

// What a worker hands to PodService: the latest observation of a pod, one of its progress
// events, or the sweep after a list (records the list did not show).
struct Sweep {
  std::vector<std::string> seen;
};
using Work = std::variant<runtime::Observation, runtime::ProgressEvent, Sweep>;

constexpr std::size_t kMaxWorkers = 32;
constexpr std::string_view kSweepKey = "#sweep";

// Per-pod queues worked on by at most kMaxWorkers coroutines: items of one pod in arrival order,
// one at a time; different pods concurrently (their database round trips overlap). A queued
// observation is replaced by a newer one of the same pod (each is the pod's whole state). Only
// touched on the dispatcher's strand.
struct Dispatch {
  asio::any_io_executor strand;
  PodService* pods = nullptr;
  std::atomic<std::uint64_t>* handled = nullptr;
  std::unordered_map<std::string, std::deque<Work>> queues;
  std::deque<std::string> ready;  // keys with queued work and no worker on them
  std::unordered_set<std::string> busy;
  std::size_t workers = 0;
};

asio::awaitable<void> handle(PodService& pods, Work work) {
  try {
    if (auto* o = std::get_if<runtime::Observation>(&work)) {
      co_await pods.observe(std::move(*o));
    } else if (auto* e = std::get_if<runtime::ProgressEvent>(&work)) {
      co_await pods.progress(std::move(*e));
    } else {
      co_await pods.sweep(std::get<Sweep>(std::move(work)).seen);
    }
  } catch (const std::exception& e) {
    log::warn("pods.reconcile_failed", {{"error", e.what()}});
  }
}

asio::awaitable<void> worker(std::shared_ptr<Dispatch> d) {
  while (!d->ready.empty()) {
    std::string key = std::move(d->ready.front());
    d->ready.pop_front();
    d->busy.insert(key);
    for (;;) {
      auto it = d->queues.find(key);  // again after every wait: the map may have changed
      if (it == d->queues.end() || it->second.empty()) {
        d->queues.erase(key);
        break;
      }
      Work work = std::move(it->second.front());
      it->second.pop_front();
      co_await handle(*d->pods, std::move(work));
      d->handled->fetch_add(1);
    }
    d->busy.erase(key);
  }
  --d->workers;
}

void add(const std::shared_ptr<Dispatch>& d, const std::string& key, Work work) {
  auto& q = d->queues[key];
  if (!q.empty() && std::holds_alternative<runtime::Observation>(q.back()) &&
      std::holds_alternative<runtime::Observation>(work)) {
    q.back() = std::move(work);  // coalesced: only the latest state matters
    return;
  }
  q.push_back(std::move(work));
  if (q.size() == 1 && !d->busy.contains(key)) {
    d->ready.push_back(key);
  }
  if (d->workers < kMaxWorkers && !d->ready.empty()) {
    ++d->workers;
    asio::co_spawn(d->strand, worker(d), asio::detached);
  }
}

// Receives the watches' items (any thread) and dispatches them on the strand it runs on.
// Sets `done` once the channel is closed and no worker runs any more: then nothing touches the
// PodService on behalf of this term.
asio::awaitable<void> drain(std::shared_ptr<Channel> channel, PodService* pods,
                            std::atomic<std::uint64_t>* handled,
                            std::shared_ptr<std::atomic<bool>> done) {
  auto d = std::make_shared<Dispatch>();
  d->strand = co_await asio::this_coro::executor;
  d->pods = pods;
  d->handled = handled;
  for (;;) {
    boost::system::error_code ec;
    Item item = co_await channel->async_receive(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      // Closed: the term ended. Workers finish the item they hold and find nothing more.
      d->queues.clear();
      d->ready.clear();
      asio::steady_timer timer(d->strand);
      while (d->workers > 0) {
        timer.expires_after(std::chrono::milliseconds(5));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      done->store(true);
      co_return;
    }
    if (auto* o = std::get_if<runtime::Observation>(&item)) {
      const std::string key = o->pod_id;
      add(d, key, std::move(*o));
    } else if (auto* all = std::get_if<std::vector<runtime::Observation>>(&item)) {
      Sweep sweep;
      for (auto& obs : *all) {
        sweep.seen.push_back(obs.pod_id);
        const std::string key = obs.pod_id;
        add(d, key, std::move(obs));
      }
      add(d, std::string(kSweepKey), std::move(sweep));
      handled->fetch_add(1);
    } else {
      auto& e = std::get<runtime::ProgressEvent>(item);
      const std::string key = e.pod_id;
      add(d, key, std::move(e));
    }
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
      election_failing_ = false;
    } catch (const std::exception& e) {
      election_failing_ = true;
      log::warn("pods.leader_election_failed", {{"error", e.what()}});
    }
    if (lead) {
      log::info("pods.leader", {{"identity", options_.identity}});
      co_await lead_term(stop);
      log::info("pods.leader_lost", {{"identity", options_.identity}});
    }
    if (!co_await core::sleep_for(renew_every, stop)) {
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

  auto drained = std::make_shared<std::atomic<bool>>(false);
  asio::co_spawn(asio::make_strand(ex), drain(channel, &pods_, &handled_, drained), asio::detached);
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
  auto renewed_at = std::chrono::steady_clock::now();  // the term began with a renewal
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
    if (!co_await core::sleep_for(renew_every, stop)) {
      break;
    }
    bool still = true;
    try {
      still = co_await runtime_.lead(options_.identity, options_.lease_duration);
      election_failing_ = false;
      renewed_at = std::chrono::steady_clock::now();
    } catch (const std::exception& e) {
      election_failing_ = true;
      log::warn("pods.lease_renewal_failed", {{"error", e.what()}});
      if (std::chrono::steady_clock::now() - renewed_at >= options_.lease_duration) {
        // Not renewed for a whole lease: another instance may lead by now. Step down.
        log::warn("pods.lease_expired", {{"identity", options_.identity}});
        still = false;
      }
    }
    if (!still) {
      break;
    }
    try {
      co_await pods_.retry_unconfirmed();
    } catch (const std::exception& e) {
      log::warn("pods.relaunch_failed", {{"error", e.what()}});
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
  // Until the workers are done: the caller may destroy the PodService once run() returns.
  asio::steady_timer wait(ex);
  while (!drained->load()) {
    wait.expires_after(std::chrono::milliseconds(5));
    boost::system::error_code ec;
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  leading_ = false;
}

}  // namespace neuropod::pods
