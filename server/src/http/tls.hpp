#pragma once
// TLS pieces shared by every outbound connection (http::HttpClient, the Kubernetes client):
// the client context from TlsOptions, the peer's expected name (SNI + certificate check), and a
// readable reason for a failed handshake. Asio SSL only, no Beast.
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include "http/client.hpp"

namespace neuropod::http {

// TLS 1.2+, the CAs and client certificate of `options`. Throws std::invalid_argument with a
// clear message (unreadable CA file, bad PEM, certificate without key, mismatched key).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsOptions& options);

// Before the handshake: SNI for host names (never for addresses), and the certificate must name
// `host` (DNS or IP SAN, no partial wildcards). Returns an error message, or empty on success.
std::string expect_peer(SSL* ssl, const std::string& host, bool host_is_ip);

// Why a handshake failed: the certificate verification result when there is one
// ("certificate verify failed: hostname mismatch"), else the error's message.
std::string tls_failure_reason(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream,
                               boost::system::error_code ec);

}  // namespace neuropod::http
