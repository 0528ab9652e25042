#pragma once
// JSON Web Tokens (RFC 7519, compact JWS): HS256 for the server's own session tokens, RS256 for
// an identity provider's ID tokens. Only these two algorithms exist here; the algorithm is fixed
// by the verifier, never chosen by the token.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace neuropod::crypto {

enum class JwtFailure : std::uint8_t {
  malformed,
  unsupported_alg,
  unknown_kid,
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  missing_claim,
};

// "malformed", "unsupported_alg", "unknown_kid", ...
std::string_view to_string(JwtFailure f);

// Messages never repeat the token or its claims.
class JwtError : public std::runtime_error {
 public:
  JwtError(JwtFailure f, const std::string& message);
  JwtFailure failure() const { return failure_; }

 private:
  JwtFailure failure_;
};

// Longest token accepted anywhere, in characters.
inline constexpr std::size_t kMaxJwtSize = 16384;  // 16 KiB

struct Jwt {
  nlohmann::json header;      // object
  nlohmann::json payload;     // object
  std::string signing_input;  // "<b64 header>.<b64 payload>"
  std::string signature;      // raw bytes (empty for an unsigned token)
};

// Splits into exactly 3 parts, base64url-decodes them (no '=' padding, as RFC 7515 requires),
// parses header and payload as JSON objects. Throws JwtError(malformed), also for tokens longer
// than kMaxJwtSize. Nothing is verified.
Jwt decode_unverified(std::string_view token);

// HS256 keyring for the server's own session tokens. keys: (kid, secret) pairs, the first one
// signs, the others only verify (rotation). Throws std::invalid_argument when there is no key, a
// kid is empty or repeated, or a secret is shorter than 32 bytes.
class HmacKeyring {
 public:
  static constexpr std::size_t kMinSecretSize = 32;

  explicit HmacKeyring(std::vector<std::pair<std::string, std::string>> keys);
  // The same kids with secrets HMAC-SHA256(secret, purpose): one keyring per kind of token, so a
  // token of one kind never verifies as another.
  static HmacKeyring derived(const std::vector<std::pair<std::string, std::string>>& keys,
                             std::string_view purpose);

  // header {"alg":"HS256","typ":"JWT","kid":<first kid>}; payload must be a JSON object
  // (std::invalid_argument otherwise).
  std::string sign(const nlohmann::json& payload) const;
  // Header alg must be exactly "HS256" (anything else, "none" included: unsupported_alg), kid
  // present and known (unknown_kid), signature right (bad_signature, compared in constant time).
  // Returns the payload; checks no claim (see check_claims).
  nlohmann::json verify(std::string_view token) const;

 private:
  std::vector<std::pair<std::string, std::string>> keys_;
};

// RSA public keys of an identity provider, from a JWKS document
// ({"keys":[{"kty":"RSA","kid","n","e","alg"?,"use"?}, ...]}). Copies share the keys; all
// methods are const and safe to call from several threads at once.
class RsaKeySet {
 public:
  RsaKeySet();  // empty

  // Keys that are not kty "RSA", whose use is present and not "sig", whose alg is present and not
  // "RS256", without a non-empty kid, whose kid an earlier usable key already took, with a
  // modulus outside 2048..16384 bits or a bad exponent, or otherwise malformed are skipped. Throws
  // JwtError(malformed) when the document itself is not {"keys":[...]}.
  static RsaKeySet from_jwks(const nlohmann::json& jwks);

  bool has(std::string_view kid) const;
  std::size_t size() const;

  // Requires header alg == "RS256" (else unsupported_alg: this refuses "none" and HS256 signed
  // with the public key as secret), a kid in the set (unknown_kid), a valid RSASSA-PKCS1-v1_5
  // SHA-256 signature (bad_signature). Returns jwt.payload (a reference into jwt).
  const nlohmann::json& verify(const Jwt& jwt) const;

 private:
  struct Impl;
  explicit RsaKeySet(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

struct ClaimRules {
  std::vector<std::string> issuers;  // "iss" must equal one of them; must not be empty
  std::string audience;              // "aud" equal to it, or an array holding it; must not be empty
  std::chrono::seconds leeway{60};   // must not be negative
  std::chrono::system_clock::time_point now;
};

// Checks, in this order:
// - "iss": missing -> missing_claim; not a string -> malformed; not in issuers -> wrong_issuer.
// - "aud": missing -> missing_claim; neither string nor array -> malformed; not equal to
//   audience (string) or not holding it (array) -> wrong_audience.
// - "exp": required (missing_claim), numeric (malformed); expired when now > exp + leeway.
// - "nbf", "iat": optional, numeric (malformed); not_yet_valid when now + leeway < value.
// A payload that is not an object is malformed. Throws std::invalid_argument for empty issuers,
// an empty audience or a negative leeway (a programming error, never a token's fault).
void check_claims(const nlohmann::json& payload, const ClaimRules& rules);

// RSA private key: used by tests (and by nothing in production) to mint RS256 tokens. Copies
// share the key.
class RsaPrivateKey {
 public:
  static RsaPrivateKey generate(unsigned bits = 2048);

  // {"kty":"RSA","kid":kid,"use":"sig","alg":"RS256","n":...,"e":...}
  nlohmann::json public_jwk(const std::string& kid) const;
  // Full compact token "<b64 header>.<b64 payload>.<b64 RS256 signature>". The header is used as
  // given (tests put odd "alg" values in it); the signature is always RS256.
  std::string sign_rs256(const nlohmann::json& header, const nlohmann::json& payload) const;

 private:
  struct Impl;
  explicit RsaPrivateKey(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace neuropod::crypto
