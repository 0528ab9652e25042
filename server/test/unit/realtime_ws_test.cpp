// The real-time channel end to end over real sockets: http::Server accepting WebSocket upgrades,
// realtime::Hub forwarding core::EventBus events, Beast WebSocket clients on loopback. The route
// here takes the user from the query (no sign-in: that is the auth middleware's part, tested with
// the app).
#include "realtime/hub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/event_bus.hpp"
#include "core/rate_limiter.hpp"
#include "core/time.hpp"
#include "http/message.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/security.hpp"
#include "http/server.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using neuropod::http::Access;
using neuropod::http::Request;
using neuropod::http::Response;
using nlohmann::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kRequestTimeout = 2s;  // per send
constexpr auto kWait = 20s;

// What one client has seen.
struct Inbox {
  std::mutex mu;
  std::vector<json> messages;
  int close_code = -1;  // -1: still open (or never opened)
  bool opened = false;
  std::string error;

  std::size_t count() {
    const std::lock_guard lock(mu);
    return messages.size();
  }
  std::vector<std::string> types() {
    const std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& m : messages) {
      out.push_back(m.value("type", ""));
    }
    return out;
  }
  int code() {
    const std::lock_guard lock(mu);
    return close_code;
  }
};

using Ws = websocket::stream<asio::ip::tcp::socket>;

// Connects, then reads every message into `inbox` until the server closes. `read` false: connect
// and never read (a stalled browser).
asio::awaitable<void> client(std::uint16_t port, std::string target, std::shared_ptr<Inbox> inbox,
                             bool read, std::shared_ptr<Ws> keep) {
  boost::system::error_code ec;
  auto& ws = *keep;
  co_await ws.next_layer().async_connect({asio::ip::make_address("127.0.0.1"), port},
                                         asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    co_await ws.async_handshake("127.0.0.1", target, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    const std::lock_guard lock(inbox->mu);
    inbox->error = ec.message();
    co_return;
  }
  {
    const std::lock_guard lock(inbox->mu);
    inbox->opened = true;
  }
  if (!read) {
    co_return;  // the socket stays open (held by `keep`), nothing is ever read
  }
  beast::flat_buffer buffer;
  for (;;) {
    co_await ws.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      const std::lock_guard lock(inbox->mu);
      inbox->close_code = ec == websocket::error::closed ? ws.reason().code : 0;
      co_return;
    }
    auto text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    const std::lock_guard lock(inbox->mu);
    inbox->messages.push_back(json::parse(text));
  }
}

class RealtimeWs : public ::testing::Test {
 protected:
  RealtimeWs()
      : limiter_(clock_, 1'000'000),
        security_(neuropod::http::SecurityOptions{}, limiter_),
        pipeline_(router_, {&security_}) {}

  void SetUp() override {
    neuropod::realtime::HubOptions options;
    options.queue_limit = 16;
    options.recheck_every = 200ms;
    hub_ = std::make_unique<neuropod::realtime::Hub>(bus_, clock_, options);
    hub_->set_session_check(
        [this](std::string credential) { return check(std::move(credential)); });
    neuropod::realtime::Hub* hub = hub_.get();
    router_.get("/ws", Access::anonymous, [hub](Request& req) {
      neuropod::http::Principal who;
      who.user_id = req.query_param("user").value_or("");
      who.session_id = "s-" + who.user_id;
      who.admin = req.query_param("admin").value_or("") == "1";
      return upgrade(hub, who);
    });
    neuropod::core::HttpConfig config;
    config.hosts = {"127.0.0.1"};
    config.port = 0;
    config.request_timeout = kRequestTimeout;
    config.shutdown_grace = 3s;
    server_ = std::make_unique<neuropod::http::Server>(ioc_, config, pipeline_);
    port_ = server_->start();
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
    client_thread_ = std::thread([this] { clients_.run(); });
  }

  void TearDown() override {
    stop_hub_.request_stop();
    auto done = asio::co_spawn(ioc_, server_->shutdown(), asio::use_future);
    done.wait_for(kWait);
    client_work_.reset();
    clients_.stop();
    client_thread_.join();
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
  }

  static asio::awaitable<Response> upgrade(neuropod::realtime::Hub* hub,
                                           neuropod::http::Principal who) {
    co_return Response::upgrade([hub, who](neuropod::http::WebSocket& ws) {
      return hub->serve(ws, who, "credential-of-" + who.user_id);
    });
  }

  asio::awaitable<bool> check(std::string credential) {
    const std::lock_guard lock(revoked_mu_);
    co_return revoked_.count(credential) == 0;
  }

  // Opens a client for `user` on the client io_context.
  std::shared_ptr<Inbox> open(const std::string& user, bool admin = false, bool read = true) {
    auto inbox = std::make_shared<Inbox>();
    auto ws = std::make_shared<Ws>(asio::make_strand(clients_));
    sockets_.push_back(ws);
    const std::string target = "/ws?user=" + user + (admin ? "&admin=1" : "");
    asio::co_spawn(ws->get_executor(), client(port_, target, inbox, read, ws), asio::detached);
    return inbox;
  }

  // Waits until `pred` holds (true) or kWait passes (false).
  static bool eventually(const std::function<bool()>& pred, SteadyClock::duration within = kWait) {
    const auto until = SteadyClock::now() + within;
    while (!pred()) {
      if (SteadyClock::now() >= until) {
        return false;
      }
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  void publish(const std::string& type, const std::string& user, json data = json::object()) {
    bus_.publish(neuropod::core::Event{type, user, std::move(data)});
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
  asio::io_context clients_;
  asio::executor_work_guard<asio::io_context::executor_type> client_work_ =
      asio::make_work_guard(clients_);
  neuropod::core::SystemClock clock_;
  neuropod::core::EventBus bus_;
  neuropod::core::RateLimiter limiter_;
  neuropod::http::SecurityMiddleware security_;
  neuropod::http::Router router_;
  neuropod::http::Pipeline pipeline_;
  std::unique_ptr<neuropod::realtime::Hub> hub_;
  std::stop_source stop_hub_;
  std::mutex revoked_mu_;
  std::set<std::string> revoked_;
  std::unique_ptr<neuropod::http::Server> server_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::thread client_thread_;
  std::vector<std::shared_ptr<Ws>> sockets_;
};

TEST_F(RealtimeWs, EachSocketGetsItsOwnUsersEventsAndAdminsGetAll) {
  auto alice = open("alice");
  auto bob = open("bob");
  auto admin = open("root", true);
  ASSERT_TRUE(eventually([&] { return hub_->clients() == 3; }));
  ASSERT_TRUE(
      eventually([&] { return alice->count() == 1 && bob->count() == 1 && admin->count() == 1; }));
  EXPECT_EQ(alice->types()[0], "session.hello");

  publish("pod.status", "alice", {{"id", "p1"}, {"status", "running"}});
  publish("pod.status", "bob", {{"id", "p2"}, {"status", "pending"}});
  publish("user.signed_up", "", {{"email", "new@neuropod.test"}});  // admins only
  ASSERT_TRUE(eventually([&] { return admin->count() == 4; }));
  ASSERT_TRUE(eventually([&] { return alice->count() == 2 && bob->count() == 2; }));
  std::this_thread::sleep_for(100ms);  // nothing else arrives
  EXPECT_EQ(alice->count(), 2U);
  EXPECT_EQ(bob->count(), 2U);
  {
    const std::lock_guard lock(alice->mu);
    const auto& m = alice->messages[1];
    EXPECT_EQ(m["type"], "pod.status");
    EXPECT_EQ(m["data"]["id"], "p1");
    EXPECT_TRUE(m["ts"].is_string());
  }
  {
    const std::lock_guard lock(bob->mu);
    EXPECT_EQ(bob->messages[1]["data"]["id"], "p2");
  }
  EXPECT_EQ(admin->types(), (std::vector<std::string>{"session.hello", "pod.status", "pod.status",
                                                      "user.signed_up"}));
}

TEST_F(RealtimeWs, EndedSessionsAreClosedWithPolicyViolation) {
  auto alice = open("alice");
  auto bob = open("bob");
  auto carol = open("carol");
  ASSERT_TRUE(eventually([&] { return hub_->clients() == 3; }));
  // At once on this instance (the auth service's hook)...
  hub_->disconnect_session("s-alice", "signed out");
  hub_->disconnect_user("bob", "blocked");
  ASSERT_TRUE(eventually([&] { return alice->code() == 1008 && bob->code() == 1008; }));
  // ... and by the periodic recheck (a revocation on another instance).
  auto rechecks = asio::co_spawn(ioc_, hub_->run(stop_hub_.get_token()), asio::use_future);
  {
    const std::lock_guard lock(revoked_mu_);
    revoked_.insert("credential-of-carol");
  }
  ASSERT_TRUE(eventually([&] { return carol->code() == 1008; }));
  EXPECT_TRUE(eventually([&] { return hub_->clients() == 0; }));
  stop_hub_.request_stop();
  EXPECT_EQ(rechecks.wait_for(kWait), std::future_status::ready);
}

TEST_F(RealtimeWs, ShutdownClosesWithGoingAway) {
  auto alice = open("alice");
  ASSERT_TRUE(eventually([&] { return alice->count() == 1; }));
  auto done = asio::co_spawn(ioc_, server_->shutdown(), asio::use_future);
  ASSERT_EQ(done.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(eventually([&] { return alice->code() == 1001; }));
  EXPECT_EQ(server_->open_connections(), 0U);
}

TEST_F(RealtimeWs, APlainGetOnTheEndpointIsABadRequest) {
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  socket.connect({asio::ip::make_address("127.0.0.1"), port_});
  beast::http::request<beast::http::empty_body> req{beast::http::verb::get, "/ws?user=a", 11};
  req.set(beast::http::field::host, "127.0.0.1");
  beast::http::write(socket, req);
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> res;
  beast::http::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 400U);
  EXPECT_EQ(json::parse(res.body())["error"]["code"], "bad_request");
}

// 1,000 idle sockets and one that never reads: events still reach everyone else promptly, the
// stalled one is cut off when its queue fills, and memory does not grow with it.
TEST_F(RealtimeWs, ASlowReaderDoesNotDelayTheOthers) {
  constexpr int kIdle = 1000;
  std::vector<std::shared_ptr<Inbox>> idle;
  idle.reserve(kIdle);
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(open("idle-" + std::to_string(i)));
  }
  auto slow = open("slow", false, false);
  auto fast = open("fast");
  ASSERT_TRUE(eventually([&] { return hub_->clients() == kIdle + 2; }, 60s))
      << hub_->clients() << " connected";

  // Fill the slow reader's socket buffers and then its queue: big messages it never reads.
  const std::string big(64 * 1024, 'x');
  for (int i = 0; i < 200; ++i) {
    publish("pod.logs", "slow", {{"text", big}});
  }
  // Meanwhile one event for each of the others.
  const auto sent = SteadyClock::now();
  publish("pod.status", "fast", {{"n", 1}});
  for (int i = 0; i < kIdle; ++i) {
    publish("pod.status", "idle-" + std::to_string(i), {{"n", i}});
  }
  // Everyone else has it well before the slow one's single send could even time out (2 s).
  const bool all = eventually(
      [&] {
        if (fast->count() < 2) {
          return false;
        }
        for (auto& inbox : idle) {
          if (inbox->count() < 2) {
            return false;
          }
        }
        return true;
      },
      kRequestTimeout);
  const auto took = SteadyClock::now() - sent;
  EXPECT_TRUE(all) << "not every fast client got its event within " << kRequestTimeout.count()
                   << " s";
  RecordProperty(
      "fanout_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  // The slow one overflowed its queue and is gone; the others are still connected.
  EXPECT_TRUE(eventually([&] { return hub_->overflows() >= 1; }));
  EXPECT_TRUE(eventually([&] { return hub_->clients() == kIdle + 1; }));
}

}  // namespace
