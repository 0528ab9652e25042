#pragma once
// Encodings, hashes and randomness on top of OpenSSL 3 (non-deprecated EVP APIs only).
// Every function here is thread-safe.
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace neuropod::crypto {

// OpenSSL itself failed (out of memory, missing provider...). The message names the operation and
// carries the thread's OpenSSL error queue, which is emptied. Never thrown for bad input.
class OpenSslError : public std::runtime_error {
 public:
  explicit OpenSslError(std::string_view operation);
};

// RFC 4648 section 5, without '=' padding.
std::string base64url_encode(std::string_view bytes);
// Accepts text with or without '=' padding (padding, when present, must be complete). nullopt on
// characters outside the alphabet, an impossible length, or non-zero trailing bits (only the
// canonical encoding of a byte string is accepted, so a token has exactly one spelling).
std::optional<std::string> base64url_decode(std::string_view text);
// RFC 4648 section 4 (standard alphabet), for secrets in configuration: ASCII whitespace (line
// breaks of PEM-like text) is ignored, padding is optional. Throws std::invalid_argument, whose
// message never repeats the input.
std::string base64_decode_or_throw(std::string_view text);

// Raw 32-byte digests.
std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

// Constant time in the content (CRYPTO_memcmp); strings of different lengths are unequal at once.
bool constant_time_equal(std::string_view a, std::string_view b);

// n bytes from the OpenSSL CSPRNG (RAND_bytes).
std::string random_bytes(std::size_t n);

// PKCE (RFC 7636): verifier = base64url(32 random bytes), 43 characters;
// challenge = base64url(sha256(verifier)) for the "S256" method.
std::string pkce_verifier();
std::string pkce_challenge_s256(std::string_view verifier);

}  // namespace neuropod::crypto
