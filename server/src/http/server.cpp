#include "http/server.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <list>
#include <mutex>
#include <stdexcept>
#include <stop_token>

#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

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
struct Connection : std::enable_shared_from_this<Connection> {
  explicit Connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;
  bool timed_out = false;  // touched on the connection's strand only, like everything below
  bool idle = true;        // waiting for a request to begin
  // Ends a streamed response: requested by the shutdown, the client going away or a failed write.
  // One per connection is enough: a stream is the connection's last response.
  std::stop_source stop;

  // Sets the deadline of the next socket operation: on expiry the socket is cancelled (not
  // closed), so the session can still answer 408. Lazy: a request moves the deadline several
  // times (idle wait, read, write), which only writes `expiry` while the timer already waits
  // for an earlier moment; when it fires early it waits again for the current `expiry`. A
  // keep-alive connection arms its timer about once per request timeout, not three times a
  // request (timer operations were 7% of the server's time answering the ingress auth check).
  void deadline(Clock::duration d) {
    timed_out = false;
    expiry = Clock::now() + d;
    if (!waiting || expiry < timer_at) {
      arm(expiry);
    }
  }
  // No deadline until the next one is set; an expiry already queued behind the operation it
  // bounded is ignored (during a stream it would otherwise cancel the next write or the peer
  // watch).
  void disarm() { expiry = Clock::time_point::max(); }
  // Shutdown: the timer stops waiting (the socket is closed next).
  void cancel_timer() {
    waiting = false;
    ++armed;
    timer.cancel();
  }

 private:
  Clock::time_point expiry = Clock::time_point::max();
  Clock::time_point timer_at{};
  bool waiting = false;     // a wait of the timer is outstanding, for `timer_at`
  std::uint64_t armed = 0;  // generation of that wait: a superseded one's completion is ignored

  void arm(Clock::time_point at) {
    timer_at = at;
    waiting = true;
    const auto generation = ++armed;
    timer.expires_at(at);  // cancels a wait for a later moment
    timer.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
      // Cancelled (superseded, shut down, or the connection destroyed: even an expiry already
      // queued then finds it gone).
      auto self = weak.lock();
      if (ec || !self || generation != self->armed) {
        return;
      }
      self->expired();
    });
  }
  void expired() {
    waiting = false;
    if (expiry == Clock::time_point::max()) {
      return;  // disarmed
    }
    if (Clock::now() < expiry) {
      arm(expiry);  // the deadline moved on since the wait began
      return;
    }
    timed_out = true;
    boost::system::error_code ignored;
    socket.cancel(ignored);
  }
};

}  // namespace

struct Server::State {
  State(asio::io_context& ioc_, const core::HttpConfig& cfg, const Pipeline& p,
        std::vector<asio::io_context*> contexts_)
      : ioc(ioc_), contexts(std::move(contexts_)), config(cfg), pipeline(p) {
    if (contexts.empty()) {
      contexts.push_back(&ioc);
    }
  }

  asio::io_context& ioc;
  std::vector<asio::io_context*> contexts;  // where connections run, in turn
  std::size_t next_context = 0;             // the accept loop's only
  core::HttpConfig config;
  const Pipeline& pipeline;
  // One per listening address, all on the main loop; never removed before the State goes.
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
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

// The query of a target (after '?'), empty when there is none. A plain function: a conditional of
// class type inside a coroutine body is miscompiled by g++ 12 (DEVELOPERS.md).
std::string query_of(const std::string& target) {
  const auto q = target.find('?');
  if (q == std::string::npos) {
    return {};
  }
  return target.substr(q + 1);
}

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

// ---------------------------------------------------------------------------- streamed responses
//
// Status and headers go out at once, Transfer-Encoding: chunked (HTTP/1.0: no coding, the body
// ends with the connection), then every StreamWriter::write is one chunk with a deadline of its
// own (request_timeout); nothing bounds the whole stream. Meanwhile a read on the socket watches
// the client: EOF or an error requests the connection's stop token (what the client sends is
// discarded). Server::shutdown requests it too. When the producer returns (or throws: logged,
// the status is already out) the last chunk ends the body and the connection closes: the
// simplest correct end, since the watch has consumed whatever the client sent meanwhile.

// Status and headers of a streamed response. `keep_alive` only for HEAD (no body follows).
bhttp::response<bhttp::empty_body> stream_header(const Response& res, unsigned version,
                                                 bool keep_alive, bool chunked) {
  bhttp::response<bhttp::empty_body> out{static_cast<bhttp::status>(res.status), version};
  for (const auto& [k, v] : res.headers.items()) {
    out.insert(k, v);
  }
  out.erase(bhttp::field::content_length);
  out.erase(bhttp::field::transfer_encoding);
  if (out.find("X-Accel-Buffering") == out.end()) {
    out.set("X-Accel-Buffering", "no");  // ingress-nginx would buffer the chunks otherwise
  }
  out.keep_alive(keep_alive);
  if (chunked) {
    out.chunked(true);
  }
  return out;
}

// The client side of a stream, watched by a read that discards what arrives.
struct PeerWatch {
  std::array<char, 4096> sink{};
  bool gone = false;  // EOF or a socket error (not our own cancel); the strand only
};

// Reads and discards until the socket fails (EOF, reset, our close or cancel), then requests the
// connection's stop. A plain handler chain on the socket's strand: no coroutine to spawn.
void watch_peer(std::shared_ptr<Connection> conn, std::shared_ptr<PeerWatch> watch) {
  auto& socket = conn->socket;
  auto buffer = asio::buffer(watch->sink);
  socket.async_read_some(buffer, [conn = std::move(conn), watch = std::move(watch)](
                                     boost::system::error_code ec, std::size_t /*n*/) mutable {
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        watch->gone = true;
      }
      conn->stop.request_stop();
      return;
    }
    watch_peer(std::move(conn), std::move(watch));
  });
}

class ChunkWriter final : public StreamWriter {
 public:
  ChunkWriter(Connection& conn, Clock::duration timeout, bool chunked)
      : conn_(conn), timeout_(timeout), chunked_(chunked) {}

  asio::awaitable<bool> write(std::string chunk) override;
  std::stop_token stop_token() const override { return conn_.stop.get_token(); }

  // The last chunk, unless a write failed (the body is broken then: closing says so).
  asio::awaitable<void> finish();

  std::uint64_t bytes() const { return bytes_; }
  // nullptr while every write succeeded.
  const char* failure() const { return failure_; }

 private:
  // Marks the stream broken after a failed write and stops the producer.
  void failed(bool timed_out) {
    failure_ = timed_out ? "write_timeout" : "write_failed";
    conn_.stop.request_stop();
  }

  Connection& conn_;
  Clock::duration timeout_;
  bool chunked_;
  bool writing_ = false;
  const char* failure_ = nullptr;
  std::uint64_t bytes_ = 0;
};

asio::awaitable<bool> ChunkWriter::write(std::string chunk) {
  if (failure_ != nullptr || conn_.stop.stop_requested()) {
    co_return false;
  }
  if (chunk.empty()) {
    co_return true;
  }
  if (writing_) {
    throw std::logic_error("StreamWriter::write called before the previous write completed");
  }
  writing_ = true;
  boost::system::error_code ec;
  conn_.deadline(timeout_);
  if (chunked_) {
    const auto framed = bhttp::make_chunk(asio::buffer(chunk));
    co_await asio::async_write(conn_.socket, framed, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(conn_.socket, asio::buffer(chunk),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  const bool timed_out = conn_.timed_out;
  conn_.disarm();
  writing_ = false;
  if (ec) {
    failed(timed_out);
    co_return false;
  }
  bytes_ += chunk.size();
  co_return !conn_.stop.stop_requested();
}

asio::awaitable<void> ChunkWriter::finish() {
  if (failure_ != nullptr || !chunked_) {
    co_return;
  }
  boost::system::error_code ec;
  conn_.deadline(timeout_);
  const auto last = bhttp::make_chunk_last();
  co_await asio::async_write(conn_.socket, last, asio::redirect_error(asio::use_awaitable, ec));
  const bool timed_out = conn_.timed_out;
  conn_.disarm();
  if (ec) {
    failed(timed_out);
  }
}

struct StreamOutcome {
  std::uint64_t bytes = 0;
  const char* end = "complete";  // for the access log
  bool keep_alive = false;       // HEAD only: no body was sent
};

// Why a stream ended, for the access log.
const char* stream_end(bool threw, const ChunkWriter& writer, const PeerWatch& watch,
                       const Connection& conn) {
  if (threw) {
    return "producer_failed";
  }
  if (watch.gone) {
    return "client_gone";
  }
  if (writer.failure() != nullptr) {
    return writer.failure();
  }
  if (conn.stop.stop_requested()) {
    return "stopped";  // the server is shutting down
  }
  return "complete";
}

asio::awaitable<StreamOutcome> serve_stream(StatePtr st, std::shared_ptr<Connection> conn,
                                            Response res, unsigned version, bool keep_alive,
                                            bool head, std::string request_id) {
  const auto& cfg = st->config;
  StreamOutcome outcome;
  const bool chunked = version >= 11;
  auto header = stream_header(res, version, keep_alive && head, chunked);
  bhttp::response_serializer<bhttp::empty_body> sr{header};
  boost::system::error_code ec;
  conn->deadline(cfg.request_timeout);
  co_await bhttp::async_write_header(conn->socket, sr,
                                     asio::redirect_error(asio::use_awaitable, ec));
  conn->disarm();
  if (ec) {
    outcome.end = "write_failed";
    co_return outcome;
  }
  if (head) {
    outcome.end = "head";
    outcome.keep_alive = keep_alive;
    co_return outcome;
  }
  if (st->stopping) {
    conn->stop.request_stop();  // shutdown began while the handler ran
  }
  auto watch = std::make_shared<PeerWatch>();
  watch_peer(conn, watch);

  ChunkWriter writer(*conn, cfg.request_timeout, chunked);
  std::exception_ptr failure;
  try {
    co_await res.stream(writer);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    log::error("http.stream_failed", {{"request_id", request_id}, {"error", describe(failure)}});
  }
  if (!watch->gone) {
    co_await writer.finish();
  }
  outcome.bytes = writer.bytes();
  outcome.end = stream_end(failure != nullptr, writer, *watch, *conn);
  co_return outcome;
}

// -------------------------------------------------------------------------------------- WebSocket
//
// The upgrade is accepted with the handler's headers on the 101. A reader (a handler chain on the
// connection's strand) consumes what the client sends: Beast answers pings and close frames while
// a read is pending, and pings the client itself when it has been silent for half of
// websocket_idle_timeout (closing it after the whole). Any read error requests the connection's
// stop token, which every wait of the handler watches. Sends have a deadline each. When the
// handler returns, a close frame (handler's code, or 1001 on shutdown) ends the connection.

using WsStream = beast::websocket::stream<tcp::socket&>;

struct WsState {
  explicit WsState(tcp::socket& socket) : ws(socket) {}
  WsStream ws;
  beast::flat_buffer inbox;
  bool reading = false;
  bool gone = false;  // the client closed or the socket failed
};

void ws_read(std::shared_ptr<Connection> conn, std::shared_ptr<WsState> ws) {
  ws->reading = true;
  ws->ws.async_read(ws->inbox, [conn = std::move(conn), ws](boost::system::error_code ec,
                                                            std::size_t /*n*/) mutable {
    ws->reading = false;
    ws->inbox.clear();  // client messages are not used
    if (ec) {
      ws->gone = true;
      conn->stop.request_stop();
      return;
    }
    ws_read(std::move(conn), std::move(ws));
  });
}

class WsSocket final : public WebSocket {
 public:
  WsSocket(Connection& conn, WsState& ws, Clock::duration timeout)
      : conn_(conn), ws_(ws), timeout_(timeout) {}

  asio::awaitable<bool> send(std::string text) override {
    if (conn_.stop.stop_requested() || ws_.gone) {
      co_return false;
    }
    boost::system::error_code ec;
    conn_.deadline(timeout_);
    ws_.ws.text(true);
    co_await ws_.ws.async_write(asio::buffer(text), asio::redirect_error(asio::use_awaitable, ec));
    const bool timed_out = conn_.timed_out;
    conn_.disarm();
    if (ec || timed_out) {
      failure_ = timed_out ? "write_timeout" : "write_failed";
      conn_.stop.request_stop();
      co_return false;
    }
    ++messages_;
    co_return true;
  }
  std::stop_token stop_token() const override { return conn_.stop.get_token(); }
  void close_with(std::uint16_t code, std::string reason) override {
    code_ = code;
    reason_ = std::move(reason);
  }

  std::uint16_t code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const char* failure() const { return failure_; }
  std::uint64_t messages() const { return messages_; }

 private:
  Connection& conn_;
  WsState& ws_;
  Clock::duration timeout_;
  std::uint16_t code_ = beast::websocket::close_code::normal;
  std::string reason_;
  const char* failure_ = nullptr;
  std::uint64_t messages_ = 0;
};

struct WsOutcome {
  const char* end = "closed";
  std::uint64_t messages = 0;
};

asio::awaitable<WsOutcome> serve_websocket(StatePtr st, std::shared_ptr<Connection> conn,
                                           bhttp::request<bhttp::string_body> req, Response res,
                                           std::string request_id) {
  const auto& cfg = st->config;
  WsOutcome outcome;
  auto ws = std::make_shared<WsState>(conn->socket);
  beast::websocket::stream_base::timeout opts{};
  opts.handshake_timeout = cfg.request_timeout;
  opts.idle_timeout = cfg.websocket_idle_timeout;
  opts.keep_alive_pings = true;
  ws->ws.set_option(opts);
  ws->ws.read_message_max(std::size_t{64} * 1024);
  auto headers = res.headers;
  ws->ws.set_option(
      beast::websocket::stream_base::decorator([headers](beast::websocket::response_type& out) {
        for (const auto& [k, v] : headers.items()) {
          out.set(k, v);
        }
      }));
  boost::system::error_code ec;
  co_await ws->ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    outcome.end = "handshake_failed";
    co_return outcome;
  }
  if (st->stopping) {
    conn->stop.request_stop();
  }
  ws_read(conn, ws);
  WsSocket socket(*conn, *ws, cfg.request_timeout);
  std::exception_ptr failure;
  try {
    co_await res.websocket(socket);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    log::error("http.websocket_failed", {{"request_id", request_id}, {"error", describe(failure)}});
    socket.close_with(beast::websocket::close_code::internal_error, "server error");
  }
  outcome.messages = socket.messages();
  if (failure) {
    outcome.end = "handler_failed";
  } else if (ws->gone) {
    outcome.end = "client_gone";
  } else if (socket.failure() != nullptr) {
    outcome.end = socket.failure();
  } else if (st->stopping) {
    outcome.end = "shutdown";
    socket.close_with(beast::websocket::close_code::going_away, "server shutting down");
  }
  if (!ws->gone && socket.failure() == nullptr && ws->ws.is_open()) {
    // The close handshake: our frame, then the reader sees the client's answer and ends.
    conn->deadline(std::chrono::seconds(5));
    co_await ws->ws.async_close(
        beast::websocket::close_reason(static_cast<beast::websocket::close_code>(socket.code()),
                                       socket.reason()),
        asio::redirect_error(asio::use_awaitable, ec));
    asio::steady_timer wait(conn->socket.get_executor());
    while (ws->reading && !conn->timed_out && !ec) {
      wait.expires_after(std::chrono::milliseconds(5));
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    conn->disarm();
  }
  boost::system::error_code ignored;
  conn->socket.close(ignored);
  // The reader's last handler runs once the socket is closed: wait for it (it holds `ws`, which
  // refers to the socket).
  asio::steady_timer wait(conn->socket.get_executor());
  while (ws->reading) {
    wait.expires_after(std::chrono::milliseconds(5));
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return outcome;
}

// Writes an error produced by the connection layer itself (timeout, oversize, unparsable),
// then closes gracefully: shut down our side and drain what the client still sends for a moment,
// so the client reads the answer instead of a reset.
asio::awaitable<void> answer_and_close(std::shared_ptr<Connection> conn, core::ErrorCode code,
                                       std::string message, unsigned version) {
  const auto request_id = core::new_request_id();
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

using BeastRequest = bhttp::request<bhttp::string_body>;

// Writes a whole (not streamed) response within `timeout`; for HEAD only its header.
asio::awaitable<boost::system::error_code> write_response(Connection& conn, Response res,
                                                          unsigned version, bool keep_alive,
                                                          bool head, Clock::duration timeout) {
  boost::system::error_code ec;
  auto out = to_beast(std::move(res), version, keep_alive, head);
  conn.deadline(timeout);
  if (head) {
    bhttp::response_serializer<bhttp::string_body> sr{out};
    co_await bhttp::async_write_header(conn.socket, sr,
                                       asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await bhttp::async_write(conn.socket, out, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return ec;
}

// The request in Beast's buffers, for a fast route (Router::fast).
class BeastRequestView final : public RequestView {
 public:
  BeastRequestView(const BeastRequest& in, std::string_view path, std::string_view request_id)
      : in_(in), path_(path), request_id_(request_id) {}
  std::string_view path() const override { return path_; }
  std::string_view request_id() const override { return request_id_; }
  std::optional<std::string_view> header(std::string_view name) const override {
    const auto it = in_.find(beast::string_view(name.data(), name.size()));
    if (it == in_.end()) {
      return std::nullopt;
    }
    return std::string_view(it->value().data(), it->value().size());
  }
  std::optional<std::string_view> cookie(std::string_view name) const override {
    const auto range = in_.equal_range(bhttp::field::cookie);
    for (auto it = range.first; it != range.second; ++it) {
      if (auto v = cookie_in(std::string_view(it->value().data(), it->value().size()), name)) {
        return v;
      }
    }
    return std::nullopt;
  }

 private:
  const BeastRequest& in_;
  std::string_view path_;
  std::string_view request_id_;
};

// A fast route's answer for `in`, or nullopt (no fast route, or it declined). Never throws: a
// failure becomes the one JSON error shape.
std::optional<Response> fast_answer(const Router& router, const BeastRequest& in,
                                    const std::string& request_id) {
  const auto target = std::string_view(in.target().data(), in.target().size());
  const auto path = target.substr(0, target.find('?'));
  const auto method = std::string_view(in.method_string().data(), in.method_string().size());
  const auto* handler = router.fast_match(method, path);
  if (handler == nullptr) {
    return std::nullopt;
  }
  try {
    return (*handler)(BeastRequestView(in, path, request_id));
  } catch (...) {
    return response_for_exception(std::current_exception(), request_id);
  }
}

// Tells the pipeline's observer (metrics) about an answered request.
void observe(const Server::State& st, std::string_view method, std::string_view path,
             const RouteInfo* route, bool fast, unsigned status, Clock::time_point started) {
  if (auto* observer = st.pipeline.observer()) {
    observer->on_request(RequestRecord{.method = method,
                                       .path = path,
                                       .route = route,
                                       .fast = fast,
                                       .status = status,
                                       .duration = Clock::now() - started});
  }
}

// The method of a request whose read failed, empty when its header was incomplete. A plain
// function: no class-type conditional in a coroutine (DEVELOPERS.md).
std::string_view method_read(const bhttp::request_parser<bhttp::string_body>& parser) {
  if (!parser.is_header_done()) {
    return {};
  }
  const auto m = parser.get().method_string();
  return {m.data(), m.size()};
}

// The status answer_and_close sends for a failed read, 0 when nothing is answered.
unsigned read_failure_status(const boost::system::error_code& ec, bool timed_out) {
  if (timed_out) {
    return 408;
  }
  if (ec == bhttp::error::body_limit) {
    return 413;
  }
  if (ec == bhttp::error::header_limit) {
    return 400;
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return 400;
  }
  return 0;
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
    const auto read_started = Clock::now();
    co_await bhttp::async_read(conn->socket, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (const auto failed = read_failure_status(ec, conn->timed_out); failed != 0) {
        observe(*st, method_read(parser), "", nullptr, false, failed, read_started);
      }
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
    const bool head = in.method() == bhttp::verb::head;
    const auto id_field = in["X-Request-Id"];
    auto request_id = core::request_id_or_new(std::string_view(id_field.data(), id_field.size()));
    {
      auto fast = fast_answer(st->pipeline.router(), in, request_id);
      if (fast) {
        finish_headers(*fast, request_id);
        const auto status = fast->status;
        const bool keep_alive = in.keep_alive() && !st->stopping;
        ec = co_await write_response(*conn, std::move(*fast), in.version(), keep_alive, head,
                                     cfg.request_timeout);
        {
          const auto target = std::string_view(in.target().data(), in.target().size());
          const auto method =
              std::string_view(in.method_string().data(), in.method_string().size());
          observe(*st, method, target.substr(0, target.find('?')), nullptr, true, status, started);
        }
        if (log::enabled(log::Level::debug)) {
          log::debug("http.request", {{"request_id", request_id},
                                      {"method", std::string(in.method_string())},
                                      {"target", std::string(in.target())},
                                      {"status", status},
                                      {"fast", true},
                                      {"remote_ip", peer}});
        }
        if (ec || !keep_alive) {
          break;
        }
        continue;
      }
    }
    Request req;
    req.method = std::string(in.method_string());
    req.target = std::string(in.target());
    req.path = req.target.substr(0, req.target.find('?'));
    req.query = query_of(req.target);
    for (const auto& field : in) {
      req.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(in.body());
    req.remote_ip = peer;
    req.request_id = std::move(request_id);

    conn->disarm();  // handlers bound their own awaits
    const RouteInfo* route = nullptr;
    Response res = co_await st->pipeline.handle(req, &route);
    if (res.websocket && !beast::websocket::is_upgrade(in)) {
      res = error_response(core::ErrorCode::bad_request,
                           "This endpoint is a WebSocket: connect with an upgrade request", nullptr,
                           req.request_id);
    }
    finish_headers(res, req.request_id);
    if (res.websocket) {
      const auto outcome =
          co_await serve_websocket(st, conn, parser.release(), std::move(res), req.request_id);
      observe(*st, req.method, req.path, route, false, 101, started);
      log::info("http.request",
                {{"request_id", req.request_id},
                 {"method", req.method},
                 {"path", req.path},
                 {"status", 101},
                 {"messages", outcome.messages},
                 {"duration_ms",
                  std::chrono::duration<double, std::milli>(Clock::now() - started).count()},
                 {"remote_ip", peer},
                 {"websocket", outcome.end}});
      break;
    }

    // After the handler: a shutdown meanwhile closes this connection after its answer.
    const bool keep_alive = in.keep_alive() && !st->stopping;
    const auto status = res.status;
    if (res.stream) {
      const auto outcome = co_await serve_stream(st, conn, std::move(res), in.version(), keep_alive,
                                                 head, req.request_id);
      observe(*st, req.method, req.path, route, false, status, started);
      const auto stream_ms =
          std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      log::info("http.request", {{"request_id", req.request_id},
                                 {"method", req.method},
                                 {"path", req.path},
                                 {"status", status},
                                 {"bytes", outcome.bytes},
                                 {"duration_ms", stream_ms},
                                 {"remote_ip", peer},
                                 {"stream", outcome.end}});
      if (!outcome.keep_alive) {
        break;
      }
      continue;
    }
    const auto bytes = res.body.size();
    ec = co_await write_response(*conn, std::move(res), in.version(), keep_alive, head,
                                 cfg.request_timeout);
    observe(*st, req.method, req.path, route, false, status, started);
    if (log::enabled(log::Level::info)) {  // the fields cost more than the check below
      const auto ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      log::info("http.request", {{"request_id", req.request_id},
                                 {"method", req.method},
                                 {"path", req.path},
                                 {"status", status},
                                 {"bytes", bytes},
                                 {"duration_ms", ms},
                                 {"remote_ip", peer}});
    }
    if (ec || !keep_alive) {
      break;
    }
  }
  conn->disarm();
  conn->socket.shutdown(tcp::socket::shutdown_send, ec);
  conn->socket.close(ec);
}

asio::awaitable<void> accept_loop(StatePtr st, tcp::acceptor* acceptor, tcp protocol) {
  for (;;) {
    boost::system::error_code ec;
    // Accepted on the acceptor's own loop, then handed to a session loop. Accepting straight
    // into a socket of the session loop would leave, in the acceptor's loop, a pending accept
    // that refers to the other loop: destroying the loops in either order is then unsafe.
    auto accepted = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (st->stopping || ec == asio::error::operation_aborted) {
        co_return;
      }
      log::warn("http.accept_failed", {{"error", ec.message()}});
      continue;
    }
    const auto fd = accepted.release(ec);
    if (ec) {
      log::warn("http.accept_failed", {{"error", ec.message()}});
      continue;
    }
    auto& context = *st->contexts[st->next_context++ % st->contexts.size()];
    tcp::socket socket(asio::make_strand(context));
    socket.assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
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

Server::Server(asio::io_context& ioc, const core::HttpConfig& config, const Pipeline& pipeline,
               std::vector<asio::io_context*> session_contexts)
    : state_(std::make_shared<State>(ioc, config, pipeline, std::move(session_contexts))) {}

Server::~Server() = default;

std::uint16_t Server::start() {
  auto& st = *state_;
  std::uint16_t port = st.config.port;
  for (const auto& host : st.config.hosts) {
    // Port 0 (tests): the first address picks a free port, the others take the same one.
    const tcp::endpoint ep{asio::ip::make_address(host), port};
    auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(st.ioc));
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    if (ep.address().is_v6()) {
      acceptor->set_option(asio::ip::v6_only(true));  // "::1" and "127.0.0.1" side by side
    }
    acceptor->bind(ep);
    acceptor->listen(asio::socket_base::max_listen_connections);
    port = acceptor->local_endpoint().port();
    st.acceptors.push_back(std::move(acceptor));
  }
  for (std::size_t i = 0; i < st.acceptors.size(); ++i) {
    auto* acceptor = st.acceptors[i].get();
    const tcp protocol = acceptor->local_endpoint().protocol();
    asio::co_spawn(acceptor->get_executor(), accept_loop(state_, acceptor, protocol),
                   asio::detached);
    log::info("http.listening", {{"host", st.config.hosts[i]}, {"port", port}});
  }
  return port;
}

asio::awaitable<void> Server::shutdown() {
  auto st = state_;
  st->stopping = true;
  for (auto& a : st->acceptors) {
    asio::post(a->get_executor(), [st, acceptor = a.get()]() {
      boost::system::error_code ec;
      acceptor->close(ec);
    });
  }
  // Idle keep-alive connections have nothing in flight: close them now. Streams (endless by
  // nature) are told to end now too, not after the grace period.
  st->for_each_connection([](Connection& c) {
    if (c.idle) {
      boost::system::error_code ec;
      c.socket.cancel(ec);
    }
    c.stop.request_stop();
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
      c.cancel_timer();
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
