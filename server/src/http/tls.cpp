#include "http/tls.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace neuropod::http {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::invalid_argument("TLS CA file '" + path + "' cannot be read");
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const TlsOptions& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  boost::system::error_code ec;
  if (o.use_system_roots) {
    ctx->set_default_verify_paths(ec);
    if (ec) {
      throw std::invalid_argument("TLS: the system CA store cannot be loaded: " + ec.message());
    }
  }
  if (!o.ca_file.empty()) {
    const auto pem = read_file(o.ca_file);
    ctx->add_certificate_authority(asio::buffer(pem), ec);
    if (ec) {
      throw std::invalid_argument("TLS CA file '" + o.ca_file +
                                  "' holds no valid PEM certificate: " + ec.message());
    }
  }
  if (!o.ca_pem.empty()) {
    ctx->add_certificate_authority(asio::buffer(o.ca_pem), ec);
    if (ec) {
      throw std::invalid_argument("TLS CA PEM holds no valid certificate: " + ec.message());
    }
  }
  if (o.client_cert_pem.empty() != o.client_key_pem.empty()) {
    throw std::invalid_argument("TLS client certificate and key must be given together");
  }
  if (!o.client_cert_pem.empty()) {
    // The key first: loading a certificate that does not match it drops the key, which the
    // check below reports; the other way round OpenSSL's message would blame the key's format.
    ctx->use_private_key(asio::buffer(o.client_key_pem), ssl::context::pem, ec);
    if (ec) {
      throw std::invalid_argument("TLS client key is not a valid PEM private key: " + ec.message());
    }
    ctx->use_certificate_chain(asio::buffer(o.client_cert_pem), ec);
    if (ec) {
      throw std::invalid_argument("TLS client certificate is not a valid PEM chain: " +
                                  ec.message());
    }
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      throw std::invalid_argument("TLS client key does not match the client certificate");
    }
  }
  ctx->set_verify_mode(o.verify_peer ? ssl::verify_peer : ssl::verify_none);
  return ctx;
}

std::string expect_peer(SSL* ssl, const std::string& host, bool host_is_ip) {
  // SSL_set_tlsext_host_name(), without the macro's C-style cast.
  if (!host_is_ip && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                              static_cast<void*>(const_cast<char*>(host.c_str()))) != 1) {
    return "cannot set SNI";
  }
  // OpenSSL's own check (the one asio's host_name_verification wraps), which reports
  // "hostname mismatch" / "IP address mismatch" as the verify result.
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int named = host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                               : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  return named == 1 ? std::string() : std::string("cannot set the expected host name");
}

std::string tls_failure_reason(ssl::stream<tcp::socket>& stream, boost::system::error_code ec) {
  SSL* native = stream.native_handle();
  const long verify = SSL_get_verify_result(native);
  if ((SSL_get_verify_mode(native) & SSL_VERIFY_PEER) != 0 && verify != X509_V_OK) {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  }
  return ec.message();
}

}  // namespace neuropod::http
