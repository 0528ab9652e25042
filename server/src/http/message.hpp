#pragma once
// Request and response as the router and handlers see them: plain values, no Beast types, so that
// only server.cpp pays for Beast's compile time.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace neuropod::http {

class Headers {
 public:
  // Case-insensitive lookup of the first value.
  std::optional<std::string_view> get(std::string_view name) const;
  // Replaces every value of `name`.
  void set(std::string name, std::string value);
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Who is calling, once the auth middleware has checked the session.
struct Principal {
  std::string user_id;  // hex ObjectId
  std::string session_id;
  std::string email;
  bool admin = false;
};

// The value of cookie `name` in one Cookie header's value (quotes removed).
std::optional<std::string_view> cookie_in(std::string_view header, std::string_view name);

// A request as the server read it, before anything is copied into a Request: what a fast route
// (Router::fast) may look at. Views into the server's buffers, valid during the call.
class RequestView {
 public:
  virtual ~RequestView() = default;
  virtual std::string_view path() const = 0;  // raw, without the query
  virtual std::string_view request_id() const = 0;
  // First value of a header (case-insensitive name).
  virtual std::optional<std::string_view> header(std::string_view name) const = 0;
  // A cookie from any Cookie header.
  virtual std::optional<std::string_view> cookie(std::string_view name) const = 0;
};

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as sent: path + query
  std::string path;    // percent-decoded per segment by the router, here raw
  std::string query;   // after '?', raw
  Headers headers;
  std::string body;
  std::string remote_ip;
  std::string request_id;
  std::map<std::string, std::string> params;  // from the route pattern, percent-decoded
  std::optional<Principal> principal;         // set by the auth middleware on signed-in routes
  // On Access::token routes, what the route's verifier found the bearer token names (e.g. a pod
  // id); set by the auth middleware before the handler runs.
  std::string token_subject;

  // The signed-in caller; throws core::Unauthorized when there is none (anonymous route).
  const Principal& caller() const;

  // The body as JSON. Throws core::Error: unsupported_media_type when the content type is not
  // application/json, invalid_json when it does not parse. Parsed once.
  const nlohmann::json& json();
  // The body as a JSON object (validation_failed otherwise).
  const nlohmann::json& json_object();
  // Decoded query parameter (first occurrence).
  std::optional<std::string> query_param(std::string_view name) const;
  // A whole-number parameter in [min, max] (`fallback` when absent); anything else throws
  // core::ValidationError naming it.
  std::int64_t query_int(const std::string& name, std::int64_t fallback, std::int64_t min,
                         std::int64_t max) const;
  // "true"/"1" or "false"/"0" (`fallback` when absent); anything else: ValidationError.
  bool query_bool(const std::string& name, bool fallback = false) const;
  // Value of a cookie from the Cookie header(s).
  std::optional<std::string> cookie(std::string_view name) const;
  // The token of an "Authorization: Bearer <token>" header (non-empty), else nullopt.
  std::optional<std::string_view> bearer() const;

 private:
  std::optional<nlohmann::json> json_;
};

// The body of a streamed response, written piece by piece while the handler's producer runs
// (implemented by the server). One write at a time: await each before the next.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends one chunk (empty chunks are skipped), each write within the server's request_timeout.
  // false once the stream should end: the client is gone, the server is shutting down (the stop
  // token is requested) or a write failed or timed out. Stop producing then.
  virtual boost::asio::awaitable<bool> write(std::string chunk) = 0;
  // Requested when the client disconnects, a write fails or the server shuts down. Producers
  // pass it to every long wait (a Kubernetes log follow, k8s::sleep_unless_stopped, ...): a
  // producer that ignores it holds its connection until the shutdown's forced close.
  virtual std::stop_token stop_token() const = 0;
};

// Writes a streamed body and returns when it is complete (or when told to stop). Like route
// handlers, a plain lambda that calls a named coroutine taking its parameters by value:
//   [this, id](StreamWriter& out) { return follow_log(id, out); }
using StreamProducer = std::function<boost::asio::awaitable<void>(StreamWriter&)>;

// An accepted WebSocket (implemented by the server): the handler sends text messages; what the
// client sends is read (control frames answered, pings sent when idle) and discarded.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  // Sends one text message within the server's request_timeout. One send at a time: await each.
  // false once the socket is done (client gone or closing, a send failed or timed out, shutdown):
  // return then.
  virtual boost::asio::awaitable<bool> send(std::string text) = 0;
  // Requested when the client closes or goes away, a send fails, the peer stops answering pings,
  // or the server shuts down. Pass it to every wait.
  virtual std::stop_token stop_token() const = 0;
  // The close frame the server sends once the handler returns (default 1000 normal, or 1001 on
  // shutdown). E.g. 1008 policy violation (session revoked), 1013 try again later (too slow).
  virtual void close_with(std::uint16_t code, std::string reason) = 0;
};

// Serves an accepted WebSocket until it returns; the server then closes it.
using WebSocketHandler = std::function<boost::asio::awaitable<void>(WebSocket&)>;

struct Response {
  unsigned status = 200;
  Headers headers;
  std::string body;
  // When set, the server sends status and headers at once (Transfer-Encoding: chunked), then
  // what the producer writes; `body` is ignored. The connection closes when the stream ends.
  StreamProducer stream;
  // When set (and the request asks for a WebSocket upgrade), the server accepts the upgrade with
  // `headers` on its 101 answer and runs the handler. Not an upgrade request: 400.
  WebSocketHandler websocket;

  static Response json(unsigned status, const nlohmann::json& body);
  static Response no_content();
  // A streamed response: `content_type` e.g. "text/plain; charset=utf-8", "text/event-stream".
  static Response streamed(unsigned status, std::string content_type, StreamProducer producer);
  static Response upgrade(WebSocketHandler handler);
};

struct CookieSpec {
  std::string name;
  std::string value;
  std::string path = "/";
  std::string domain;                           // empty = host-only
  std::optional<std::chrono::seconds> max_age;  // nullopt = session cookie; 0 = delete
  bool http_only = true;
  bool secure = false;
  std::string same_site = "Lax";
};
// The Set-Cookie header value.
std::string set_cookie_value(const CookieSpec& c);

// %XX sequences decoded; '+' becomes a space only in query strings.
std::string percent_decode(std::string_view in, bool plus_as_space = false);

}  // namespace neuropod::http
