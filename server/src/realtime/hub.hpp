#pragma once
// Real-time updates: forwards the in-process events (core::EventBus) to browsers over WebSocket.
//
// A channel per user and one for admins: a client gets the events of its own user; admins also
// get every user's events and the admin-only ones (user_id empty). Each client has a bounded queue
// (queue_limit messages): a browser that reads too slowly is disconnected (1013, "reconnect and
// refetch") instead of slowing the others or growing memory. Publishing never waits.
//
// Sessions: a client is closed (1008) when its session is revoked or its user blocked (at once
// through disconnect_session / disconnect_user, which the auth service's hooks call) and, across
// backend instances, by run(): every recheck_every it asks `session_check` whether each client's
// session is still valid.
//
// Messages are api/events/envelope.schema.json: {"type", "ts", "data"}; the first one is "hello".
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/event_bus.hpp"
#include "core/time.hpp"
#include "http/message.hpp"

namespace neuropod::realtime {

struct HubOptions {
  std::size_t queue_limit = 256;
  std::chrono::milliseconds recheck_every{30'000};
};

class Hub {
 public:
  // true while the session whose cookie value is `credential` is valid (not revoked, not
  // expired, its user not blocked).
  using SessionCheck = std::function<boost::asio::awaitable<bool>(std::string credential)>;

  Hub(core::EventBus& bus, const core::Clock& clock, HubOptions options = {});
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  void set_session_check(SessionCheck check);

  // Serves one accepted socket until the client goes away, falls behind, its session ends or the
  // server shuts down.
  // `credential`: the session cookie's value, for the rechecks.
  boost::asio::awaitable<void> serve(http::WebSocket& ws, http::Principal who,
                                     std::string credential);
  // Periodic session rechecks, until `stop`.
  boost::asio::awaitable<void> run(std::stop_token stop);
  // Closes every client of the user / of the session (1008 with `reason`). Any thread.
  void disconnect_user(const std::string& user_id, const std::string& reason);
  void disconnect_session(const std::string& session_id, const std::string& reason);

  std::size_t clients() const;
  // Messages dropped with a disconnect because a client's queue was full (metrics, tests).
  std::uint64_t overflows() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  core::EventBus::Subscription subscription_;
};

}  // namespace neuropod::realtime
