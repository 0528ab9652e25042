// http::Server's connection deadlines and event loops, over real sockets on 127.0.0.1 (port 0),
// with a blocking client on the test thread. The deadlines are lazy (a request moves them without
// re-arming the timer): an idle keep-alive connection outlives the request timeout and is closed
// at the idle timeout, a request begun after a long idle spell still gets its 408 within the
// request timeout, and a stream of requests is never cut. Connections are spread over the session
// event loops, one thread each.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "core/config.hpp"
#include "core/rate_limiter.hpp"
#include "core/time.hpp"
#include "http/message.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/security.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using neuropod::http::Access;
using neuropod::http::Request;
using neuropod::http::Response;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kRequestTimeout = 300ms;
constexpr auto kIdleTimeout = 1200ms;

asio::awaitable<Response> ready(Response r) {
  co_return r;
}

// A blocking HTTP/1.1 client: enough to send a request (or half of one) and read one response.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, const char* address = "127.0.0.1") : socket_(ioc_) {
    socket_.connect({asio::ip::make_address(address), port});
  }
  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  void get(const std::string& path) { send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n"); }
  // The status of the next response (its body read by Content-Length), or 0 when the server
  // closed the connection first.
  int status() {
    boost::system::error_code ec;
    const auto head_end = asio::read_until(socket_, buffer_, "\r\n\r\n", ec);
    if (ec) {
      return 0;
    }
    std::string head(asio::buffers_begin(buffer_.data()),
                     asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(head_end));
    buffer_.consume(head_end);
    std::size_t length = 0;
    if (const auto at = head.find("Content-Length: "); at != std::string::npos) {
      length = std::stoul(head.substr(at + 16));
    }
    if (buffer_.size() < length) {
      asio::read(socket_, buffer_, asio::transfer_exactly(length - buffer_.size()), ec);
    }
    buffer_.consume(length);
    return std::stoi(head.substr(9, 3));
  }
  // Whether the server closed the connection (reads until EOF or `within`).
  bool closed_within(SteadyClock::duration within) {
    socket_.non_blocking(true);
    const auto until = SteadyClock::now() + within;
    std::array<char, 256> scratch{};
    while (SteadyClock::now() < until) {
      boost::system::error_code ec;
      socket_.read_some(asio::buffer(scratch), ec);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) {
        return true;
      }
      if (ec && ec != asio::error::would_block) {
        return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  asio::streambuf buffer_;
};

class HttpServer : public ::testing::Test {
 protected:
  HttpServer()
      : limiter_(clock_, 100'000),
        security_(neuropod::http::SecurityOptions{}, limiter_),
        pipeline_(router_, {&security_}) {}

  void SetUp() override {
    router_.get("/plain", Access::anonymous, [](Request& /*req*/) {
      return ready(Response::json(200, nlohmann::json{{"ok", true}}));
    });
    router_.get("/thread", Access::anonymous, [this](Request& /*req*/) {
      {
        const std::lock_guard lock(mu_);
        threads_seen_.insert(std::this_thread::get_id());
      }
      return ready(Response::json(200, nlohmann::json{{"ok", true}}));
    });

    neuropod::core::HttpConfig config;
    // Two listening addresses (all of 127.0.0.0/8 is loopback), one port.
    config.hosts = {"127.0.0.1", "127.0.0.2"};
    config.port = 0;
    config.request_timeout = kRequestTimeout;
    config.idle_timeout = kIdleTimeout;
    config.shutdown_grace = 1s;
    // Two session loops besides the accepting one, a thread each, like main.cpp.
    server_ = std::make_unique<neuropod::http::Server>(ioc_, config, pipeline_,
                                                       std::vector{&sessions_a_, &sessions_b_});
    port_ = server_->start();
    for (auto* loop : {&ioc_, &sessions_a_, &sessions_b_}) {
      threads_.emplace_back([loop] {
        auto work = asio::make_work_guard(*loop);
        loop->run();
      });
    }
  }

  void TearDown() override {
    auto done = asio::co_spawn(ioc_, server_->shutdown(), asio::use_future);
    EXPECT_EQ(done.wait_for(5s), std::future_status::ready);
    for (auto* loop : {&ioc_, &sessions_a_, &sessions_b_}) {
      loop->stop();
    }
    for (auto& t : threads_) {
      t.join();
    }
  }

  asio::io_context ioc_{1};
  asio::io_context sessions_a_{1};
  asio::io_context sessions_b_{1};
  neuropod::core::SystemClock clock_;
  neuropod::core::RateLimiter limiter_;
  neuropod::http::SecurityMiddleware security_;
  neuropod::http::Router router_;
  neuropod::http::Pipeline pipeline_;
  std::unique_ptr<neuropod::http::Server> server_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::set<std::thread::id> threads_seen_;
};

TEST_F(HttpServer, RequestsKeepComingForLongerThanTheRequestTimeout) {
  RawClient c(port_);
  const auto until = SteadyClock::now() + kRequestTimeout * 3;
  int answered = 0;
  while (SteadyClock::now() < until) {
    c.get("/plain");
    ASSERT_EQ(c.status(), 200) << "after " << answered << " requests";
    ++answered;
  }
  EXPECT_GT(answered, 10);
}

TEST_F(HttpServer, AnIdleConnectionOutlivesTheRequestTimeoutAndEndsAtTheIdleTimeout) {
  RawClient c(port_);
  c.get("/plain");
  ASSERT_EQ(c.status(), 200);
  std::this_thread::sleep_for(kRequestTimeout * 2);  // idle: only the idle timeout applies
  c.get("/plain");
  ASSERT_EQ(c.status(), 200);
  const auto idle_from = SteadyClock::now();
  EXPECT_TRUE(c.closed_within(kIdleTimeout + 2s));
  const auto idle_for = SteadyClock::now() - idle_from;
  EXPECT_GE(idle_for, kIdleTimeout - 50ms);
  EXPECT_LT(idle_for, kIdleTimeout + 1s);
}

TEST_F(HttpServer, ARequestBegunAfterAnIdleSpellGets408WithinTheRequestTimeout) {
  RawClient c(port_);
  c.get("/plain");
  ASSERT_EQ(c.status(), 200);
  // The idle deadline (kIdleTimeout away) is what the timer waits for now; the request's head
  // never ends, so its own, earlier deadline must win.
  std::this_thread::sleep_for(kRequestTimeout);
  const auto begun = SteadyClock::now();
  c.send("GET /plain HTTP/1.1\r\nHost: test\r\n");
  EXPECT_EQ(c.status(), 408);
  const auto took = SteadyClock::now() - begun;
  EXPECT_GE(took, kRequestTimeout - 50ms);
  EXPECT_LT(took, kIdleTimeout - 200ms) << "the request deadline was not the one applied";
}

TEST_F(HttpServer, ConnectionsAreSpreadOverTheSessionLoops) {
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<RawClient>(port_));
    clients.back()->get("/thread");
    ASSERT_EQ(clients.back()->status(), 200);
  }
  const std::lock_guard lock(mu_);
  EXPECT_EQ(threads_seen_.size(), 2U) << "two session loops, a thread each, took connections";
}

TEST_F(HttpServer, EveryListeningAddressAnswersOnTheSamePort) {
  for (const char* address : {"127.0.0.1", "127.0.0.2"}) {
    RawClient c(port_, address);
    c.get("/plain");
    EXPECT_EQ(c.status(), 200) << address;
  }
  EXPECT_THROW(RawClient(port_, "127.0.0.3"), boost::system::system_error)
      << "an address not listed is not listened on";
}

}  // namespace
