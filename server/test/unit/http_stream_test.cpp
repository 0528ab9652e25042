// Streamed (chunked) responses of http::Server, over real sockets on 127.0.0.1 (port 0): a Router
// and the SecurityMiddleware in a Pipeline, Beast clients as coroutines on the server's
// io_context (each on a strand of its own), results handed to the test thread through futures.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/config.hpp"
#include "core/rate_limiter.hpp"
#include "core/time.hpp"
#include "http/message.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/security.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using neuropod::http::Access;
using neuropod::http::Request;
using neuropod::http::Response;
using neuropod::http::StreamWriter;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kRequestTimeout = 500ms;  // per write; streams below outlive it on purpose
constexpr auto kGrace = 3s;
constexpr auto kWait = 10s;  // bound of every future the test thread waits for
constexpr const char* kRequestId = "stream-test-1";

// What the producers report to the test thread. Producers run on the server's threads.
struct Probe {
  std::atomic<bool> release{false};  // lets the steps producer write its second chunk
  std::atomic<int> runs{0};          // runs of the counted producer

  // until_gone: when it saw the stop token, and what write() answered afterwards
  std::promise<std::pair<SteadyClock::time_point, bool>> gone;
  // endless: the client has read the first chunk
  std::promise<void> streaming;
  // endless and stalled: the producer returned (how many writes answered true)
  std::promise<int> ended;
  // stalled: when the failing write began and ended, and whether stop was requested then
  std::atomic<SteadyClock::rep> failing_write_started{0};
  std::atomic<SteadyClock::rep> failing_write_ended{0};
  std::atomic<bool> stop_after_failure{false};
};

asio::awaitable<void> sleep_for(SteadyClock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

// ----------------------------------------------------------------------------------- producers

asio::awaitable<void> steps(Probe* probe, StreamWriter& out) {
  co_await out.write("one");
  const auto until = SteadyClock::now() + kWait;
  while (!probe->release.load() && SteadyClock::now() < until) {
    co_await sleep_for(5ms);
  }
  co_await out.write("");  // skipped
  co_await out.write("two");
  co_await out.write("three!");
}

asio::awaitable<void> slow(StreamWriter& out) {
  // Longer than the request timeout as a whole; each write is quick.
  for (int i = 0; i < 4; ++i) {
    std::string line = "tick " + std::to_string(i) + "\n";
    if (!co_await out.write(std::move(line))) {
      co_return;
    }
    co_await sleep_for(kRequestTimeout * 3 / 5);
  }
}

asio::awaitable<void> until_gone(Probe* probe, StreamWriter& out) {
  co_await out.write("hello");
  const auto token = out.stop_token();
  const auto until = SteadyClock::now() + kWait;
  while (!token.stop_requested() && SteadyClock::now() < until) {
    co_await sleep_for(5ms);
  }
  const auto seen = SteadyClock::now();
  const bool wrote = co_await out.write("after");
  probe->gone.set_value(std::make_pair(seen, wrote));
}

// Never ends by itself and ignores the stop token: only write() tells it to stop.
asio::awaitable<void> endless(Probe* probe, StreamWriter& out) {
  int chunks = 0;
  while (co_await out.write("tick\n")) {
    ++chunks;
    co_await sleep_for(20ms);
  }
  probe->ended.set_value(chunks);
}

asio::awaitable<void> throws(StreamWriter& out) {
  co_await out.write("partial");
  throw std::runtime_error("boom");
}

asio::awaitable<void> stalled(Probe* probe, StreamWriter& out) {
  const std::string block(std::size_t{64} * 1024, 'x');
  int chunks = 0;
  for (;;) {
    const auto started = SteadyClock::now();
    if (!co_await out.write(block)) {
      probe->failing_write_started = started.time_since_epoch().count();
      probe->failing_write_ended = SteadyClock::now().time_since_epoch().count();
      probe->stop_after_failure = out.stop_token().stop_requested();
      break;
    }
    ++chunks;
  }
  probe->ended.set_value(chunks);
}

asio::awaitable<void> counted(Probe* probe, StreamWriter& out) {
  probe->runs.fetch_add(1);
  co_await out.write("alpha");
  co_await out.write("beta");
}

asio::awaitable<Response> ready(Response r) {
  co_return r;
}

// ------------------------------------------------------------------------------------- clients

// What a client saw of one response.
struct Seen {
  unsigned status = 0;
  neuropod::http::Headers headers;
  std::string first;                  // the body when the client first looked
  std::string body;                   // transfer coding removed
  std::vector<std::uint64_t> chunks;  // sizes of the data chunks as framed on the wire
  bool complete = false;              // the body ended properly (last chunk, or EOF for 1.0)
  bool closed = false;                // and then the server closed the connection
  std::string error;                  // the first client-side failure
};

// A Beast client on one connection; every operation bounded by kWait.
class Client {
 public:
  explicit Client(const asio::any_io_executor& ex) : stream_(ex) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&&) = delete;
  Client& operator=(Client&&) = delete;

  // A small receive buffer (set before connecting) makes a client that stops reading stall the
  // server's writes quickly.
  void small_receive_buffer() {
    stream_.socket().open(asio::ip::tcp::v4());
    stream_.socket().set_option(asio::socket_base::receive_buffer_size(4096));
  }

  asio::awaitable<bool> connect(std::uint16_t port) {
    boost::system::error_code ec;
    stream_.expires_after(kWait);
    const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    co_await stream_.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec ? fail("connect", ec) : true;
  }

  // Sends a request and prepares for its response (a new Seen).
  asio::awaitable<bool> send(bhttp::verb verb, std::string target, unsigned version) {
    seen_ = Seen();
    parser_.emplace();
    parser_->on_chunk_header(on_chunk_);
    if (verb == bhttp::verb::head) {
      parser_->skip(true);
    }
    bhttp::request<bhttp::empty_body> req(verb, target, version);
    req.set(bhttp::field::host, "127.0.0.1");
    req.set("X-Request-Id", kRequestId);
    boost::system::error_code ec;
    stream_.expires_after(kWait);
    co_await bhttp::async_write(stream_, req, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec ? fail("write", ec) : true;
  }

  asio::awaitable<bool> read_header() {
    boost::system::error_code ec;
    stream_.expires_after(kWait);
    co_await bhttp::async_read_header(stream_, buffer_, *parser_,
                                      asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return fail("read header", ec);
    }
    seen_.status = parser_->get().result_int();
    for (const auto& field : parser_->get()) {
      seen_.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    co_return true;
  }

  // Reads until the body holds at least `size` bytes (or ends); Seen::first is what it holds.
  asio::awaitable<bool> read_at_least(std::size_t size) {
    boost::system::error_code ec;
    while (!ec && !parser_->is_done() && parser_->get().body().size() < size) {
      stream_.expires_after(kWait);
      co_await bhttp::async_read_some(stream_, buffer_, *parser_,
                                      asio::redirect_error(asio::use_awaitable, ec));
    }
    seen_.first = parser_->get().body();
    co_return ec ? fail("read body", ec) : true;
  }

  // Reads the rest of the body; with `expect_close`, then the server's end of the connection.
  asio::awaitable<bool> read_to_end(bool expect_close) {
    boost::system::error_code ec;
    while (!ec && !parser_->is_done()) {
      stream_.expires_after(kWait);
      co_await bhttp::async_read_some(stream_, buffer_, *parser_,
                                      asio::redirect_error(asio::use_awaitable, ec));
    }
    seen_.body = parser_->get().body();
    seen_.complete = parser_->is_done();
    if (ec) {
      co_return fail("read body", ec);
    }
    if (expect_close && parser_->need_eof()) {
      // The body ended with the connection: EOF was read already. (Reading again would wait:
      // Asio 1.81's epoll reactor does not retry a read speculatively after one returned EOF.)
      seen_.closed = true;
    } else if (expect_close) {
      std::array<char, 64> extra{};
      stream_.expires_after(kWait);
      const auto n = co_await stream_.async_read_some(
          asio::buffer(extra), asio::redirect_error(asio::use_awaitable, ec));
      seen_.closed = ec == asio::error::eof && n == 0 && buffer_.size() == 0;
    }
    co_return true;
  }

  void close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  Seen& seen() { return seen_; }

 private:
  bool fail(const char* what, const boost::system::error_code& ec) {
    if (seen_.error.empty()) {
      seen_.error = std::string(what) + ": " + ec.message();
    }
    return false;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  Seen seen_;
  // Beast keeps a reference to it: a member declared before the parser.
  std::function<void(std::uint64_t, beast::string_view, beast::error_code&)> on_chunk_ =
      [this](std::uint64_t size, beast::string_view /*ext*/, beast::error_code& /*ec*/) {
        if (size > 0) {
          seen_.chunks.push_back(size);
        }
      };
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
};

// One request, the whole response.
asio::awaitable<Seen> fetch(std::uint16_t port, bhttp::verb verb, std::string target,
                            unsigned version, bool expect_close) {
  Client c(co_await asio::this_coro::executor);
  if (co_await c.connect(port) && co_await c.send(verb, std::move(target), version) &&
      co_await c.read_header()) {
    co_await c.read_to_end(expect_close);
  }
  co_return c.seen();
}

// Two requests on one keep-alive connection.
asio::awaitable<std::vector<Seen>> fetch_twice(std::uint16_t port, std::string target) {
  Client c(co_await asio::this_coro::executor);
  std::vector<Seen> out;
  if (!co_await c.connect(port)) {
    out.push_back(c.seen());
    co_return out;
  }
  for (int i = 0; i < 2; ++i) {
    if (co_await c.send(bhttp::verb::get, target, 11) && co_await c.read_header()) {
      co_await c.read_to_end(false);
    }
    out.push_back(c.seen());
  }
  co_return out;
}

// Reads the first chunk, then lets the producer write the others.
asio::awaitable<Seen> read_steps(std::uint16_t port, Probe* probe) {
  Client c(co_await asio::this_coro::executor);
  if (co_await c.connect(port) && co_await c.send(bhttp::verb::get, "/steps", 11) &&
      co_await c.read_header() && co_await c.read_at_least(1)) {
    probe->release = true;
    co_await c.read_to_end(true);
  }
  co_return c.seen();
}

// Reads the first chunk and hangs up; returns when it did.
asio::awaitable<SteadyClock::time_point> hang_up(std::uint16_t port) {
  Client c(co_await asio::this_coro::executor);
  if (co_await c.connect(port) && co_await c.send(bhttp::verb::get, "/until-gone", 11) &&
      co_await c.read_header()) {
    co_await c.read_at_least(5);
  }
  c.close();
  co_return SteadyClock::now();
}

// Reads the first chunk, tells the test, then reads to the end.
asio::awaitable<Seen> follow(std::uint16_t port, Probe* probe) {
  Client c(co_await asio::this_coro::executor);
  if (co_await c.connect(port) && co_await c.send(bhttp::verb::get, "/endless", 11) &&
      co_await c.read_header() && co_await c.read_at_least(1)) {
    probe->streaming.set_value();
    co_await c.read_to_end(true);
  }
  co_return c.seen();
}

// Asks for a big stream and never reads it, until the producer has given up.
asio::awaitable<Seen> never_read(std::uint16_t port, Probe* probe) {
  Client c(co_await asio::this_coro::executor);
  c.small_receive_buffer();
  if (co_await c.connect(port) && co_await c.send(bhttp::verb::get, "/stalled", 11)) {
    const auto until = SteadyClock::now() + kWait;
    while (probe->failing_write_ended.load() == 0 && SteadyClock::now() < until) {
      co_await sleep_for(10ms);
    }
  }
  c.close();
  co_return c.seen();
}

// ------------------------------------------------------------------------------------- fixture

class HttpStream : public ::testing::Test {
 protected:
  HttpStream()
      : limiter_(clock_, 100'000),
        security_(neuropod::http::SecurityOptions{}, limiter_),
        pipeline_(router_, {&security_}) {}

  void SetUp() override {
    Probe* probe = &probe_;
    const auto streamed = [](neuropod::http::StreamProducer producer) {
      return ready(Response::streamed(200, "text/plain; charset=utf-8", std::move(producer)));
    };
    router_.get("/steps", Access::anonymous, [probe, streamed](Request& /*req*/) {
      return streamed([probe](StreamWriter& out) { return steps(probe, out); });
    });
    router_.get("/slow", Access::anonymous,
                [streamed](Request& /*req*/) { return streamed(slow); });
    router_.get("/until-gone", Access::anonymous, [probe, streamed](Request& /*req*/) {
      return streamed([probe](StreamWriter& out) { return until_gone(probe, out); });
    });
    router_.get("/endless", Access::anonymous, [probe, streamed](Request& /*req*/) {
      return streamed([probe](StreamWriter& out) { return endless(probe, out); });
    });
    router_.get("/throws", Access::anonymous,
                [streamed](Request& /*req*/) { return streamed(throws); });
    router_.get("/stalled", Access::anonymous, [probe, streamed](Request& /*req*/) {
      return streamed([probe](StreamWriter& out) { return stalled(probe, out); });
    });
    router_.get("/counted", Access::anonymous, [probe, streamed](Request& /*req*/) {
      return streamed([probe](StreamWriter& out) { return counted(probe, out); });
    });
    router_.get("/plain", Access::anonymous, [](Request& /*req*/) {
      return ready(Response::json(200, nlohmann::json{{"ok", true}}));
    });

    neuropod::core::HttpConfig config;
    config.hosts = {"127.0.0.1"};
    config.port = 0;
    config.request_timeout = kRequestTimeout;
    config.shutdown_grace = kGrace;
    server_ = std::make_unique<neuropod::http::Server>(ioc_, config, pipeline_);
    port_ = server_->start();
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }

  void TearDown() override {
    shutdown();
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
  }

  // Runs `op` on a strand of the server's io_context; the test thread waits at most kWait.
  template <typename T>
  T run(asio::awaitable<T> op) {
    auto done = asio::co_spawn(asio::make_strand(ioc_), std::move(op), asio::use_future);
    if (done.wait_for(kWait + 5s) != std::future_status::ready) {  // its own timeouts first
      throw std::runtime_error("the client did not finish in time");
    }
    return done.get();
  }

  // Server::shutdown; how long it took.
  SteadyClock::duration shutdown() {
    const auto started = SteadyClock::now();
    auto done = asio::co_spawn(ioc_, server_->shutdown(), asio::use_future);
    if (done.wait_for(kWait) != std::future_status::ready) {
      ADD_FAILURE() << "shutdown did not complete";
      return kWait;
    }
    done.get();
    return SteadyClock::now() - started;
  }

  bool connections_drop_to_zero(SteadyClock::duration within) {
    const auto until = SteadyClock::now() + within;
    while (server_->open_connections() > 0 && SteadyClock::now() < until) {
      std::this_thread::sleep_for(5ms);
    }
    return server_->open_connections() == 0;
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
  neuropod::core::SystemClock clock_;
  neuropod::core::RateLimiter limiter_;
  neuropod::http::SecurityMiddleware security_;
  neuropod::http::Router router_;
  neuropod::http::Pipeline pipeline_;
  Probe probe_;
  std::unique_ptr<neuropod::http::Server> server_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

std::string header(const Seen& seen, std::string_view name) {
  return std::string(seen.headers.get(name).value_or("<none>"));
}

// --------------------------------------------------------------------------------------- tests

TEST_F(HttpStream, ChunksArriveIncrementallyInOrder) {
  const auto seen = run(read_steps(port_, &probe_));
  EXPECT_EQ(seen.error, "");
  EXPECT_EQ(seen.status, 200U);
  EXPECT_EQ(seen.first, "one");  // the producer was still waiting to write "two"
  EXPECT_EQ(seen.body, "onetwothree!");
  EXPECT_EQ(seen.chunks, (std::vector<std::uint64_t>{3, 3, 6}));  // the empty write was skipped
  EXPECT_TRUE(seen.complete);
  EXPECT_TRUE(seen.closed);
}

TEST_F(HttpStream, HeadersAreSentAtOnceWithTheUsualOnes) {
  const auto seen = run(read_steps(port_, &probe_));
  ASSERT_EQ(seen.error, "");
  EXPECT_EQ(header(seen, "Transfer-Encoding"), "chunked");
  EXPECT_EQ(header(seen, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(header(seen, "Content-Length"), "<none>");
  EXPECT_EQ(header(seen, "Connection"), "close");
  EXPECT_EQ(header(seen, "Cache-Control"), "no-store");
  EXPECT_EQ(header(seen, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(seen, "X-Accel-Buffering"), "no");
  EXPECT_EQ(header(seen, "X-Frame-Options"), "DENY");  // from the security middleware
  EXPECT_NE(header(seen, "Content-Security-Policy"), "<none>");
  EXPECT_EQ(header(seen, "X-Request-Id"), kRequestId);
}

TEST_F(HttpStream, StreamOutlivesTheRequestTimeout) {
  const auto started = SteadyClock::now();
  const auto seen = run(fetch(port_, bhttp::verb::get, "/slow", 11, true));
  EXPECT_GT(SteadyClock::now() - started, kRequestTimeout * 2);
  EXPECT_EQ(seen.error, "");
  EXPECT_EQ(seen.body, "tick 0\ntick 1\ntick 2\ntick 3\n");
  EXPECT_TRUE(seen.complete);
  EXPECT_TRUE(seen.closed);
}

TEST_F(HttpStream, ClientDisconnectStopsTheProducer) {
  auto gone = probe_.gone.get_future();
  const auto hung_up = run(hang_up(port_));
  ASSERT_EQ(gone.wait_for(3s), std::future_status::ready);
  const auto [stop_seen, wrote_after] = gone.get();
  EXPECT_LT(stop_seen - hung_up, 1s);
  EXPECT_FALSE(wrote_after);
  EXPECT_TRUE(connections_drop_to_zero(1s));
}

TEST_F(HttpStream, ShutdownEndsAnEndlessStreamWithinTheGrace) {
  auto streaming_started = probe_.streaming.get_future();
  auto ended = probe_.ended.get_future();
  auto client = asio::co_spawn(asio::make_strand(ioc_), follow(port_, &probe_), asio::use_future);
  ASSERT_EQ(streaming_started.wait_for(kWait), std::future_status::ready);

  const auto took = shutdown();
  EXPECT_LT(took, 1s);  // the grace is 3 s: the stream was told to stop, not waited for
  // The producer returned (write() said stop; it ignores the token). Its first write may already
  // answer false: the client can read the chunk before the server resumes from the write.
  ASSERT_EQ(ended.wait_for(1s), std::future_status::ready);
  ASSERT_EQ(client.wait_for(kWait), std::future_status::ready);
  const auto seen = client.get();
  EXPECT_EQ(seen.error, "");
  EXPECT_TRUE(seen.complete);  // ended with the last chunk, not cut
  EXPECT_TRUE(seen.closed);
  EXPECT_EQ(seen.body.substr(0, 5), "tick\n");
  EXPECT_EQ(server_->open_connections(), 0U);
}

TEST_F(HttpStream, ProducerThatThrowsEndsTheResponseCleanly) {
  const auto seen = run(fetch(port_, bhttp::verb::get, "/throws", 11, true));
  EXPECT_EQ(seen.error, "");
  EXPECT_EQ(seen.status, 200U);
  EXPECT_EQ(seen.body, "partial");
  EXPECT_TRUE(seen.complete);
  EXPECT_TRUE(seen.closed);

  const auto after = run(fetch(port_, bhttp::verb::get, "/plain", 11, false));
  EXPECT_EQ(after.error, "");
  EXPECT_EQ(after.status, 200U);
  EXPECT_EQ(after.body, R"({"ok":true})");
}

TEST_F(HttpStream, NonStreamedRequestsStillWorkWithKeepAlive) {
  const auto seen = run(fetch_twice(port_, "/plain"));
  ASSERT_EQ(seen.size(), 2U);
  for (const auto& s : seen) {
    EXPECT_EQ(s.error, "");
    EXPECT_EQ(s.status, 200U);
    EXPECT_EQ(s.body, R"({"ok":true})");
    EXPECT_EQ(header(s, "Content-Length"), "11");
    EXPECT_EQ(header(s, "Transfer-Encoding"), "<none>");
    EXPECT_TRUE(s.chunks.empty());
  }
}

TEST_F(HttpStream, HeadSendsTheHeaderWithoutRunningTheProducer) {
  const auto seen = run(fetch(port_, bhttp::verb::head, "/counted", 11, false));
  EXPECT_EQ(seen.error, "");
  EXPECT_EQ(seen.status, 200U);
  EXPECT_EQ(header(seen, "Transfer-Encoding"), "chunked");
  EXPECT_EQ(seen.body, "");
  EXPECT_EQ(probe_.runs.load(), 0);
}

TEST_F(HttpStream, Http10ClientGetsThePlainBodyUntilClose) {
  const auto seen = run(fetch(port_, bhttp::verb::get, "/counted", 10, true));
  EXPECT_EQ(seen.error, "");
  EXPECT_EQ(seen.status, 200U);
  EXPECT_EQ(header(seen, "Transfer-Encoding"), "<none>");
  EXPECT_EQ(seen.body, "alphabeta");
  EXPECT_TRUE(seen.closed);
  EXPECT_TRUE(seen.chunks.empty());
  EXPECT_TRUE(seen.complete);
  EXPECT_EQ(probe_.runs.load(), 1);
}

TEST_F(HttpStream, StalledClientFailsOneWriteAfterItsDeadline) {
  auto ended = probe_.ended.get_future();
  const auto seen = run(never_read(port_, &probe_));
  EXPECT_EQ(seen.error, "");
  ASSERT_EQ(ended.wait_for(kWait), std::future_status::ready);
  EXPECT_GT(ended.get(), 0);  // some writes went through before the buffers filled up
  const auto write_took = SteadyClock::duration(probe_.failing_write_ended.load() -
                                                probe_.failing_write_started.load());
  EXPECT_GE(write_took, kRequestTimeout * 9 / 10);
  EXPECT_LT(write_took, kRequestTimeout + 1s);
  EXPECT_TRUE(probe_.stop_after_failure.load());
  EXPECT_TRUE(connections_drop_to_zero(1s));
}

}  // namespace
