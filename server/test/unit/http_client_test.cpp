#include "http/client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "core/errors.hpp"

// Loopback servers started inside each test (plain TCP and TLS with a throw-away PKI made at
// test time) answer canned responses and record what they received.

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using neuropod::core::Error;
using neuropod::core::ErrorCode;
using neuropod::http::ClientRequest;
using neuropod::http::ClientResponse;
using neuropod::http::HttpClient;
using neuropod::http::TlsOptions;
using namespace std::chrono_literals;

namespace {

// ---------------------------------------------------------------------------------------------
// A throw-away PKI: one CA, leaves for 127.0.0.1/localhost, for other.example only, and a client.

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Bio = std::unique_ptr<BIO, BioFree>;

void check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("OpenSSL: ") + what);
  }
}

Pkey rsa_key() {
  // EVP_RSA_gen(2048), spelled out: the macro's C cast trips -Wold-style-cast.
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}));
  check(key != nullptr, "RSA key generation");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "extension");
  check(X509_add_ext(cert, ext, -1) == 1, "add extension");
  X509_EXTENSION_free(ext);
}

// Issued by (issuer, issuer_key), or self-signed when issuer is null.
Cert make_cert(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long serial,
               const char* san, bool ca, const char* eku) {
  Cert cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  check(X509_set_version(x, X509_VERSION_3) == 1, "version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(x), serial) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x), 86400) != nullptr, "notAfter");
  check(X509_set_pubkey(x, key) == 1, "pubkey");
  X509_NAME* name = X509_get_subject_name(x);
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(cn), -1, -1, 0) == 1,
        "CN");
  X509* signer = issuer != nullptr ? issuer : x;
  check(X509_set_issuer_name(x, X509_get_subject_name(signer)) == 1, "issuer");
  add_ext(x, signer, NID_subject_key_identifier, "hash");
  if (ca) {
    add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, signer, NID_authority_key_identifier, "keyid:always");
    add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(x, signer, NID_ext_key_usage, eku);
  }
  if (san != nullptr) {
    add_ext(x, signer, NID_subject_alt_name, san);
  }
  check(X509_sign(x, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "sign");
  return cert;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return {data, static_cast<std::size_t>(n)};
}

std::string cert_pem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM cert");
  return bio_string(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  check(bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM key");
  return bio_string(bio.get());
}

struct Pki {
  std::string ca;           // CA certificate
  std::string other_ca;     // an unrelated CA (for "wrong CA" cases)
  std::string server_cert;  // SAN IP:127.0.0.1, DNS:localhost
  std::string other_cert;   // SAN DNS:other.example only
  std::string client_cert;  // CN neuropod-test-client, clientAuth
  std::string leaf_key;     // key of the three leaves
};

const Pki& pki() {
  static const Pki made = [] {
    const auto ca_key = rsa_key();
    const auto leaf_key = rsa_key();
    const auto ca =
        make_cert("Neuropod Test CA", ca_key.get(), nullptr, nullptr, 1, nullptr, true, nullptr);
    const auto other_ca =
        make_cert("Unrelated CA", leaf_key.get(), nullptr, nullptr, 2, nullptr, true, nullptr);
    Pki p;
    p.ca = cert_pem(ca.get());
    p.other_ca = cert_pem(other_ca.get());
    p.server_cert = cert_pem(make_cert("localhost", leaf_key.get(), ca.get(), ca_key.get(), 3,
                                       "IP:127.0.0.1,DNS:localhost", false, "serverAuth")
                                 .get());
    p.other_cert = cert_pem(make_cert("other.example", leaf_key.get(), ca.get(), ca_key.get(), 4,
                                      "DNS:other.example", false, "serverAuth")
                                .get());
    p.client_cert = cert_pem(make_cert("neuropod-test-client", leaf_key.get(), ca.get(),
                                       ca_key.get(), 5, nullptr, false, "clientAuth")
                                 .get());
    p.leaf_key = key_pem(leaf_key.get());
    return p;
  }();
  return made;
}

// ---------------------------------------------------------------------------------------------
// Loopback test server.

struct Seen {
  int requests = 0;
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string sni;              // TLS server name the client sent
  std::string client_cn;        // CN of the verified client certificate
  std::string handshake_error;  // TLS handshake failure seen by the server

  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return v;
      }
    }
    return "<missing>";
  }
};

struct ServerState {
  explicit ServerState(asio::io_context& ioc) : acceptor(ioc) {}
  tcp::acceptor acceptor;
  std::string response;               // written after the request was read
  bool silent = false;                // accept, then never answer
  std::shared_ptr<ssl::context> tls;  // null: plain TCP
  Seen seen;
};

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

void parse_head(std::string_view head, Seen& seen) {
  auto eol = head.find("\r\n");
  const auto line = head.substr(0, eol);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.find(' ', sp1 + 1);
  seen.method = std::string(line.substr(0, sp1));
  seen.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  while (eol != std::string_view::npos) {
    const auto start = eol + 2;
    eol = head.find("\r\n", start);
    const auto field = head.substr(start, eol - start);
    const auto colon = field.find(':');
    if (field.empty() || colon == std::string_view::npos) {
      continue;
    }
    auto value = field.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    seen.headers.emplace_back(std::string(field.substr(0, colon)), std::string(value));
  }
}

// Reads until the peer is gone (or a time limit), so closing never resets unread data.
template <typename Stream>
asio::awaitable<void> drain(Stream& stream) {
  std::array<char, 4096> sink{};
  boost::system::error_code ec;
  while (!ec) {
    co_await stream.async_read_some(asio::buffer(sink),
                                    asio::redirect_error(asio::use_awaitable, ec));
  }
}

template <typename Stream>
asio::awaitable<void> converse(std::shared_ptr<ServerState> st, Stream stream) {
  boost::system::error_code ec;
  if (st->silent) {
    co_await drain(stream);
    co_return;
  }
  std::string data;
  const auto n = co_await asio::async_read_until(stream, asio::dynamic_buffer(data), "\r\n\r\n",
                                                 asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return;
  }
  Seen seen;
  parse_head(std::string_view(data).substr(0, n), seen);
  std::string body = data.substr(n);
  const auto length = seen.header("content-length");
  if (length != "<missing>") {
    const auto want = std::stoul(length);
    if (body.size() < want) {
      co_await asio::async_read(stream, asio::dynamic_buffer(body),
                                asio::transfer_exactly(want - body.size()),
                                asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  seen.body = std::move(body);
  seen.sni = st->seen.sni;
  seen.client_cn = st->seen.client_cn;
  seen.requests = st->seen.requests + 1;
  st->seen = std::move(seen);
  co_await asio::async_write(stream, asio::buffer(st->response),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return;
  }
  // Close without TLS close_notify: a body delimited by the end of the connection then ends
  // with a truncated stream on the client, as with many real servers.
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    stream.shutdown(tcp::socket::shutdown_send, ec);
    co_await drain(stream);
  } else {
    stream.lowest_layer().shutdown(tcp::socket::shutdown_send, ec);
    co_await drain(stream.next_layer());
  }
}

asio::awaitable<void> serve_tls(std::shared_ptr<ServerState> st, tcp::socket socket) {
  ssl::stream<tcp::socket> stream(std::move(socket), *st->tls);
  boost::system::error_code ec;
  co_await stream.async_handshake(ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    st->seen.handshake_error = ec.message();
    co_return;
  }
  SSL* native = stream.native_handle();
  if (const char* sni = SSL_get_servername(native, TLSEXT_NAMETYPE_host_name)) {
    st->seen.sni = sni;
  }
  if (X509* peer = SSL_get1_peer_certificate(native)) {
    std::array<char, 256> cn{};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn.data(),
                              static_cast<int>(cn.size()));
    st->seen.client_cn = cn.data();
    X509_free(peer);
  }
  co_await converse(st, std::move(stream));
}

asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> st) {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await st->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    if (st->tls && !st->silent) {
      asio::co_spawn(st->acceptor.get_executor(), serve_tls(st, std::move(socket)), asio::detached);
    } else {
      asio::co_spawn(st->acceptor.get_executor(), converse(st, std::move(socket)), asio::detached);
    }
  }
}

class TestServer {
 public:
  TestServer(asio::io_context& ioc, std::string response)
      : st_(std::make_shared<ServerState>(ioc)) {
    st_->response = std::move(response);
    const tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), 0};
    st_->acceptor.open(ep.protocol());
    st_->acceptor.bind(ep);
    st_->acceptor.listen();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer() {
    boost::system::error_code ec;
    st_->acceptor.close(ec);
  }

  // Serve TLS with `cert_pem`; when `client_ca_pem` is set, a client certificate is required.
  TestServer& tls(const std::string& cert, const std::string& client_ca_pem = {}) {
    st_->tls = std::make_shared<ssl::context>(ssl::context::tls_server);
    st_->tls->use_certificate_chain(asio::buffer(cert));
    st_->tls->use_private_key(asio::buffer(pki().leaf_key), ssl::context::pem);
    if (!client_ca_pem.empty()) {
      st_->tls->add_certificate_authority(asio::buffer(client_ca_pem));
      st_->tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    return *this;
  }
  TestServer& silent() {
    st_->silent = true;
    return *this;
  }
  TestServer& start() {
    asio::co_spawn(st_->acceptor.get_executor(), accept_loop(st_), asio::detached);
    return *this;
  }

  std::uint16_t port() const { return st_->acceptor.local_endpoint().port(); }
  std::string url(std::string_view scheme, std::string_view host, std::string_view path) const {
    return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(port()) +
           std::string(path);
  }
  const Seen& seen() const { return st_->seen; }

 private:
  std::shared_ptr<ServerState> st_;
};

// ---------------------------------------------------------------------------------------------
// Driving coroutines from a test.

// Runs `op` on `ioc` (which also runs the test servers) until it finishes; a hang fails the test.
template <typename T>
T run(asio::io_context& ioc, asio::awaitable<T> op, std::chrono::seconds limit = 20s) {
  auto done = asio::co_spawn(ioc, std::move(op), asio::use_future);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (done.wait_for(0s) != std::future_status::ready) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("the operation did not finish in time");
    }
    if (ioc.stopped()) {
      ioc.restart();
    }
    ioc.run_one_for(20ms);
  }
  return done.get();
}

// Runs the servers until `done()` holds (what a server records after the client has returned).
template <typename Pred>
void run_until(asio::io_context& ioc, Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (ioc.stopped()) {
      ioc.restart();
    }
    ioc.run_one_for(20ms);
  }
}

ClientRequest get(std::string url) {
  ClientRequest r;
  r.url = std::move(url);
  return r;
}

// The core::Error a fetch throws (a fetch that succeeds fails the test).
Error fetch_error(asio::io_context& ioc, HttpClient& client, ClientRequest req) {
  try {
    auto res = run(ioc, client.fetch(std::move(req)));
    ADD_FAILURE() << "expected an error, got status " << res.status;
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorCode::internal, "no error");
}

std::string reason(const Error& e) {
  return e.details().is_object() ? e.details().value("reason", std::string()) : std::string();
}

TlsOptions trusting(const std::string& ca_pem) {
  TlsOptions o;
  o.use_system_roots = false;
  o.ca_pem = ca_pem;
  return o;
}

const char* const kOk =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Test: yes\r\nContent-Length: 5\r\n\r\nhello";

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST(HttpClient, GetReturnsStatusHeadersAndBody) {
  asio::io_context ioc;
  TestServer server(ioc, kOk);
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  auto res = run(ioc, client.fetch(get(server.url("http", "127.0.0.1", "/a/b?x=1&y=%20"))));
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.body, "hello");
  EXPECT_EQ(res.headers.get("x-test").value_or(""), "yes");
  EXPECT_EQ(res.headers.get("Content-Type").value_or(""), "text/plain");
  const auto& seen = server.seen();
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/a/b?x=1&y=%20");
  EXPECT_EQ(seen.header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen.header("user-agent"), "neuropod/" NEUROPOD_VERSION);
  EXPECT_EQ(seen.header("connection"), "close");
  EXPECT_EQ(seen.header("content-length"), "<missing>");
  EXPECT_EQ(seen.header("transfer-encoding"), "<missing>");
}

TEST(HttpClient, EmptyPathBecomesSlashAndCallerHeadersAreSent) {
  asio::io_context ioc;
  TestServer server(ioc, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  auto req = get(server.url("http", "127.0.0.1", ""));
  req.headers.add("Authorization", "Bearer abc");
  req.headers.add("User-Agent", "custom/1");
  auto res = run(ioc, client.fetch(std::move(req)));
  EXPECT_EQ(res.status, 404U);  // a status is returned, not thrown
  EXPECT_EQ(server.seen().target, "/");
  EXPECT_EQ(server.seen().header("authorization"), "Bearer abc");
  EXPECT_EQ(server.seen().header("user-agent"), "custom/1");
  run(ioc, client.fetch(get(server.url("http", "127.0.0.1", "?q=1"))));
  EXPECT_EQ(server.seen().target, "/?q=1");
  EXPECT_EQ(server.seen().requests, 2);
}

TEST(HttpClient, PostFormBodyArrivesIntact) {
  asio::io_context ioc;
  TestServer server(ioc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  ClientRequest req;
  req.method = "POST";
  req.url = server.url("http", "127.0.0.1", "/token");
  req.headers.set("Content-Type", "application/x-www-form-urlencoded");
  req.body = HttpClient::form_encode({{"grant_type", "authorization_code"},
                                      {"code", "4/0A b&c=d"},
                                      {"redirect_uri", "https://x.example/cb?a=1"}});
  auto res = run(ioc, client.fetch(req));
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.body, "{}");
  const auto& seen = server.seen();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(seen.header("content-length"), std::to_string(req.body.size()));
  EXPECT_EQ(seen.body,
            "grant_type=authorization_code&code=4%2F0A+b%26c%3Dd"
            "&redirect_uri=https%3A%2F%2Fx.example%2Fcb%3Fa%3D1");
}

TEST(HttpClient, FormEncodeFollowsWhatwg) {
  EXPECT_EQ(HttpClient::form_encode({}), "");
  EXPECT_EQ(HttpClient::form_encode({{"", ""}}), "=");
  EXPECT_EQ(HttpClient::form_encode({{"a b", "*-._~é"}, {"k", "+%"}}),
            "a+b=*-._%7E%C3%A9&k=%2B%25");
}

TEST(HttpClient, DecodesChunkedResponse) {
  asio::io_context ioc;
  TestServer server(ioc,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  auto res = run(ioc, client.fetch(get(server.url("http", "127.0.0.1", "/"))));
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.body, "hello world");
}

TEST(HttpClient, ReadsBodyDelimitedByConnectionClose) {
  asio::io_context ioc;
  TestServer server(ioc, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  auto res = run(ioc, client.fetch(get(server.url("http", "127.0.0.1", "/"))));
  EXPECT_EQ(res.body, "until the end");
}

TEST(HttpClient, HeadIgnoresContentLength) {
  asio::io_context ioc;
  TestServer server(ioc, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  auto req = get(server.url("http", "127.0.0.1", "/"));
  req.method = "HEAD";
  auto res = run(ioc, client.fetch(req));
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.body, "");
  EXPECT_EQ(server.seen().method, "HEAD");
}

TEST(HttpClient, ResponseOverBodyLimitFails) {
  asio::io_context ioc;
  TestServer server(ioc,
                    "HTTP/1.1 200 OK\r\nContent-Length: 2048\r\n\r\n" + std::string(2048, 'x'));
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  auto req = get(server.url("http", "127.0.0.1", "/"));
  req.response_body_limit = 1024;
  const auto e = fetch_error(ioc, client, req);
  EXPECT_EQ(e.code(), ErrorCode::service_unavailable);
  EXPECT_EQ(reason(e), "response body larger than 1024 bytes");
  EXPECT_EQ(e.details().value("url_host", ""), "127.0.0.1");
}

TEST(HttpClient, ChunkedResponseOverBodyLimitFails) {
  asio::io_context ioc;
  std::string chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) {
    chunks += "64\r\n" + std::string(100, 'y') + "\r\n";
  }
  chunks += "0\r\n\r\n";
  TestServer server(ioc, chunks);
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  auto req = get(server.url("http", "127.0.0.1", "/"));
  req.response_body_limit = 1500;
  EXPECT_EQ(reason(fetch_error(ioc, client, req)), "response body larger than 1500 bytes");
  req.response_body_limit = 2000;  // exactly the body: fine
  EXPECT_EQ(run(ioc, client.fetch(req)).body.size(), 2000U);
}

TEST(HttpClient, MalformedResponseFails) {
  asio::io_context ioc;
  TestServer server(ioc, "HTTP/1.1 OK maybe\r\n\r\n");
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  const auto e = fetch_error(ioc, client, get(server.url("http", "127.0.0.1", "/")));
  EXPECT_EQ(e.code(), ErrorCode::service_unavailable);
  EXPECT_NE(reason(e).find("malformed response"), std::string::npos) << reason(e);
}

TEST(HttpClient, ConnectionClosedWithoutResponseFails) {
  asio::io_context ioc;
  TestServer server(ioc, "");
  server.start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  const auto e = fetch_error(ioc, client, get(server.url("http", "127.0.0.1", "/")));
  EXPECT_EQ(e.code(), ErrorCode::service_unavailable);
  EXPECT_EQ(reason(e), "connection closed before a response");
}

TEST(HttpClient, ConnectionRefused) {
  asio::io_context ioc;
  std::uint16_t port = 0;
  {
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there any more
  HttpClient client(ioc.get_executor(), TlsOptions{});
  const auto e = fetch_error(ioc, client, get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(e.code(), ErrorCode::service_unavailable);
  EXPECT_EQ(std::string(e.what()), "Connection failed to 127.0.0.1");
  EXPECT_NE(lower(reason(e)).find("refused"), std::string::npos) << reason(e);
}

TEST(HttpClient, TimeoutAgainstSilentServer) {
  asio::io_context ioc;
  TestServer server(ioc, "");
  server.silent().start();
  HttpClient client(ioc.get_executor(), TlsOptions{});
  auto req = get(server.url("http", "127.0.0.1", "/"));
  req.timeout = 200ms;
  const auto started = std::chrono::steady_clock::now();
  const auto e = fetch_error(ioc, client, req);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(e.code(), ErrorCode::service_unavailable);
  EXPECT_EQ(reason(e), "timeout");
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(HttpClient, TimeoutDuringTlsHandshake) {
  asio::io_context ioc;
  TestServer server(ioc, "");
  server.silent().start();  // plain TCP that never speaks: the handshake waits
  HttpClient client(ioc.get_executor(), trusting(pki().ca));
  auto req = get(server.url("https", "127.0.0.1", "/"));
  req.timeout = 200ms;
  const auto started = std::chrono::steady_clock::now();
  const auto e = fetch_error(ioc, client, req);
  EXPECT_EQ(reason(e), "timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST(HttpClient, BadUrlIsBadRequest) {
  asio::io_context ioc;
  HttpClient client(ioc.get_executor(), TlsOptions{});
  for (const char* url :
       {"", "not a url", "ftp://example.com/", "http://", "http:///path",
        "http://user:pw@example.com/", "http://example.com:0/", "http://example.com:70000/",
        "http://example.com:8x/", "http://example.com:8x", "http://[::1/", "https://exa mple.com/",
        "//example.com/"}) {
    const auto e = fetch_error(ioc, client, get(url));
    EXPECT_EQ(e.code(), ErrorCode::bad_request) << url;
  }
}

TEST(HttpClient, BadMethodOrHeaderIsBadRequest) {
  asio::io_context ioc;
  HttpClient client(ioc.get_executor(), TlsOptions{});
  auto req = get("http://127.0.0.1:1/");
  req.method = "GET /evil";
  EXPECT_EQ(fetch_error(ioc, client, req).code(), ErrorCode::bad_request);
  req = get("http://127.0.0.1:1/");
  req.headers.add("X-Injected", "a\r\nHost: evil");
  EXPECT_EQ(fetch_error(ioc, client, req).code(), ErrorCode::bad_request);
}

TEST(HttpClient, HttpsWithTrustedCaSucceeds) {
  asio::io_context ioc;
  TestServer server(ioc, kOk);
  server.tls(pki().server_cert).start();
  HttpClient client(ioc.get_executor(), trusting(pki().ca));
  auto res = run(ioc, client.fetch(get(server.url("https", "127.0.0.1", "/jwks"))));
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.body, "hello");
  EXPECT_EQ(server.seen().target, "/jwks");
  EXPECT_EQ(server.seen().sni, "");  // no SNI for an IP address
  EXPECT_EQ(server.seen().client_cn, "");
}

TEST(HttpClient, HttpsToHostNameSendsSni) {
  asio::io_context ioc;
  TestServer server(ioc, kOk);
  server.tls(pki().server_cert).start();
  HttpClient client(ioc.get_executor(), trusting(pki().ca));
  auto res = run(ioc, client.fetch(get(server.url("https", "localhost", "/"))));
  EXPECT_EQ(res.body, "hello");
  EXPECT_EQ(server.seen().sni, "localhost");
  EXPECT_EQ(server.seen().header("host"), "localhost:" + std::to_string(server.port()));
}

TEST(HttpClient, HttpsTrustsCaFile) {
  asio::io_context ioc;
  TestServer server(ioc, kOk);
  server.tls(pki().server_cert).start();
  const auto path = testing::TempDir() + "neuropod_http_client_test_ca.pem";
  {
    std::ofstream(path) << pki().other_ca << pki().ca;  // a bundle of two
  }
  TlsOptions o;
  o.use_system_roots = false;
  o.ca_file = path;
  HttpClient client(ioc.get_executor(), o);
  std::remove(path.c_str());
  EXPECT_EQ(run(ioc, client.fetch(get(server.url("https", "127.0.0.1", "/")))).body, "hello");
}

TEST(HttpClient, HttpsReadsBodyDelimitedByConnectionClose) {
  asio::io_context ioc;
  TestServer server(ioc, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  server.tls(pki().server_cert).start();  // closes without close_notify
  HttpClient client(ioc.get_executor(), trusting(pki().ca));
  auto res = run(ioc, client.fetch(get(server.url("https", "127.0.0.1", "/"))));
  EXPECT_EQ(res.body, "until the end");
}

TEST(HttpClient, HttpsTruncatedContentLengthBodyFails) {
  asio::io_context ioc;
  TestServer server(ioc, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort");
  server.tls(pki().server_cert).start();
  HttpClient client(ioc.get_executor(), trusting(pki().ca));
  const auto e = fetch_error(ioc, client, get(server.url("https", "127.0.0.1", "/")));
  EXPECT_EQ(e.code(), ErrorCode::service_unavailable);
  EXPECT_EQ(reason(e), "connection closed in the middle of the response");
}

TEST(HttpClient, HttpsWithoutTheCaFailsVerification) {
  asio::io_context ioc;
  TestServer server(ioc, kOk);
  server.tls(pki().server_cert).start();
  HttpClient client(ioc.get_executor(), trusting(pki().other_ca));
  const auto e = fetch_error(ioc, client, get(server.url("https", "127.0.0.1", "/")));
  EXPECT_EQ(e.code(), ErrorCode::service_unavailable);
  EXPECT_EQ(std::string(e.what()), "TLS handshake failed with 127.0.0.1");
  EXPECT_NE(reason(e).find("certificate verify failed"), std::string::npos) << reason(e);
  EXPECT_EQ(server.seen().requests, 0);
}

TEST(HttpClient, HttpsCertificateForAnotherNameFails) {
  asio::io_context ioc;
  TestServer server(ioc, kOk);
  server.tls(pki().other_cert).start();  // SAN DNS:other.example only, from the trusted CA
  HttpClient client(ioc.get_executor(), trusting(pki().ca));
  for (const char* host : {"127.0.0.1", "localhost"}) {
    const auto e = fetch_error(ioc, client, get(server.url("https", host, "/")));
    EXPECT_EQ(e.code(), ErrorCode::service_unavailable) << host;
    EXPECT_NE(reason(e).find("certificate verify failed"), std::string::npos) << reason(e);
    EXPECT_NE(reason(e).find("mismatch"), std::string::npos) << reason(e);
  }
  EXPECT_EQ(server.seen().requests, 0);
}

TEST(HttpClient, InsecureSkipVerifyAcceptsAnyCertificate) {
  asio::io_context ioc;
  TestServer server(ioc, kOk);
  server.tls(pki().other_cert).start();
  TlsOptions o;
  o.use_system_roots = false;
  o.verify_peer = false;
  HttpClient client(ioc.get_executor(), o);
  EXPECT_EQ(run(ioc, client.fetch(get(server.url("https", "127.0.0.1", "/")))).body, "hello");
}

TEST(HttpClient, SendsClientCertificateWhenConfigured) {
  asio::io_context ioc;
  TestServer server(ioc, kOk);
  server.tls(pki().server_cert, pki().ca).start();  // requires a client certificate
  auto o = trusting(pki().ca);
  o.client_cert_pem = pki().client_cert;
  o.client_key_pem = pki().leaf_key;
  HttpClient client(ioc.get_executor(), o);
  auto res = run(ioc, client.fetch(get(server.url("https", "127.0.0.1", "/api"))));
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(server.seen().client_cn, "neuropod-test-client");
  EXPECT_EQ(server.seen().handshake_error, "");
}

TEST(HttpClient, ServerRequiringClientCertificateRejectsClientWithout) {
  asio::io_context ioc;
  TestServer server(ioc, kOk);
  server.tls(pki().server_cert, pki().ca).start();
  HttpClient client(ioc.get_executor(), trusting(pki().ca));
  const auto e = fetch_error(ioc, client, get(server.url("https", "127.0.0.1", "/api")));
  EXPECT_EQ(e.code(), ErrorCode::service_unavailable);
  run_until(ioc, [&] { return !server.seen().handshake_error.empty(); });
  EXPECT_NE(server.seen().handshake_error, "");
  EXPECT_EQ(server.seen().requests, 0);
}

TEST(HttpClient, InvalidTlsMaterialThrowsInvalidArgument) {
  asio::io_context ioc;
  const auto rejects = [&](TlsOptions o, std::string_view mentions) {
    try {
      HttpClient client(ioc.get_executor(), std::move(o));
      ADD_FAILURE() << "accepted, expected a message mentioning " << mentions;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
    }
  };
  TlsOptions o;
  o.ca_pem = "not a certificate";
  rejects(o, "CA PEM");
  o = {};
  o.ca_file = "/nonexistent/neuropod-ca.pem";
  rejects(o, "/nonexistent/neuropod-ca.pem");
  o = {};
  o.client_cert_pem = pki().client_cert;
  rejects(o, "together");
  o.client_key_pem = "garbage";
  rejects(o, "client key");
  o.client_cert_pem = "garbage";
  o.client_key_pem = pki().leaf_key;
  rejects(o, "client certificate");
  o.client_cert_pem = pki().client_cert;
  o.client_key_pem = key_pem(rsa_key().get());  // another key
  rejects(o, "does not match");
}
