#include "http/server.hpp"

#include <atomic>
#include <chrono>
#include <list>
#include <mutex>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/errors.hpp"
#include "core/ids.hpp"
#include "core/logging.hpp"
#include "http/error_mapping.hpp"

namespace neuropod::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// One connection. Shared between its coroutine and the server's registry (weakly), so shutdown
// can cancel it on its own strand.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;
  bool timed_out = false;  // touched on the connection's strand only
  bool idle = true;        // waiting for a request to begin

  // Arms the deadline of the next socket operation: on expiry the socket is cancelled (not
  // closed), so the session can still answer 408.
  void deadline(Clock::duration d) {
    timed_out = false;
    timer.expires_after(d);
    timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        timed_out = true;
        boost::system::error_code ignored;
        socket.cancel(ignored);
      }
    });
  }
};

}  // namespace

struct Server::State {
  State(asio::io_context& ioc_, const core::HttpConfig& cfg, const Pipeline& p)
      : ioc(ioc_), config(cfg), pipeline(p), acceptor(asio::make_strand(ioc_)) {}

  asio::io_context& ioc;
  core::HttpConfig config;
  const Pipeline& pipeline;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};

  std::mutex mu;
  std::list<std::weak_ptr<Connection>> registry;

  std::list<std::weak_ptr<Connection>>::iterator enroll(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mu);
    return registry.insert(registry.end(), c);
  }
  void leave(std::list<std::weak_ptr<Connection>>::iterator it) {
    std::lock_guard lock(mu);
    registry.erase(it);
  }
  // Runs `fn(conn)` on each live connection's strand.
  template <typename Fn>
  void for_each_connection(Fn fn) {
    std::lock_guard lock(mu);
    for (auto& weak : registry) {
      if (auto c = weak.lock()) {
        asio::post(c->socket.get_executor(), [c, fn]() { fn(*c); });
      }
    }
  }
};

namespace {

using StatePtr = std::shared_ptr<Server::State>;

std::string remote_ip(const tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? std::string("unknown") : ep.address().to_string();
}

bhttp::response<bhttp::string_body> to_beast(Response res, unsigned version, bool keep_alive,
                                             bool head) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
  for (auto& [k, v] : res.headers.items()) {
    out.insert(k, v);
  }
  out.keep_alive(keep_alive);
  if (head) {
    out.content_length(res.body.size());
  } else {
    out.body() = std::move(res.body);
    out.prepare_payload();
  }
  return out;
}

void finish_headers(Response& res, const std::string& request_id) {
  res.headers.set("X-Request-Id", request_id);
  if (!res.headers.get("Cache-Control")) {
    res.headers.set("Cache-Control", "no-store");
  }
  res.headers.set("X-Content-Type-Options", "nosniff");
}

// Writes an error produced by the connection layer itself (timeout, oversize, unparsable),
// then closes gracefully: shut down our side and drain what the client still sends for a moment,
// so the client reads the answer instead of a reset.
asio::awaitable<void> answer_and_close(std::shared_ptr<Connection> conn, core::ErrorCode code,
                                       std::string message, unsigned version) {
  const auto request_id = core::random_hex(8);
  auto res = error_response(code, message, nullptr, request_id);
  finish_headers(res, request_id);
  auto msg = to_beast(std::move(res), version == 0 ? 11 : version, false, false);
  boost::system::error_code ec;
  conn->deadline(std::chrono::seconds(5));
  co_await bhttp::async_write(conn->socket, msg, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    conn->socket.shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, std::size_t{16} * 1024> sink{};
    conn->deadline(std::chrono::seconds(2));
    std::size_t drained = 0;
    while (!ec && drained < std::size_t{64} * 1024 * 1024) {
      drained += co_await conn->socket.async_read_some(
          asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  log::info("http.connection_error", {{"request_id", request_id},
                                      {"code", core::to_string(code)},
                                      {"remote_ip", remote_ip(conn->socket)}});
  conn->socket.close(ec);
}

asio::awaitable<void> run_session(StatePtr st, std::shared_ptr<Connection> conn) {
  const auto& cfg = st->config;
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  const auto peer = remote_ip(conn->socket);

  for (;;) {
    // Wait for a request to begin (idle keep-alive), unless bytes are already buffered.
    conn->idle = true;
    if (buffer.size() == 0) {
      if (st->stopping) {
        break;
      }
      conn->deadline(cfg.idle_timeout);
      co_await conn->socket.async_wait(tcp::socket::wait_read,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        break;  // idle timeout, shutdown or peer gone: nothing to answer
      }
    }
    conn->idle = false;

    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(cfg.body_limit_bytes);
    parser.header_limit(std::uint32_t{16} * 1024);
    conn->deadline(cfg.request_timeout);
    co_await bhttp::async_read(conn->socket, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (conn->timed_out) {
        co_await answer_and_close(conn, core::ErrorCode::request_timeout,
                                  "The request was not received in time", 11);
      } else if (ec == bhttp::error::body_limit) {
        co_await answer_and_close(
            conn, core::ErrorCode::payload_too_large,
            "The request body is larger than " + std::to_string(cfg.body_limit_bytes) + " bytes",
            11);
      } else if (ec == bhttp::error::header_limit) {
        co_await answer_and_close(conn, core::ErrorCode::bad_request,
                                  "The request headers are too large", 11);
      } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                 ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        co_await answer_and_close(conn, core::ErrorCode::bad_request, "Malformed HTTP request", 11);
      }
      break;
    }

    const auto started = Clock::now();
    auto& in = parser.get();
    Request req;
    req.method = std::string(in.method_string());
    req.target = std::string(in.target());
    const auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    req.query = q == std::string::npos ? std::string() : req.target.substr(q + 1);
    for (const auto& field : in) {
      req.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(in.body());
    req.remote_ip = peer;
    req.request_id = core::request_id_or_new(req.headers.get("x-request-id").value_or(""));

    conn->timer.cancel();  // handlers bound their own awaits
    Response res = co_await st->pipeline.handle(req);
    finish_headers(res, req.request_id);

    const bool keep_alive = in.keep_alive() && !st->stopping;
    const bool head = req.method == "HEAD";
    const auto status = res.status;
    const auto bytes = res.body.size();
    auto out = to_beast(std::move(res), in.version(), keep_alive, head);
    conn->deadline(cfg.request_timeout);
    if (head) {
      bhttp::response_serializer<bhttp::string_body> sr{out};
      co_await bhttp::async_write_header(conn->socket, sr,
                                         asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await bhttp::async_write(conn->socket, out, asio::redirect_error(asio::use_awaitable, ec));
    }
    const auto ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    log::info("http.request", {{"request_id", req.request_id},
                               {"method", req.method},
                               {"path", req.path},
                               {"status", status},
                               {"bytes", bytes},
                               {"duration_ms", ms},
                               {"remote_ip", peer}});
    if (ec || !keep_alive) {
      break;
    }
  }
  conn->timer.cancel();
  conn->socket.shutdown(tcp::socket::shutdown_send, ec);
  conn->socket.close(ec);
}

asio::awaitable<void> accept_loop(StatePtr st) {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await st->acceptor.async_accept(asio::make_strand(st->ioc),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (st->stopping || ec == asio::error::operation_aborted) {
        co_return;
      }
      log::warn("http.accept_failed", {{"error", ec.message()}});
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Connection>(std::move(socket));
    auto it = st->enroll(conn);
    st->connections.fetch_add(1);
    auto ex = conn->socket.get_executor();
    asio::co_spawn(ex, run_session(st, conn), [st, it](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex2) {
          log::error("http.session_failed", {{"what", ex2.what()}});
        } catch (...) {
          log::error("http.session_failed", {{"what", "unknown"}});
        }
      }
      st->leave(it);
      st->connections.fetch_sub(1);
    });
  }
}

}  // namespace

Server::Server(asio::io_context& ioc, const core::HttpConfig& config, const Pipeline& pipeline)
    : state_(std::make_shared<State>(ioc, config, pipeline)) {}

Server::~Server() = default;

std::uint16_t Server::start() {
  auto& st = *state_;
  tcp::endpoint ep{asio::ip::make_address(st.config.host), st.config.port};
  st.acceptor.open(ep.protocol());
  st.acceptor.set_option(asio::socket_base::reuse_address(true));
  st.acceptor.bind(ep);
  st.acceptor.listen(asio::socket_base::max_listen_connections);
  const auto port = st.acceptor.local_endpoint().port();
  asio::co_spawn(st.acceptor.get_executor(), accept_loop(state_), asio::detached);
  log::info("http.listening", {{"host", st.config.host}, {"port", port}});
  return port;
}

asio::awaitable<void> Server::shutdown() {
  auto st = state_;
  st->stopping = true;
  asio::post(st->acceptor.get_executor(), [st]() {
    boost::system::error_code ec;
    st->acceptor.close(ec);
  });
  // Idle keep-alive connections have nothing in flight: close them now.
  st->for_each_connection([](Connection& c) {
    if (c.idle) {
      boost::system::error_code ec;
      c.socket.cancel(ec);
    }
  });
  log::info("http.draining", {{"connections", st->connections.load()}});
  asio::steady_timer wait(co_await asio::this_coro::executor);
  const auto deadline = Clock::now() + st->config.shutdown_grace;
  while (st->connections.load() > 0 && Clock::now() < deadline) {
    wait.expires_after(std::chrono::milliseconds(10));
    co_await wait.async_wait(asio::use_awaitable);
  }
  if (st->connections.load() > 0) {
    log::warn("http.forced_close", {{"connections", st->connections.load()}});
    st->for_each_connection([](Connection& c) {
      boost::system::error_code ec;
      c.timer.cancel();
      c.socket.close(ec);
    });
    // Sessions blocked in a handler (not on their socket) end when the event loop stops.
    const auto hard_deadline = Clock::now() + std::chrono::seconds(1);
    while (st->connections.load() > 0 && Clock::now() < hard_deadline) {
      wait.expires_after(std::chrono::milliseconds(10));
      co_await wait.async_wait(asio::use_awaitable);
    }
  }
}

std::size_t Server::open_connections() const {
  return state_->connections.load();
}

}  // namespace neuropod::http
