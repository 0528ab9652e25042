#include "http/client.hpp"

#include <charconv>
#include <cstdint>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "core/errors.hpp"
#include "http/tls.hpp"

namespace neuropod::http {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  asio::any_io_executor executor;
  std::shared_ptr<ssl::context> tls;
};

namespace {

constexpr std::uint32_t kHeaderLimit = std::uint32_t{64} * 1024;

// Where a request goes, from its URL.
struct Target {
  bool tls = false;
  std::string host;         // decoded, without IPv6 brackets: for DNS, SNI and verification
  bool host_is_ip = false;  // no SNI for addresses; the certificate needs an IP SAN
  std::string port;         // digits
  std::string host_header;  // as in the URL: brackets for IPv6, ":port" when given
  std::string target;       // path + query, "/" when empty
};

[[noreturn]] void bad_request(const std::string& message, const std::string& reason) {
  throw core::Error(core::ErrorCode::bad_request, message, {{"reason", reason}});
}

[[noreturn]] void unavailable(const std::string& what, const std::string& host,
                              const std::string& reason) {
  throw core::Error(core::ErrorCode::service_unavailable, what + " " + host,
                    {{"url_host", host}, {"reason", reason}});
}

Target parse_target(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    bad_request("Invalid URL", parsed.error().message());
  }
  const auto& u = *parsed;
  Target t;
  if (u.scheme_id() == boost::urls::scheme::https) {
    t.tls = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    bad_request("Invalid URL", "the scheme must be http or https");
  }
  if (u.has_userinfo()) {
    bad_request("Invalid URL", "credentials in the URL are not supported");
  }
  switch (u.host_type()) {
    case boost::urls::host_type::name: t.host = u.host_name(); break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      t.host = u.host_address();
      t.host_is_ip = true;
      break;
    default: bad_request("Invalid URL", "the URL has no usable host");
  }
  if (t.host.empty()) {
    bad_request("Invalid URL", "the URL has no host");
  }
  if (t.host.find_first_of(std::string_view("\0\r\n \t/\\", 7)) != std::string::npos) {
    bad_request("Invalid URL", "the host contains invalid characters");
  }
  t.port = t.tls ? "443" : "80";
  if (u.has_port()) {
    const std::string_view p = u.port();
    unsigned number = 0;
    const auto* end = p.data() + p.size();
    const auto res = std::from_chars(p.data(), end, number);
    if (p.empty() || res.ec != std::errc() || res.ptr != end || number == 0 || number > 65535) {
      bad_request("Invalid URL", "the port must be a number from 1 to 65535");
    }
    t.port = std::to_string(number);
  }
  // Boost.URL 1.81 accepts "http://h:8x/" as port 8 with the path "x/": after an authority, a
  // path must be empty or absolute.
  const std::string_view path = u.encoded_path();
  if (!path.empty() && path.front() != '/') {
    bad_request("Invalid URL", "the port must be a number from 1 to 65535");
  }
  t.host_header = u.encoded_host_and_port();
  t.target = u.encoded_target();
  if (path.empty()) {
    t.target.insert(0, "/");  // "http://h" and "http://h?q" have an empty path
  }
  return t;
}

bool is_token(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  for (const char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool is_field_value(std::string_view s) {
  return s.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos;
}

bhttp::request<bhttp::string_body> build_request(ClientRequest& in, const Target& t) {
  if (!is_token(in.method)) {
    bad_request("Invalid HTTP method", "the method must be an HTTP token");
  }
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  const auto verb = bhttp::string_to_verb(in.method);
  if (verb == bhttp::verb::unknown) {
    req.method_string(in.method);
  } else {
    req.method(verb);
  }
  req.target(t.target);
  for (const auto& [name, value] : in.headers.items()) {
    if (!is_token(name) || !is_field_value(value)) {
      bad_request("Invalid HTTP header", "header names must be tokens, values single lines");
    }
    req.insert(name, value);
  }
  if (req.find(bhttp::field::host) == req.end()) {
    req.set(bhttp::field::host, t.host_header);
  }
  if (req.find(bhttp::field::user_agent) == req.end()) {
    req.set(bhttp::field::user_agent, "neuropod/" NEUROPOD_VERSION);
  }
  // The body is always sent whole with its length; no pooling yet, so every exchange closes.
  req.erase(bhttp::field::content_length);
  req.erase(bhttp::field::transfer_encoding);
  req.set(bhttp::field::connection, "close");
  req.body() = std::move(in.body);
  req.prepare_payload();
  return req;
}

// One exchange's socket, resolver and deadline. Lives on one strand: the deadline's handler and
// the exchange coroutine never run at the same time.
struct Connection {
  explicit Connection(const asio::any_io_executor& ex) : resolver(ex), timer(ex) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;
  ~Connection() { close(); }

  tcp::resolver resolver;
  asio::steady_timer timer;
  std::optional<tcp::socket> plain;
  std::optional<ssl::stream<tcp::socket>> tls;
  bool timed_out = false;

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  void close() {
    boost::system::error_code ignored;
    if (plain || tls) {
      socket().close(ignored);
    }
  }

  // Arms the deadline of the whole exchange: on expiry everything in flight is aborted (resolve
  // cancelled, socket closed) and every later step sees `timed_out`.
  static void arm(const std::shared_ptr<Connection>& conn, std::chrono::milliseconds timeout) {
    conn->timer.expires_after(timeout);
    conn->timer.async_wait([weak = std::weak_ptr<Connection>(conn)](boost::system::error_code ec) {
      auto c = weak.lock();
      if (ec || !c) {
        return;
      }
      c->timed_out = true;
      c->resolver.cancel();
      c->close();
    });
  }
};

std::string read_failure_reason(boost::system::error_code ec, std::size_t body_limit) {
  if (ec == bhttp::error::body_limit) {
    return "response body larger than " + std::to_string(body_limit) + " bytes";
  }
  if (ec == bhttp::error::header_limit) {
    return "response header larger than " + std::to_string(kHeaderLimit) + " bytes";
  }
  if (ec == bhttp::error::end_of_stream) {
    return "connection closed before a response";
  }
  if (ec == bhttp::error::partial_message) {
    return "connection closed in the middle of the response";
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
    return "malformed response: " + ec.message();
  }
  return ec.message();
}

// Completion token: errors land in `ec` instead of being thrown.
auto into(boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// The whole exchange, on its own strand. Parameters by value (coroutine).
asio::awaitable<ClientResponse> exchange(std::shared_ptr<ssl::context> tls_ctx, Target t,
                                         bhttp::request<bhttp::string_body> req,
                                         std::chrono::milliseconds timeout,
                                         std::size_t body_limit) {
  const auto ex = co_await asio::this_coro::executor;
  auto conn = std::make_shared<Connection>(ex);
  Connection::arm(conn, timeout);
  const auto& host = t.host;
  boost::system::error_code ec;

  // Resolve.
  const auto endpoints = co_await conn->resolver.async_resolve(t.host, t.port, into(ec));
  if (conn->timed_out) {
    unavailable("Request timed out to", host, "timeout");
  }
  if (ec) {
    unavailable("DNS lookup failed for", host, ec.message());
  }

  // Connect: every address in turn.
  if (t.tls) {
    conn->tls.emplace(ex, *tls_ctx);
  } else {
    conn->plain.emplace(ex);
  }
  auto& socket = conn->socket();
  boost::system::error_code last = asio::error::host_not_found;
  bool connected = false;
  for (const auto& entry : endpoints) {
    socket.close(ec);
    socket.open(entry.endpoint().protocol(), ec);
    if (!ec) {
      co_await socket.async_connect(entry.endpoint(), into(ec));
    }
    if (conn->timed_out) {
      unavailable("Request timed out to", host, "timeout");
    }
    if (!ec) {
      connected = true;
      break;
    }
    last = ec;
  }
  if (!connected) {
    unavailable("Connection failed to", host, last.message());
  }
  socket.set_option(tcp::no_delay(true), ec);

  // TLS: SNI for names, and the peer's certificate must name the host (DNS or IP SAN). OpenSSL's
  // own check (X509_VERIFY_PARAM) is the one asio's host_name_verification wraps, but it reports
  // "hostname mismatch" / "IP address mismatch" as the verify result instead of a bare failure.
  if (conn->tls) {
    if (auto problem = expect_peer(conn->tls->native_handle(), t.host, t.host_is_ip);
        !problem.empty()) {
      unavailable("TLS handshake failed with", host, problem);
    }
    co_await conn->tls->async_handshake(ssl::stream_base::client, into(ec));
    if (conn->timed_out) {
      unavailable("Request timed out to", host, "timeout");
    }
    if (ec) {
      unavailable("TLS handshake failed with", host, tls_failure_reason(*conn->tls, ec));
    }
  }

  // Write.
  if (conn->tls) {
    co_await bhttp::async_write(*conn->tls, req, into(ec));
  } else {
    co_await bhttp::async_write(*conn->plain, req, into(ec));
  }
  if (conn->timed_out) {
    unavailable("Request timed out to", host, "timeout");
  }
  if (ec) {
    unavailable("Sending the request failed to", host, ec.message());
  }

  // Read.
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(static_cast<std::uint64_t>(body_limit));
  parser.header_limit(kHeaderLimit);
  if (req.method() == bhttp::verb::head) {
    parser.skip(true);
  }
  beast::flat_buffer buffer;
  if (conn->tls) {
    co_await bhttp::async_read(*conn->tls, buffer, parser, into(ec));
  } else {
    co_await bhttp::async_read(*conn->plain, buffer, parser, into(ec));
  }
  if (conn->timed_out) {
    unavailable("Request timed out to", host, "timeout");
  }
  if (ec == ssl::error::stream_truncated && parser.is_header_done() && !parser.is_done()) {
    // The peer closed without close_notify; a body delimited by the end of the connection is
    // still complete (as in curl and browsers); any other framing reports a partial message.
    parser.put_eof(ec);
  }
  if (ec) {
    const bool too_large = ec == bhttp::error::body_limit || ec == bhttp::error::header_limit;
    unavailable(too_large ? "Response too large from" : "Reading the response failed from", host,
                read_failure_reason(ec, body_limit));
  }
  conn->timer.cancel();
  conn->close();

  auto& msg = parser.get();
  ClientResponse out;
  out.status = msg.result_int();
  for (const auto& field : msg) {
    out.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(msg.body());
  co_return out;
}

}  // namespace

HttpClient::HttpClient(asio::any_io_executor executor, TlsOptions tls)
    : impl_(std::make_shared<Impl>(Impl{std::move(executor), make_tls_context(tls)})) {}

HttpClient::~HttpClient() = default;

asio::awaitable<ClientResponse> HttpClient::fetch(ClientRequest request) {
  auto impl = impl_;
  auto target = parse_target(request.url);
  auto req = build_request(request, target);
  // A strand of its own: the deadline's handler and the exchange never race, whatever executor
  // the caller runs on. A named coroutine with by-value parameters (no lambda: GCC PR100611).
  auto op = asio::co_spawn(asio::make_strand(impl->executor),
                           exchange(impl->tls, std::move(target), std::move(req), request.timeout,
                                    request.response_body_limit),
                           asio::use_awaitable);
  co_return co_await std::move(op);
}

std::string HttpClient::form_encode(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  // WHATWG application/x-www-form-urlencoded serializer.
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  const auto append = [&](std::string_view s) {
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      const bool keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                        (c >= 'A' && c <= 'Z') || c == '*' || c == '-' || c == '.' || c == '_';
      if (keep) {
        out.push_back(ch);
      } else if (c == ' ') {
        out.push_back('+');
      } else {
        out.push_back('%');
        out.push_back(hex[c >> 4U]);
        out.push_back(hex[c & 0x0FU]);
      }
    }
  };
  for (const auto& [name, value] : fields) {
    if (!out.empty()) {
      out.push_back('&');
    }
    append(name);
    out.push_back('=');
    append(value);
  }
  return out;
}

}  // namespace neuropod::http
