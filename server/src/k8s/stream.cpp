#include "k8s/stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "http/tls.hpp"
#include "k8s/client.hpp"

namespace neuropod::k8s {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kHeaderLimit = std::uint32_t{64} * 1024;
constexpr std::uint64_t kResponseLimit = std::uint64_t{64} * 1024 * 1024;  // a big List
constexpr std::uint64_t kErrorBodyLimit = std::uint64_t{1024} * 1024;      // a Status
constexpr std::size_t kChunkSize = std::size_t{16} * 1024;
constexpr auto kTokenRefresh = 60s;  // kubelet rotates projected tokens well before they expire
// Kept-alive connections of one-shot requests: at most this many wait idle, each this long (the
// API server keeps an idle connection longer; a stale one is detected and replaced, see exchange).
constexpr std::size_t kMaxIdleConnections = 64;
constexpr auto kIdleTimeout = 30s;

std::string trim(std::string s) {
  constexpr const char* space = " \t\r\n";
  const auto first = s.find_first_not_of(space);
  if (first == std::string::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Errors land in `ec` instead of being thrown.
auto into(boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

}  // namespace

struct Connection;

struct Transport::Impl {
  asio::any_io_executor executor;
  std::shared_ptr<ssl::context> tls;  // null for http://
  std::string host;                   // for DNS, SNI and verification: no brackets
  bool host_is_ip = false;
  std::string port;
  std::string host_header;  // as in the URL
  std::string base_path;    // the server URL's path, no '/' at the end
  std::string server_host;  // "host:port" for messages

  std::string token_file;
  std::mutex token_mutex;
  std::string token;
  std::chrono::steady_clock::time_point token_read = std::chrono::steady_clock::now();

  // The bearer token, re-read from token_file once a minute (rotated ServiceAccount tokens). A
  // file that cannot be read keeps the previous token: the API server then says 401 if it expired.
  std::string bearer() {
    const std::lock_guard lock(token_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (!token_file.empty() && now - token_read >= kTokenRefresh) {
      token_read = now;
      if (auto text = read_file(token_file)) {
        auto fresh = trim(std::move(*text));
        if (!fresh.empty()) {
          token = std::move(fresh);
        }
      }
    }
    return token;
  }

  // Idle kept-alive connections. Each is owned by its keep_idle() coroutine (so it dies with the
  // io_context, never after it); the pool only points to it.
  std::mutex pool_mutex;
  std::vector<std::weak_ptr<Connection>> idle;
  std::uint64_t reused = 0;  // statistics (tests)
  std::uint64_t opened = 0;

  std::shared_ptr<Connection> take_idle() {
    const std::lock_guard lock(pool_mutex);
    while (!idle.empty()) {
      auto conn = idle.back().lock();
      idle.pop_back();
      if (conn) {
        ++reused;
        return conn;
      }
    }
    return nullptr;
  }

  // false: the pool is full (the caller closes the connection).
  bool give_back(const std::shared_ptr<Connection>& conn) {
    const std::lock_guard lock(pool_mutex);
    std::erase_if(idle, [](const std::weak_ptr<Connection>& w) { return w.expired(); });
    if (idle.size() >= kMaxIdleConnections) {
      return false;
    }
    idle.push_back(conn);
    return true;
  }
};

namespace {

void parse_server(const std::string& server, Transport::Impl& impl) {
  auto parsed = boost::urls::parse_uri(server);
  if (!parsed) {
    throw std::invalid_argument("Kubernetes server URL '" + server +
                                "' is invalid: " + parsed.error().message());
  }
  const auto& u = *parsed;
  const bool https = u.scheme_id() == boost::urls::scheme::https;
  if (!https && u.scheme_id() != boost::urls::scheme::http) {
    throw std::invalid_argument("Kubernetes server URL '" + server +
                                "' must be https:// or http://");
  }
  if (u.has_userinfo() || u.has_query() || u.has_fragment()) {
    throw std::invalid_argument("Kubernetes server URL '" + server +
                                "' must not hold credentials, a query or a fragment");
  }
  switch (u.host_type()) {
    case boost::urls::host_type::name: impl.host = u.host_name(); break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      impl.host = u.host_address();
      impl.host_is_ip = true;
      break;
    default:
      throw std::invalid_argument("Kubernetes server URL '" + server + "' has no usable host");
  }
  if (impl.host.empty()) {
    throw std::invalid_argument("Kubernetes server URL '" + server + "' has no host");
  }
  impl.port = https ? "443" : "80";
  if (u.has_port()) {
    const std::string_view p = u.port();
    unsigned number = 0;
    const auto* end = p.data() + p.size();
    const auto res = std::from_chars(p.data(), end, number);
    if (p.empty() || res.ec != std::errc() || res.ptr != end || number == 0 || number > 65535) {
      throw std::invalid_argument("Kubernetes server URL '" + server + "' has an invalid port");
    }
    impl.port = std::to_string(number);
  }
  impl.host_header = u.encoded_host_and_port();
  impl.base_path = u.encoded_path();
  while (!impl.base_path.empty() && impl.base_path.back() == '/') {
    impl.base_path.pop_back();
  }
  if (!impl.base_path.empty() && impl.base_path.front() != '/') {
    // Boost.URL 1.81 reads "https://h:6x/" as port 6 and path "x/".
    throw std::invalid_argument("Kubernetes server URL '" + server + "' has an invalid port");
  }
  impl.server_host = u.encoded_host_and_port();
  if (!u.has_port()) {
    impl.server_host += ":" + impl.port;
  }
}

// As client-go: a configured CA is the only one trusted for the API server.
std::shared_ptr<ssl::context> make_tls_context(const KubeConfig& cfg) {
  http::TlsOptions options;
  options.use_system_roots = cfg.ca_pem.empty();
  options.ca_pem = cfg.ca_pem;
  options.client_cert_pem = cfg.client_cert_pem;
  options.client_key_pem = cfg.client_key_pem;
  options.verify_peer = !cfg.insecure_skip_tls_verify;
  try {
    return http::make_tls_context(options);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("Kubernetes ") + e.what());
  }
}

}  // namespace

// One connection's socket, resolver and deadline, on one strand (`executor`): the deadline's
// handler, a stop request (posted) and the exchange coroutine never run at the same time. A
// kept-alive connection is reused only by exchanges spawned on its strand.
struct Connection {
  explicit Connection(const asio::any_io_executor& ex)
      : executor(ex), resolver(ex), timer(ex), idle_timer(ex) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;
  ~Connection() { close(); }

  asio::any_io_executor executor;
  tcp::resolver resolver;
  asio::steady_timer timer;
  asio::steady_timer idle_timer;  // while pooled
  std::optional<tcp::socket> plain;
  std::optional<ssl::stream<tcp::socket>> tls;
  bool timed_out = false;
  bool stopped = false;
  std::uint64_t deadline = 0;  // which arm() the pending deadline belongs to

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  void close() {
    boost::system::error_code ignored;
    if (plain || tls) {
      socket().close(ignored);
    }
  }

  // Aborts whatever is in flight (resolve cancelled, socket closed).
  void abort() {
    resolver.cancel();
    close();
  }

  // (Re)arms the deadline: on expiry everything in flight is aborted and later steps see
  // `timed_out`.
  static void arm(const std::shared_ptr<Connection>& conn, std::chrono::milliseconds timeout) {
    conn->timed_out = false;
    const auto id = ++conn->deadline;
    conn->timer.expires_after(timeout);
    conn->timer.async_wait(
        [weak = std::weak_ptr<Connection>(conn), id](boost::system::error_code ec) {
          auto c = weak.lock();
          // A deadline that fired just before disarm() must not abort the connection's next use.
          if (ec || !c || c->deadline != id) {
            return;
          }
          c->timed_out = true;
          c->abort();
        });
  }

  void disarm() {
    ++deadline;
    timer.cancel();
  }
};

namespace {

// After each step: false when stop was requested; throws when the deadline passed or it failed.
bool step_ok(const Transport::Impl& impl, const Connection& conn, boost::system::error_code ec,
             const std::string& what) {
  if (conn.stopped) {
    return false;
  }
  if (conn.timed_out) {
    throw KubeError::no_answer(impl.server_host, "timeout");
  }
  if (ec) {
    throw KubeError::no_answer(impl.server_host, what + ": " + ec.message());
  }
  return true;
}

void set_keepalive(tcp::socket& socket) {
  boost::system::error_code ec;
  socket.set_option(asio::socket_base::keep_alive(true), ec);
  // Probe after 30 s of silence, every 10 s, give up after 3: a dead peer ends a quiet stream.
  const int idle = 30;
  const int interval = 10;
  const int count = 3;
  const auto fd = socket.native_handle();
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

// Resolve, connect (every address in turn), TLS handshake with the host checked. The one place
// where connections to the API server are made. false: stop requested meanwhile.
asio::awaitable<bool> open(Transport::Impl& impl, Connection& conn, bool keepalive) {
  const auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  const auto endpoints = co_await conn.resolver.async_resolve(impl.host, impl.port, into(ec));
  if (!step_ok(impl, conn, ec, "DNS lookup of " + impl.host + " failed")) {
    co_return false;
  }
  if (impl.tls) {
    conn.tls.emplace(ex, *impl.tls);
  } else {
    conn.plain.emplace(ex);
  }
  auto& socket = conn.socket();
  boost::system::error_code last = asio::error::host_not_found;
  bool connected = false;
  for (const auto& entry : endpoints) {
    socket.close(ec);
    socket.open(entry.endpoint().protocol(), ec);
    if (!ec) {
      co_await socket.async_connect(entry.endpoint(), into(ec));
    }
    if (!step_ok(impl, conn, {}, "")) {
      co_return false;
    }
    if (!ec) {
      connected = true;
      break;
    }
    last = ec;
  }
  if (!connected) {
    throw KubeError::no_answer(impl.server_host, "connection failed: " + last.message());
  }
  socket.set_option(tcp::no_delay(true), ec);
  if (keepalive) {
    set_keepalive(socket);
  }
  if (!conn.tls) {
    co_return true;
  }
  if (auto problem = http::expect_peer(conn.tls->native_handle(), impl.host, impl.host_is_ip);
      !problem.empty()) {
    throw KubeError::no_answer(impl.server_host, "TLS: " + problem);
  }
  co_await conn.tls->async_handshake(ssl::stream_base::client, into(ec));
  if (conn.stopped) {
    co_return false;
  }
  if (conn.timed_out) {
    throw KubeError::no_answer(impl.server_host, "timeout");
  }
  if (ec) {
    throw KubeError::no_answer(impl.server_host,
                               "TLS handshake failed: " + http::tls_failure_reason(*conn.tls, ec));
  }
  co_return true;
}

bhttp::request<bhttp::string_body> make_request(Transport::Impl& impl, std::string_view method,
                                                const std::string& target,
                                                const std::string& content_type,
                                                const std::string& accept, std::string body,
                                                bool keep_alive) {
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  const auto verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) {
    throw std::invalid_argument("unsupported HTTP method " + std::string(method));
  }
  req.method(verb);
  req.target(impl.base_path + target);
  req.set(bhttp::field::host, impl.host_header);
  req.set(bhttp::field::user_agent, "neuropod/" NEUROPOD_VERSION);
  req.set(bhttp::field::accept, accept);
  const auto token = impl.bearer();
  if (!token.empty()) {
    req.set(bhttp::field::authorization, "Bearer " + token);
  }
  if (!content_type.empty()) {
    req.set(bhttp::field::content_type, content_type);
  }
  if (!keep_alive) {
    req.set(bhttp::field::connection, "close");
  }
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

bool truncated_but_complete(boost::system::error_code ec, bool header_done, bool done) {
  // The peer closed without close_notify: a body delimited by the end of the connection is still
  // complete; any other framing reports a partial message.
  return ec == ssl::error::stream_truncated && header_done && !done;
}

struct Answer {
  HttpResult result;
  bool reusable = false;  // the server keeps the connection and nothing is left unread
  bool stale = false;     // a reused connection failed before any byte of an answer: try anew
};

template <typename Stream>
asio::awaitable<Answer> talk(Transport::Impl& impl, Connection& conn, Stream& stream,
                             bhttp::request<bhttp::string_body>& req, bool reused) {
  Answer out;
  boost::system::error_code ec;
  co_await bhttp::async_write(stream, req, into(ec));
  if (ec && reused && !conn.timed_out) {
    out.stale = true;  // the server closed it while it was idle
    co_return out;
  }
  step_ok(impl, conn, ec, "sending the request failed");
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kResponseLimit);
  parser.header_limit(kHeaderLimit);
  beast::flat_buffer buffer;
  co_await bhttp::async_read(stream, buffer, parser, into(ec));
  if (ec && reused && !conn.timed_out && !parser.got_some()) {
    out.stale = true;
    co_return out;
  }
  if (truncated_but_complete(ec, parser.is_header_done(), parser.is_done())) {
    parser.put_eof(ec);
  }
  // The request went out whole: a change may have been made (KubeError::maybe_applied).
  const bool sent_change = req.method() != bhttp::verb::get;
  if (conn.timed_out) {
    throw KubeError::no_answer(impl.server_host, "timeout", sent_change);
  }
  if (ec) {
    throw KubeError::no_answer(impl.server_host, "reading the response failed: " + ec.message(),
                               sent_change);
  }
  out.reusable = parser.get().keep_alive() && buffer.size() == 0;
  out.result.status = parser.get().result_int();
  out.result.body = std::move(parser.get().body());
  co_return out;
}

asio::awaitable<Answer> talk_on(Transport::Impl& impl, Connection& conn,
                                bhttp::request<bhttp::string_body>& req, bool reused) {
  if (conn.tls) {
    co_return co_await talk(impl, conn, *conn.tls, req, reused);
  }
  co_return co_await talk(impl, conn, *conn.plain, req, reused);
}

// Owns an idle kept-alive connection until it is taken (its idle timer cancelled by the exchange
// that reuses it) or has idled kIdleTimeout (then it is closed as the last owner lets go).
asio::awaitable<void> keep_idle(std::shared_ptr<Connection> conn) {
  conn->idle_timer.expires_after(kIdleTimeout);
  boost::system::error_code ec;
  co_await conn->idle_timer.async_wait(into(ec));
}

// The one-shot exchange on `conn`'s strand (a new connection when `conn` is null or turns out
// stale). Parameters by value (coroutine).
asio::awaitable<HttpResult> exchange(std::shared_ptr<Transport::Impl> impl,
                                     std::shared_ptr<Connection> conn,
                                     bhttp::request<bhttp::string_body> req,
                                     std::chrono::milliseconds timeout) {
  const auto ex = co_await asio::this_coro::executor;
  Answer answer;
  if (conn) {
    conn->idle_timer.cancel();  // keep_idle lets go; this exchange owns it now
    Connection::arm(conn, timeout);
    answer = co_await talk_on(*impl, *conn, req, true);
    if (answer.stale) {
      conn->disarm();
      conn->close();
      conn.reset();
    }
  }
  if (!conn) {
    conn = std::make_shared<Connection>(ex);
    {
      const std::lock_guard lock(impl->pool_mutex);
      ++impl->opened;
    }
    Connection::arm(conn, timeout);
    co_await open(*impl, *conn, false);
    answer = co_await talk_on(*impl, *conn, req, false);
  }
  conn->disarm();
  if (answer.reusable && impl->give_back(conn)) {
    asio::co_spawn(ex, keep_idle(conn), asio::detached);
  } else {
    conn->close();
  }
  co_return std::move(answer.result);
}

template <typename Stream>
asio::awaitable<HttpResult> follow(Transport::Impl& impl, const std::shared_ptr<Connection>& conn,
                                   Stream& stream, bhttp::request<bhttp::string_body>& req,
                                   const Transport::DataCallback& on_data,
                                   std::chrono::milliseconds stream_timeout) {
  HttpResult out;
  boost::system::error_code ec;
  co_await bhttp::async_write(stream, req, into(ec));
  if (!step_ok(impl, *conn, ec, "sending the request failed")) {
    out.stopped = true;
    co_return out;
  }
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.header_limit(kHeaderLimit);
  beast::flat_buffer buffer;
  co_await bhttp::async_read_header(stream, buffer, parser, into(ec));
  if (!step_ok(impl, *conn, ec, "reading the response failed")) {
    out.stopped = true;
    co_return out;
  }
  out.status = parser.get().result_int();

  if (out.status < 200 || out.status >= 300) {
    // An error: its Status, whole.
    bhttp::response_parser<bhttp::string_body> text(std::move(parser));
    text.body_limit(kErrorBodyLimit);
    co_await bhttp::async_read(stream, buffer, text, into(ec));
    if (!step_ok(impl, *conn, {}, "")) {
      out.stopped = true;
      co_return out;
    }
    out.body = std::move(text.get().body());  // what arrived, even when cut short
    co_return out;
  }

  // The header is in: from now on only `stream_timeout` bounds the stream.
  if (stream_timeout.count() > 0) {
    Connection::arm(conn, stream_timeout);
  } else {
    conn->timer.cancel();
  }
  std::array<char, kChunkSize> chunk{};
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    co_await bhttp::async_read_some(stream, buffer, parser, into(ec));
    if (ec == bhttp::error::need_buffer) {
      ec = {};
    }
    if (truncated_but_complete(ec, true, parser.is_done())) {
      parser.put_eof(ec);
    }
    const std::size_t n = chunk.size() - parser.get().body().size;
    if (conn->stopped) {
      out.stopped = true;
      co_return out;
    }
    if (n > 0) {
      on_data(std::string_view(chunk.data(), n));
    }
    if (!step_ok(impl, *conn, ec, "the stream broke")) {
      out.stopped = true;
      co_return out;
    }
  }
  co_return out;
}

// A stream, on its own strand. Parameters by value (coroutine).
asio::awaitable<HttpResult> streaming(std::shared_ptr<Transport::Impl> impl,
                                      bhttp::request<bhttp::string_body> req,
                                      Transport::DataCallback on_data, std::stop_token stop,
                                      std::chrono::milliseconds connect_timeout,
                                      std::chrono::milliseconds stream_timeout) {
  const auto ex = co_await asio::this_coro::executor;
  auto conn = std::make_shared<Connection>(ex);
  HttpResult out;
  out.stopped = true;
  if (stop.stop_requested()) {
    co_return out;
  }
  // request_stop() may come from any thread: the abort is posted to this strand.
  const auto stop_now = [weak = std::weak_ptr<Connection>(conn), ex] {
    asio::post(ex, [weak] {
      if (auto c = weak.lock()) {
        c->stopped = true;
        c->abort();
      }
    });
  };
  const std::stop_callback on_stop(stop, stop_now);
  Connection::arm(conn, connect_timeout);
  if (!co_await open(*impl, *conn, true)) {
    co_return out;
  }
  if (conn->tls) {
    out = co_await follow(*impl, conn, *conn->tls, req, on_data, stream_timeout);
  } else {
    out = co_await follow(*impl, conn, *conn->plain, req, on_data, stream_timeout);
  }
  conn->timer.cancel();
  conn->close();
  co_return out;
}

asio::awaitable<bool> sleep_on_strand(std::chrono::milliseconds delay, std::stop_token stop) {
  const auto ex = co_await asio::this_coro::executor;
  if (stop.stop_requested()) {
    co_return false;
  }
  auto timer = std::make_shared<asio::steady_timer>(ex, delay);
  const auto cancel = [weak = std::weak_ptr<asio::steady_timer>(timer), ex] {
    asio::post(ex, [weak] {
      if (auto t = weak.lock()) {
        t->cancel();
      }
    });
  };
  const std::stop_callback on_stop(stop, cancel);
  boost::system::error_code ec;
  co_await timer->async_wait(into(ec));
  co_return !stop.stop_requested();
}

}  // namespace

Transport::Transport(asio::any_io_executor executor, const KubeConfig& config)
    : impl_(std::make_shared<Impl>()) {
  impl_->executor = std::move(executor);
  parse_server(config.server, *impl_);
  if (config.server.rfind("https://", 0) == 0) {
    impl_->tls = make_tls_context(config);
  } else if (!config.client_cert_pem.empty()) {
    throw std::invalid_argument("Kubernetes server URL '" + config.server +
                                "' is http://: a client certificate needs https://");
  }
  impl_->token = config.token;
  impl_->token_file = config.token_file;
}

Transport::~Transport() = default;

const std::string& Transport::server_host() const {
  return impl_->server_host;
}

Transport::ConnectionStats Transport::connection_stats() const {
  const std::lock_guard lock(impl_->pool_mutex);
  return ConnectionStats{impl_->opened, impl_->reused};
}

asio::awaitable<HttpResult> Transport::request(std::string method, std::string target,
                                               std::string content_type, std::string body,
                                               std::chrono::milliseconds timeout) {
  auto impl = impl_;
  auto req =
      make_request(*impl, method, target, content_type, "application/json", std::move(body), true);
  // On the strand of the connection it uses (a kept-alive one, else a new strand): the deadline's
  // handler and the exchange never race, whatever executor the caller runs on. A named coroutine
  // with by-value parameters (no lambda: GCC PR100611).
  auto conn = impl->take_idle();
  asio::any_io_executor ex = asio::make_strand(impl->executor);
  if (conn) {
    ex = conn->executor;
  }
  auto op = asio::co_spawn(ex, exchange(impl, std::move(conn), std::move(req), timeout),
                           asio::use_awaitable);
  co_return co_await std::move(op);
}

asio::awaitable<HttpResult> Transport::stream(std::string target, DataCallback on_data,
                                              std::stop_token stop,
                                              std::chrono::milliseconds connect_timeout,
                                              std::chrono::milliseconds stream_timeout) {
  auto impl = impl_;
  auto req = make_request(*impl, "GET", target, "", "application/json, */*", "", false);
  auto op = asio::co_spawn(asio::make_strand(impl->executor),
                           streaming(impl, std::move(req), std::move(on_data), std::move(stop),
                                     connect_timeout, stream_timeout),
                           asio::use_awaitable);
  co_return co_await std::move(op);
}

void LineSplitter::feed(std::string_view data,
                        const std::function<void(std::string_view)>& on_line) {
  while (!data.empty()) {
    const auto nl = data.find('\n');
    const std::size_t take = nl == std::string_view::npos ? data.size() : nl;
    if (partial_.size() + take > max_) {
      partial_.clear();
      throw KubeError::no_answer(
          "", "a line of the stream is longer than " + std::to_string(max_) + " bytes");
    }
    if (nl == std::string_view::npos) {
      partial_.append(data);
      return;
    }
    std::string_view line = data.substr(0, nl);
    if (!partial_.empty()) {
      partial_.append(line);
      line = partial_;
    }
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    data.remove_prefix(nl + 1);
    on_line(line);
    partial_.clear();
  }
}

asio::awaitable<bool> sleep_unless_stopped(std::chrono::milliseconds delay, std::stop_token stop) {
  const auto ex = co_await asio::this_coro::executor;
  auto op = asio::co_spawn(asio::make_strand(ex), sleep_on_strand(delay, std::move(stop)),
                           asio::use_awaitable);
  co_return co_await std::move(op);
}

}  // namespace neuropod::k8s
