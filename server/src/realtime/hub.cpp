#include "realtime/hub.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/logging.hpp"
#include "core/sleep.hpp"

namespace neuropod::realtime {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr std::uint16_t kPolicyViolation = 1008;
constexpr std::uint16_t kTryAgainLater = 1013;

using Channel =
    asio::experimental::concurrent_channel<void(boost::system::error_code, std::string)>;

struct Client {
  Client(const asio::any_io_executor& ex, std::size_t capacity, http::Principal p, std::string c)
      : channel(ex, capacity), who(std::move(p)), credential(std::move(c)) {}
  Channel channel;
  const http::Principal who;
  const std::string credential;

  std::mutex mu;
  std::uint16_t close_code = 0;  // set once, by the first reason to end
  std::string close_reason;

  // Ends the client: its serve() loop wakes up and closes the socket with `code`. Any thread.
  void end(std::uint16_t code, std::string reason) {
    {
      const std::lock_guard lock(mu);
      if (close_code == 0) {
        close_code = code;
        close_reason = std::move(reason);
      }
    }
    channel.close();
  }
};

std::string envelope(std::string_view type, const json& data, core::TimePoint now) {
  return json{{"type", type}, {"ts", core::to_iso8601(now)}, {"data", data}}.dump();
}

}  // namespace

struct Hub::Impl {
  Impl(const core::Clock& c, HubOptions o) : clock(c), options(o) {}

  const core::Clock& clock;
  HubOptions options;
  SessionCheck check;

  mutable std::mutex mu;
  std::uint64_t next_id = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Client>> clients;
  std::atomic<std::uint64_t> overflows{0};

  std::vector<std::shared_ptr<Client>> snapshot() const {
    const std::lock_guard lock(mu);
    std::vector<std::shared_ptr<Client>> out;
    out.reserve(clients.size());
    for (const auto& [id, c] : clients) {
      out.push_back(c);
    }
    return out;
  }

  // The bus's handler: serialized once, offered to every client it concerns, never waits.
  void publish(const core::Event& e) {
    std::vector<std::shared_ptr<Client>> targets;
    {
      const std::lock_guard lock(mu);
      for (const auto& [id, c] : clients) {
        if (c->who.admin || (!e.user_id.empty() && c->who.user_id == e.user_id)) {
          targets.push_back(c);
        }
      }
    }
    if (targets.empty()) {
      return;
    }
    const std::string message = envelope(e.type, e.data, clock.now());
    for (const auto& c : targets) {
      if (!c->channel.is_open()) {
        continue;
      }
      if (!c->channel.try_send(boost::system::error_code{}, message)) {
        overflows.fetch_add(1);
        log::info("ws.client_too_slow", {{"user_id", c->who.user_id}});
        c->end(kTryAgainLater, "too slow: reconnect and refetch");
      }
    }
  }

  void end_where(const std::function<bool(const Client&)>& match, const std::string& reason) {
    for (const auto& c : snapshot()) {
      if (match(*c)) {
        c->end(kPolicyViolation, reason);
      }
    }
  }
};

Hub::Hub(core::EventBus& bus, const core::Clock& clock, HubOptions options)
    : impl_(std::make_shared<Impl>(clock, options)) {
  subscription_ = bus.subscribe([impl = impl_](const core::Event& e) { impl->publish(e); });
}

Hub::~Hub() = default;

void Hub::set_session_check(SessionCheck check) {
  impl_->check = std::move(check);
}

asio::awaitable<void> Hub::serve(http::WebSocket& ws, http::Principal who, std::string credential) {
  const auto ex = co_await asio::this_coro::executor;
  auto impl = impl_;
  auto client = std::make_shared<Client>(ex, impl->options.queue_limit, std::move(who),
                                         std::move(credential));
  std::uint64_t id = 0;
  {
    const std::lock_guard lock(impl->mu);
    id = impl->next_id++;
    impl->clients.emplace(id, client);
  }
  // Leaves the registry however serve() ends.
  struct Leave {
    Impl& impl;
    std::uint64_t id;
    ~Leave() {
      const std::lock_guard lock(impl.mu);
      impl.clients.erase(id);
    }
  } leave{*impl, id};
  // The socket ending (client gone, shutdown) wakes the receive below.
  const std::stop_callback on_stop(ws.stop_token(), [client] { client->channel.close(); });

  const json hello = {{"user_id", client->who.user_id}, {"admin", client->who.admin}};
  bool open = co_await ws.send(envelope("session.hello", hello, impl->clock.now()));
  while (open) {
    boost::system::error_code ec;
    std::string message =
        co_await client->channel.async_receive(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      break;
    }
    open = co_await ws.send(std::move(message));
  }
  std::uint16_t code = 0;
  std::string reason;
  {
    const std::lock_guard lock(client->mu);
    code = client->close_code;
    reason = client->close_reason;
  }
  if (code != 0) {
    ws.close_with(code, reason);
  }
}

asio::awaitable<void> Hub::run(std::stop_token stop) {
  auto impl = impl_;
  for (;;) {
    // Not in the loop's condition: see DEVELOPERS.md (g++ 12 and co_await in a condition).
    const bool more = co_await core::sleep_for(impl->options.recheck_every, stop);
    if (!more) {
      break;
    }
    if (!impl->check) {
      continue;
    }
    for (const auto& c : impl->snapshot()) {
      if (!c->channel.is_open()) {
        continue;
      }
      bool valid = true;
      try {
        valid = co_await impl->check(c->credential);
      } catch (const std::exception& e) {
        log::warn("ws.session_check_failed", {{"error", e.what()}});  // keep it: retry next time
      }
      if (!valid) {
        c->end(kPolicyViolation, "session ended");
      }
    }
  }
}

void Hub::disconnect_user(const std::string& user_id, const std::string& reason) {
  impl_->end_where([&user_id](const Client& c) { return c.who.user_id == user_id; }, reason);
}

void Hub::disconnect_session(const std::string& session_id, const std::string& reason) {
  impl_->end_where([&session_id](const Client& c) { return c.who.session_id == session_id; },
                   reason);
}

std::size_t Hub::clients() const {
  const std::lock_guard lock(impl_->mu);
  return impl_->clients.size();
}

std::uint64_t Hub::overflows() const {
  return impl_->overflows.load();
}

}  // namespace neuropod::realtime
