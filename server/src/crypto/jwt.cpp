#include "crypto/jwt.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "crypto/crypto.hpp"

namespace neuropod::crypto {

namespace {

using nlohmann::json;

// One owner per OpenSSL object.
template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<&EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<&EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<&EVP_MD_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<&BN_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<&OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<&OSSL_PARAM_free>>;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;
constexpr int kMaxRsaExponentBits = 64;  // OpenSSL's own limit for large moduli

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

[[noreturn]] void fail(JwtFailure f, const std::string& message) {
  throw JwtError(f, message);
}

json parse_object(std::string_view part, const char* what) {
  const auto bytes = base64url_decode(part);
  if (!bytes) {
    fail(JwtFailure::malformed, std::string("JWT ") + what + " is not valid base64url");
  }
  json parsed = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    fail(JwtFailure::malformed, std::string("JWT ") + what + " is not a JSON object");
  }
  return parsed;
}

// nullptr when the member is missing or not a string.
const std::string* string_member(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return nullptr;
  }
  return &it->get_ref<const std::string&>();
}

// The verifier fixes the algorithm; the token only has to agree with it.
void require_alg(const json& header, std::string_view alg) {
  const std::string* actual = string_member(header, "alg");
  if (actual == nullptr || *actual != alg) {
    fail(JwtFailure::unsupported_alg, "JWT alg must be " + std::string(alg));
  }
  // RFC 7515 section 4.1.11: extensions listed in "crit" must be understood; we know none.
  if (header.contains("crit")) {
    fail(JwtFailure::malformed, "JWT header lists critical extensions; none is supported");
  }
}

const std::string& require_kid(const json& header) {
  const std::string* kid = string_member(header, "kid");
  if (kid == nullptr || kid->empty()) {
    fail(JwtFailure::unknown_kid, "JWT header has no kid");
  }
  return *kid;
}

std::string signing_input_of(const json& header, const json& payload) {
  std::string input = base64url_encode(header.dump());
  input += '.';
  input += base64url_encode(payload.dump());
  return input;
}

std::optional<BignumPtr> bignum_from_base64url(const json& jwk, const char* key) {
  const std::string* text = string_member(jwk, key);
  if (text == nullptr) {
    return std::nullopt;
  }
  const auto bytes = base64url_decode(*text);
  if (!bytes || bytes->empty() || bytes->size() > static_cast<std::size_t>(kMaxRsaBits / 8)) {
    return std::nullopt;
  }
  BignumPtr bn(BN_bin2bn(bytes_of(*bytes), static_cast<int>(bytes->size()), nullptr));
  if (!bn) {
    throw OpenSslError("BN_bin2bn");
  }
  return bn;
}

PkeyPtr rsa_public_key(const BIGNUM* n, const BIGNUM* e) {
  const ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e) != 1) {
    throw OpenSslError("building RSA key parameters");
  }
  const ParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    throw OpenSslError("preparing an RSA public key");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    EVP_PKEY_free(raw);
    throw OpenSslError("EVP_PKEY_fromdata (RSA public key)");
  }
  return PkeyPtr(raw);
}

// nullopt for a JWK that is not an RS256 signing key or is malformed.
std::optional<std::pair<std::string, PkeyPtr>> rs256_key_from_jwk(const json& jwk) {
  if (!jwk.is_object()) {
    return std::nullopt;
  }
  const std::string* kty = string_member(jwk, "kty");
  if (kty == nullptr || *kty != "RSA") {
    return std::nullopt;
  }
  if (jwk.contains("use")) {
    const std::string* use = string_member(jwk, "use");
    if (use == nullptr || *use != "sig") {
      return std::nullopt;
    }
  }
  if (jwk.contains("alg")) {
    const std::string* alg = string_member(jwk, "alg");
    if (alg == nullptr || *alg != "RS256") {
      return std::nullopt;
    }
  }
  const std::string* kid = string_member(jwk, "kid");
  if (kid == nullptr || kid->empty()) {
    return std::nullopt;
  }
  auto n = bignum_from_base64url(jwk, "n");
  auto e = bignum_from_base64url(jwk, "e");
  if (!n || !e) {
    return std::nullopt;
  }
  const int n_bits = BN_num_bits(n->get());
  const int e_bits = BN_num_bits(e->get());
  if (n_bits < kMinRsaBits || n_bits > kMaxRsaBits || BN_is_odd(n->get()) != 1 ||
      BN_is_odd(e->get()) != 1 || BN_is_one(e->get()) == 1 || e_bits > kMaxRsaExponentBits) {
    return std::nullopt;
  }
  return std::make_pair(*kid, rsa_public_key(n->get(), e->get()));
}

// Compares `now` with the NumericDate `value` shifted by `shift` seconds: -1 before, 0 at, 1 after.
int compare_now(std::chrono::system_clock::time_point now, const json& value, std::int64_t shift,
                const char* claim) {
  using std::chrono::duration;
  using std::chrono::seconds;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() > static_cast<std::uint64_t>(kMax)) {
      return -1;  // beyond any representable time
    }
    const auto v = value.get<std::int64_t>();
    if (shift > 0 && v > kMax - shift) {
      return -1;
    }
    if (shift < 0 && v < kMin - shift) {
      return 1;
    }
    const std::int64_t bound = v + shift;
    const auto since_epoch = now.time_since_epoch();
    const auto whole = std::chrono::floor<seconds>(since_epoch);
    const std::int64_t now_s = whole.count();
    if (now_s != bound) {
      return now_s < bound ? -1 : 1;
    }
    return since_epoch == whole ? 0 : 1;
  }
  if (value.is_number_float() && std::isfinite(value.get<double>())) {
    // Fractional NumericDates are rare; sub-microsecond rounding does not matter.
    const double bound = value.get<double>() + static_cast<double>(shift);
    const double now_s = duration<double>(now.time_since_epoch()).count();
    if (now_s < bound) {
      return -1;
    }
    return now_s > bound ? 1 : 0;
  }
  fail(JwtFailure::malformed, std::string("JWT claim \"") + claim + "\" is not a number");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string_view to_string(JwtFailure f) {
  switch (f) {
    case JwtFailure::malformed: return "malformed";
    case JwtFailure::unsupported_alg: return "unsupported_alg";
    case JwtFailure::unknown_kid: return "unknown_kid";
    case JwtFailure::bad_signature: return "bad_signature";
    case JwtFailure::expired: return "expired";
    case JwtFailure::not_yet_valid: return "not_yet_valid";
    case JwtFailure::wrong_issuer: return "wrong_issuer";
    case JwtFailure::wrong_audience: return "wrong_audience";
    case JwtFailure::missing_claim: return "missing_claim";
  }
  return "unknown";
}

JwtError::JwtError(JwtFailure f, const std::string& message)
    : std::runtime_error(message), failure_(f) {}

Jwt decode_unverified(std::string_view token) {
  if (token.size() > kMaxJwtSize) {
    fail(JwtFailure::malformed, "JWT is longer than 16 KiB");
  }
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    fail(JwtFailure::malformed, "JWT must have exactly 3 parts");
  }
  if (token.find('=') != std::string_view::npos) {
    fail(JwtFailure::malformed, "JWT parts must not be padded");
  }
  Jwt jwt;
  jwt.header = parse_object(token.substr(0, first), "header");
  jwt.payload = parse_object(token.substr(first + 1, second - first - 1), "payload");
  auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) {
    fail(JwtFailure::malformed, "JWT signature is not valid base64url");
  }
  jwt.signing_input = std::string(token.substr(0, second));
  jwt.signature = std::move(*signature);
  return jwt;
}

// ---------------------------------------------------------------------------------------------

HmacKeyring HmacKeyring::derived(const std::vector<std::pair<std::string, std::string>>& keys,
                                 std::string_view purpose) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(keys.size());
  for (const auto& [kid, secret] : keys) {
    out.emplace_back(kid, hmac_sha256(secret, purpose));
  }
  return HmacKeyring(std::move(out));
}

HmacKeyring::HmacKeyring(std::vector<std::pair<std::string, std::string>> keys)
    : keys_(std::move(keys)) {
  if (keys_.empty()) {
    throw std::invalid_argument("HMAC keyring needs at least one key");
  }
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const auto& [kid, secret] = keys_[i];
    if (kid.empty()) {
      throw std::invalid_argument("HMAC keyring: empty key id");
    }
    if (secret.size() < kMinSecretSize) {
      throw std::invalid_argument("HMAC keyring: secret of key \"" + kid +
                                  "\" is shorter than 32 bytes");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (keys_[j].first == kid) {
        throw std::invalid_argument("HMAC keyring: key id \"" + kid + "\" appears twice");
      }
    }
  }
}

std::string HmacKeyring::sign(const json& payload) const {
  if (!payload.is_object()) {
    throw std::invalid_argument("JWT payload must be a JSON object");
  }
  const auto& [kid, secret] = keys_.front();
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", kid}};
  std::string token = signing_input_of(header, payload);
  const std::string signature = hmac_sha256(secret, token);
  token += '.';
  token += base64url_encode(signature);
  if (token.size() > kMaxJwtSize) {
    throw std::invalid_argument("JWT payload too large: the token would exceed 16 KiB");
  }
  return token;
}

json HmacKeyring::verify(std::string_view token) const {
  Jwt jwt = decode_unverified(token);
  require_alg(jwt.header, "HS256");
  const std::string& kid = require_kid(jwt.header);
  const auto key = std::find_if(keys_.begin(), keys_.end(),
                                [&](const auto& entry) { return entry.first == kid; });
  if (key == keys_.end()) {
    fail(JwtFailure::unknown_kid, "JWT kid is not in the keyring");
  }
  if (!constant_time_equal(hmac_sha256(key->second, jwt.signing_input), jwt.signature)) {
    fail(JwtFailure::bad_signature, "JWT signature does not verify");
  }
  return std::move(jwt.payload);
}

// ---------------------------------------------------------------------------------------------

struct RsaKeySet::Impl {
  std::map<std::string, PkeyPtr, std::less<>> keys;
};

RsaKeySet::RsaKeySet() : impl_(std::make_shared<const Impl>()) {}

RsaKeySet::RsaKeySet(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

RsaKeySet RsaKeySet::from_jwks(const json& jwks) {
  if (!jwks.is_object()) {
    fail(JwtFailure::malformed, "JWKS is not a JSON object");
  }
  const auto keys = jwks.find("keys");
  if (keys == jwks.end() || !keys->is_array()) {
    fail(JwtFailure::malformed, "JWKS has no \"keys\" array");
  }
  auto impl = std::make_shared<Impl>();
  for (const json& jwk : *keys) {
    auto key = rs256_key_from_jwk(jwk);
    if (key && !impl->keys.contains(key->first)) {
      impl->keys.emplace(std::move(key->first), std::move(key->second));
    }
  }
  return RsaKeySet(std::move(impl));
}

bool RsaKeySet::has(std::string_view kid) const {
  return impl_->keys.contains(kid);
}

std::size_t RsaKeySet::size() const {
  return impl_->keys.size();
}

const json& RsaKeySet::verify(const Jwt& jwt) const {
  require_alg(jwt.header, "RS256");
  const std::string& kid = require_kid(jwt.header);
  const auto key = impl_->keys.find(kid);
  if (key == impl_->keys.end()) {
    fail(JwtFailure::unknown_kid, "JWT kid is not in the identity provider's key set");
  }
  EVP_PKEY* pkey = key->second.get();
  if (jwt.signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey))) {
    fail(JwtFailure::bad_signature, "JWT signature has the wrong length");
  }
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), &pkey_ctx, "SHA256", nullptr, nullptr, pkey, nullptr) !=
          1 ||
      EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) <= 0) {
    throw OpenSslError("RS256 verification setup");
  }
  if (EVP_DigestVerify(ctx.get(), bytes_of(jwt.signature), jwt.signature.size(),
                       bytes_of(jwt.signing_input), jwt.signing_input.size()) != 1) {
    ERR_clear_error();  // a bad signature is not an OpenSSL failure; leave the queue clean
    fail(JwtFailure::bad_signature, "JWT signature does not verify");
  }
  return jwt.payload;
}

// ---------------------------------------------------------------------------------------------

void check_claims(const json& payload, const ClaimRules& rules) {
  if (rules.issuers.empty() || rules.audience.empty() || rules.leeway.count() < 0) {
    throw std::invalid_argument(
        "check_claims needs issuers, an audience and a leeway that is not negative");
  }
  if (!payload.is_object()) {
    fail(JwtFailure::malformed, "JWT payload is not a JSON object");
  }

  const auto iss = payload.find("iss");
  if (iss == payload.end()) {
    fail(JwtFailure::missing_claim, "JWT has no \"iss\" claim");
  }
  if (!iss->is_string()) {
    fail(JwtFailure::malformed, "JWT claim \"iss\" is not a string");
  }
  if (std::find(rules.issuers.begin(), rules.issuers.end(), iss->get_ref<const std::string&>()) ==
      rules.issuers.end()) {
    fail(JwtFailure::wrong_issuer, "JWT issuer is not accepted");
  }

  const auto aud = payload.find("aud");
  if (aud == payload.end()) {
    fail(JwtFailure::missing_claim, "JWT has no \"aud\" claim");
  }
  bool audience_ok = false;
  if (aud->is_string()) {
    audience_ok = aud->get_ref<const std::string&>() == rules.audience;
  } else if (aud->is_array()) {
    audience_ok = std::any_of(aud->begin(), aud->end(), [&](const json& a) {
      return a.is_string() && a.get_ref<const std::string&>() == rules.audience;
    });
  } else {
    fail(JwtFailure::malformed, "JWT claim \"aud\" is neither a string nor an array");
  }
  if (!audience_ok) {
    fail(JwtFailure::wrong_audience, "JWT is meant for another audience");
  }

  const std::int64_t leeway = rules.leeway.count();
  const auto exp = payload.find("exp");
  if (exp == payload.end()) {
    fail(JwtFailure::missing_claim, "JWT has no \"exp\" claim");
  }
  if (compare_now(rules.now, *exp, leeway, "exp") > 0) {
    fail(JwtFailure::expired, "JWT has expired");
  }
  for (const char* claim : {"nbf", "iat"}) {
    const auto it = payload.find(claim);
    if (it != payload.end() && compare_now(rules.now, *it, -leeway, claim) < 0) {
      fail(JwtFailure::not_yet_valid, std::string("JWT claim \"") + claim + "\" is in the future");
    }
  }
}

// ---------------------------------------------------------------------------------------------

struct RsaPrivateKey::Impl {
  PkeyPtr key;
};

RsaPrivateKey::RsaPrivateKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

RsaPrivateKey RsaPrivateKey::generate(unsigned bits) {
  PkeyPtr key(EVP_RSA_gen(bits));
  if (!key) {
    throw OpenSslError("RSA key generation");
  }
  auto impl = std::make_shared<Impl>();
  impl->key = std::move(key);
  return RsaPrivateKey(std::move(impl));
}

json RsaPrivateKey::public_jwk(const std::string& kid) const {
  const auto component = [&](const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(impl_->key.get(), name, &raw) != 1) {
      BN_free(raw);
      throw OpenSslError("reading an RSA key parameter");
    }
    const BignumPtr bn(raw);
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
    BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
    return base64url_encode(bytes);
  };
  return {{"kty", "RSA"},
          {"kid", kid},
          {"use", "sig"},
          {"alg", "RS256"},
          {"n", component(OSSL_PKEY_PARAM_RSA_N)},
          {"e", component(OSSL_PKEY_PARAM_RSA_E)}};
}

std::string RsaPrivateKey::sign_rs256(const json& header, const json& payload) const {
  std::string token = signing_input_of(header, payload);
  EVP_PKEY* pkey = impl_->key.get();
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), &pkey_ctx, "SHA256", nullptr, nullptr, pkey, nullptr) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) <= 0) {
    throw OpenSslError("RS256 signing setup");
  }
  std::string signature(static_cast<std::size_t>(EVP_PKEY_get_size(pkey)), '\0');
  std::size_t length = signature.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     bytes_of(token), token.size()) != 1) {
    throw OpenSslError("RS256 signing");
  }
  signature.resize(length);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

}  // namespace neuropod::crypto
