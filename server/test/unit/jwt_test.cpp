#include "crypto/jwt.hpp"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/crypto.hpp"

using neuropod::crypto::base64url_decode;
using neuropod::crypto::base64url_encode;
using neuropod::crypto::check_claims;
using neuropod::crypto::ClaimRules;
using neuropod::crypto::decode_unverified;
using neuropod::crypto::hmac_sha256;
using neuropod::crypto::HmacKeyring;
using neuropod::crypto::Jwt;
using neuropod::crypto::JwtError;
using neuropod::crypto::JwtFailure;
using neuropod::crypto::kMaxJwtSize;
using neuropod::crypto::RsaKeySet;
using neuropod::crypto::RsaPrivateKey;
using nlohmann::json;
using std::chrono::seconds;

namespace {

std::string b64(const json& j) {
  return base64url_encode(j.dump());
}

// The parts joined with '.'.
std::string dotted(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (const std::string_view part : parts) {
    if (!first) {
      out += '.';
    }
    out += part;
    first = false;
  }
  return out;
}

std::string hs256_token(const json& header, const json& payload, std::string_view secret) {
  const std::string input = b64(header) + "." + b64(payload);
  return input + "." + base64url_encode(hmac_sha256(secret, input));
}

// The failure kind a call throws, "no error", or "other: <what>" for any other exception.
template <typename F>
std::string failure_of(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const JwtError& e) {
    return std::string(to_string(e.failure()));
  } catch (const std::exception& e) {
    return std::string("other: ") + e.what();
  }
  return "no error";
}

// Replaces the payload part of a compact token.
std::string with_payload(const std::string& token, const json& payload) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  return token.substr(0, first + 1) + b64(payload) + token.substr(second);
}

// Replaces the signature part of a compact token.
std::string with_signature(const std::string& token, std::string_view signature) {
  return token.substr(0, token.rfind('.') + 1) + base64url_encode(signature);
}

// Flips one bit of the signature.
std::string with_flipped_signature_bit(const std::string& token) {
  std::string signature = *base64url_decode(token.substr(token.rfind('.') + 1));
  signature[signature.size() / 2] = static_cast<char>(signature[signature.size() / 2] ^ 0x01);
  return with_signature(token, signature);
}

std::string secret_a() {
  return std::string(32, 'a');
}
std::string secret_b() {
  return std::string(40, 'b');
}

}  // namespace

TEST(JwtFailureNames, AreTheSnakeCaseEnumerators) {
  EXPECT_EQ(to_string(JwtFailure::malformed), "malformed");
  EXPECT_EQ(to_string(JwtFailure::unsupported_alg), "unsupported_alg");
  EXPECT_EQ(to_string(JwtFailure::unknown_kid), "unknown_kid");
  EXPECT_EQ(to_string(JwtFailure::bad_signature), "bad_signature");
  EXPECT_EQ(to_string(JwtFailure::expired), "expired");
  EXPECT_EQ(to_string(JwtFailure::not_yet_valid), "not_yet_valid");
  EXPECT_EQ(to_string(JwtFailure::wrong_issuer), "wrong_issuer");
  EXPECT_EQ(to_string(JwtFailure::wrong_audience), "wrong_audience");
  EXPECT_EQ(to_string(JwtFailure::missing_claim), "missing_claim");
  const JwtError error(JwtFailure::expired, "too late");
  EXPECT_EQ(error.failure(), JwtFailure::expired);
  EXPECT_STREQ(error.what(), "too late");
}

// ----------------------------------------------------------------------------- decode_unverified

TEST(JwtDecode, SplitsAndParses) {
  const json header = {{"alg", "HS256"}, {"kid", "k"}};
  const json payload = {{"sub", "u1"}, {"n", 1}};
  const std::string token = b64(header) + "." + b64(payload) + "." + base64url_encode("sig");
  const Jwt jwt = decode_unverified(token);
  EXPECT_EQ(jwt.header, header);
  EXPECT_EQ(jwt.payload, payload);
  EXPECT_EQ(jwt.signing_input, b64(header) + "." + b64(payload));
  EXPECT_EQ(jwt.signature, "sig");
}

TEST(JwtDecode, AcceptsAnEmptySignature) {
  const Jwt jwt = decode_unverified(b64({{"alg", "none"}}) + "." + b64({{"sub", "x"}}) + ".");
  EXPECT_EQ(jwt.signature, "");
  EXPECT_EQ(jwt.header["alg"], "none");
}

TEST(JwtDecode, RejectsWrongPartCount) {
  const std::string h = b64({{"alg", "HS256"}});
  const std::string p = b64({{"sub", "x"}});
  for (const std::string& bad :
       {std::string(), std::string("abc"), dotted({h, p}), dotted({h, p, "c", "d"}),
        dotted({h, p, "", ""}), std::string(".."), std::string("...")}) {
    EXPECT_EQ(failure_of([&] { decode_unverified(bad); }), "malformed") << bad;
  }
}

TEST(JwtDecode, RejectsBadBase64) {
  const std::string h = b64({{"alg", "HS256"}});
  const std::string p = b64({{"sub", "x"}});
  for (const std::string& bad : {
           dotted({"!!!!", p, "c2ln"}),  // header outside the alphabet
           dotted({h, "e30+", "c2ln"}),  // standard alphabet in the payload
           dotted({h, p, "c2ln*"}),      // signature outside the alphabet
           dotted({h, p, "AB"}),         // non-canonical signature
           dotted({h, p, "A"}),          // impossible length
           dotted({h, p, "c2lnbg=="}),   // padding is not allowed in a JWS
       }) {
    EXPECT_EQ(failure_of([&] { decode_unverified(bad); }), "malformed") << bad;
  }
  EXPECT_EQ(failure_of([&] { decode_unverified(h + "." + p + ".c2lnbg"); }), "no error");
}

TEST(JwtDecode, RejectsNonObjectJson) {
  const std::string h = b64({{"alg", "HS256"}});
  const std::string p = b64({{"sub", "x"}});
  for (const std::string& bad : {
           dotted({base64url_encode("[1,2]"), p, ""}),
           dotted({base64url_encode("\"HS256\""), p, ""}),
           dotted({base64url_encode("{"), p, ""}),
           dotted({"", p, ""}),
           dotted({h, base64url_encode("42"), ""}),
           dotted({h, base64url_encode("null"), ""}),
           dotted({h, base64url_encode("{\"a\":1} x"), ""}),
           dotted({h, base64url_encode("{\"a\":\"\xff\"}"), ""}),  // not UTF-8
           dotted({h, "", ""}),
       }) {
    EXPECT_EQ(failure_of([&] { decode_unverified(bad); }), "malformed") << bad;
  }
}

TEST(JwtDecode, RejectsTokensLongerThan16KiB) {
  // A valid token of exactly `size` characters: the signature part (zero bytes) fills it up.
  const auto token_of_size = [](std::size_t size) {
    const std::string head = b64({{"alg", "HS256"}}) + ".";
    for (std::string payload = b64({{"sub", "x"}});; payload = b64({{"sub", payload}})) {
      const std::string prefix = head + payload + ".";
      const std::size_t rest = size - prefix.size();
      if (rest % 4 != 1) {
        return prefix + std::string(rest, 'A');
      }
    }
  };
  ASSERT_EQ(kMaxJwtSize, 16U * 1024U);
  const std::string largest = token_of_size(kMaxJwtSize);
  ASSERT_EQ(largest.size(), kMaxJwtSize);
  EXPECT_EQ(failure_of([&] { decode_unverified(largest); }), "no error");
  const std::string too_large = token_of_size(kMaxJwtSize + 1);
  ASSERT_EQ(too_large.size(), kMaxJwtSize + 1);
  EXPECT_EQ(failure_of([&] { decode_unverified(too_large); }), "malformed");
}

// ----------------------------------------------------------------------------------- HmacKeyring

TEST(HmacKeyring, SignsAndVerifies) {
  const HmacKeyring ring({{"k1", secret_a()}});
  const json payload = {{"sub", "user-1"}, {"exp", 1'700'000'000}};
  const std::string token = ring.sign(payload);
  EXPECT_EQ(ring.verify(token), payload);
  const json expected_header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "k1"}};
  EXPECT_EQ(decode_unverified(token).header, expected_header);
  // The signature is HMAC-SHA256 over the signing input with the first key.
  EXPECT_EQ(token, hs256_token(expected_header, payload, secret_a()));
}

TEST(HmacKeyring, DerivedKeyringsKeepTheKidsAndNeverVerifyEachOther) {
  const std::vector<std::pair<std::string, std::string>> keys = {{"k1", std::string(32, 'a')},
                                                                 {"k0", std::string(32, 'b')}};
  const auto tickets = HmacKeyring::derived(keys, "tickets v1");
  const auto cookies = HmacKeyring::derived(keys, "cookies v1");
  const HmacKeyring plain(keys);
  const auto t = tickets.sign({{"x", 1}});
  EXPECT_EQ(tickets.verify(t)["x"], 1);
  EXPECT_EQ(HmacKeyring::derived(keys, "tickets v1").verify(t)["x"], 1);  // deterministic
  EXPECT_EQ(decode_unverified(t).header["kid"], "k1");
  EXPECT_THROW(cookies.verify(t), JwtError);
  EXPECT_THROW(plain.verify(t), JwtError);
  EXPECT_THROW(tickets.verify(plain.sign({{"x", 1}})), JwtError);
}

TEST(HmacKeyring, RotationVerifiesTokensOfTheOldKey) {
  const HmacKeyring old_ring({{"old", secret_a()}});
  const HmacKeyring new_ring({{"new", secret_b()}, {"old", secret_a()}});
  const std::string old_token = old_ring.sign({{"sub", "u"}});
  EXPECT_EQ(new_ring.verify(old_token), json({{"sub", "u"}}));
  const std::string new_token = new_ring.sign({{"sub", "u"}});
  EXPECT_EQ(decode_unverified(new_token).header["kid"], "new");
  EXPECT_EQ(failure_of([&] { old_ring.verify(new_token); }), "unknown_kid");
}

TEST(HmacKeyring, RejectsTamperedTokens) {
  const HmacKeyring ring({{"k1", secret_a()}});
  const std::string token = ring.sign({{"sub", "user-1"}, {"admin", false}});
  EXPECT_EQ(failure_of([&] {
              ring.verify(with_payload(token, {{"sub", "user-1"}, {"admin", true}}));
            }),
            "bad_signature");
  EXPECT_EQ(failure_of([&] { ring.verify(with_flipped_signature_bit(token)); }), "bad_signature");
  EXPECT_EQ(failure_of([&] { ring.verify(token.substr(0, token.rfind('.') + 1)); }),
            "bad_signature");
}

TEST(HmacKeyring, RejectsTheSameKidWithAnotherSecret) {
  const HmacKeyring signer({{"k1", secret_b()}});
  const HmacKeyring verifier({{"k1", secret_a()}});
  EXPECT_EQ(failure_of([&] { verifier.verify(signer.sign({{"sub", "u"}})); }), "bad_signature");
}

TEST(HmacKeyring, RejectsAlgNone) {
  const HmacKeyring ring({{"k1", secret_a()}});
  const json payload = {{"sub", "u"}};
  for (const char* alg : {"none", "None", "NONE"}) {
    const json header = {{"alg", alg}, {"typ", "JWT"}, {"kid", "k1"}};
    EXPECT_EQ(failure_of([&] { ring.verify(b64(header) + "." + b64(payload) + "."); }),
              "unsupported_alg")
        << alg;
    // Even with a signature that would be right for HS256.
    EXPECT_EQ(failure_of([&] { ring.verify(hs256_token(header, payload, secret_a())); }),
              "unsupported_alg")
        << alg;
  }
}

TEST(HmacKeyring, RejectsOtherAlgorithmsEvenWhenTheMacMatches) {
  const HmacKeyring ring({{"k1", secret_a()}});
  const json payload = {{"sub", "u"}};
  for (const json& alg : {json("HS512"), json("HS384"), json("hs256"), json("HS256 "),
                          json("RS256"), json(nullptr), json(256)}) {
    const json header = {{"alg", alg}, {"kid", "k1"}};
    EXPECT_EQ(failure_of([&] { ring.verify(hs256_token(header, payload, secret_a())); }),
              "unsupported_alg")
        << alg;
  }
  EXPECT_EQ(failure_of([&] {
              ring.verify(hs256_token({{"kid", "k1"}}, payload, secret_a()));
            }),
            "unsupported_alg");
}

TEST(HmacKeyring, RejectsMissingOrUnknownKid) {
  const HmacKeyring ring({{"k1", secret_a()}, {"k2", secret_b()}});
  const json payload = {{"sub", "u"}};
  EXPECT_EQ(failure_of([&] {
              ring.verify(hs256_token({{"alg", "HS256"}}, payload, secret_a()));
            }),
            "unknown_kid");
  EXPECT_EQ(failure_of([&] {
              ring.verify(hs256_token({{"alg", "HS256"}, {"kid", ""}}, payload, secret_a()));
            }),
            "unknown_kid");
  EXPECT_EQ(failure_of([&] {
              ring.verify(hs256_token({{"alg", "HS256"}, {"kid", 1}}, payload, secret_a()));
            }),
            "unknown_kid");
  EXPECT_EQ(failure_of([&] {
              ring.verify(hs256_token({{"alg", "HS256"}, {"kid", "k3"}}, payload, secret_a()));
            }),
            "unknown_kid");
  // A known kid with the other key's secret.
  EXPECT_EQ(failure_of([&] {
              ring.verify(hs256_token({{"alg", "HS256"}, {"kid", "k2"}}, payload, secret_a()));
            }),
            "bad_signature");
  EXPECT_EQ(failure_of([&] {
              ring.verify(hs256_token({{"alg", "HS256"}, {"kid", "k2"}}, payload, secret_b()));
            }),
            "no error");
}

TEST(HmacKeyring, RejectsCriticalExtensionsAndGarbage) {
  const HmacKeyring ring({{"k1", secret_a()}});
  const json header = {{"alg", "HS256"}, {"kid", "k1"}, {"crit", {"b64"}}, {"b64", false}};
  EXPECT_EQ(failure_of([&] {
              ring.verify(hs256_token(header, {{"sub", "u"}}, secret_a()));
            }),
            "malformed");
  EXPECT_EQ(failure_of([&] { ring.verify("not a token"); }), "malformed");
  EXPECT_EQ(failure_of([&] { ring.verify(""); }), "malformed");
}

TEST(HmacKeyring, ValidatesItsKeys) {
  EXPECT_THROW(HmacKeyring({}), std::invalid_argument);
  EXPECT_THROW(HmacKeyring({{"", secret_a()}}), std::invalid_argument);
  EXPECT_THROW(HmacKeyring({{"k1", std::string(31, 'x')}}), std::invalid_argument);
  EXPECT_THROW(HmacKeyring({{"k1", secret_a()}, {"k2", "short"}}), std::invalid_argument);
  EXPECT_THROW(HmacKeyring({{"k1", secret_a()}, {"k1", secret_b()}}), std::invalid_argument);
  EXPECT_NO_THROW(HmacKeyring({{"k1", std::string(32, 'x')}}));
}

TEST(HmacKeyring, SignsOnlyObjectsThatFit) {
  const HmacKeyring ring({{"k1", secret_a()}});
  EXPECT_THROW(ring.sign(json::array()), std::invalid_argument);
  EXPECT_THROW(ring.sign("sub"), std::invalid_argument);
  EXPECT_THROW(ring.sign({{"blob", std::string(kMaxJwtSize, 'x')}}), std::invalid_argument);
}

// ------------------------------------------------------------------------------------ RsaKeySet

class RsaKeySetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_a_.emplace(RsaPrivateKey::generate());
    key_b_.emplace(RsaPrivateKey::generate());
  }
  static void TearDownTestSuite() {
    key_a_.reset();
    key_b_.reset();
  }
  static const RsaPrivateKey& a() { return *key_a_; }
  static const RsaPrivateKey& b() { return *key_b_; }

  static json rs256_header(const std::string& kid) {
    return {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid}};
  }
  static json jwks(std::vector<json> keys) { return {{"keys", std::move(keys)}}; }

  // The failure of verifying `token` against `set`, "no error" if it verifies.
  static std::string verify_failure(const RsaKeySet& set, const std::string& token) {
    return failure_of([&] {
      const Jwt jwt = decode_unverified(token);
      set.verify(jwt);
    });
  }

  const json payload_ = {{"iss", "https://idp.example"}, {"sub", "42"}};

 private:
  static inline std::optional<RsaPrivateKey> key_a_;
  static inline std::optional<RsaPrivateKey> key_b_;
};

TEST_F(RsaKeySetTest, PublicJwkHasTheExpectedShape) {
  const json jwk = a().public_jwk("a");
  EXPECT_EQ(jwk["kty"], "RSA");
  EXPECT_EQ(jwk["kid"], "a");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["alg"], "RS256");
  EXPECT_EQ(jwk["e"], "AQAB");  // 65537
  const auto n = base64url_decode(jwk["n"].get<std::string>());
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->size(), 256U);
  EXPECT_NE(jwk["n"], b().public_jwk("a")["n"]);
}

TEST_F(RsaKeySetTest, VerifiesAValidToken) {
  const RsaKeySet set = RsaKeySet::from_jwks(jwks({a().public_jwk("a"), b().public_jwk("b")}));
  EXPECT_EQ(set.size(), 2U);
  EXPECT_TRUE(set.has("a"));
  EXPECT_TRUE(set.has("b"));
  EXPECT_FALSE(set.has("c"));
  const Jwt jwt = decode_unverified(a().sign_rs256(rs256_header("a"), payload_));
  EXPECT_EQ(set.verify(jwt), payload_);
  EXPECT_EQ(&set.verify(jwt), &jwt.payload);
  EXPECT_EQ(verify_failure(set, b().sign_rs256(rs256_header("b"), payload_)), "no error");
}

TEST_F(RsaKeySetTest, RejectsASignatureOfAnotherKeyUnderTheSameKid) {
  const RsaKeySet set = RsaKeySet::from_jwks(jwks({b().public_jwk("a")}));
  EXPECT_EQ(verify_failure(set, a().sign_rs256(rs256_header("a"), payload_)), "bad_signature");
}

TEST_F(RsaKeySetTest, RejectsTamperedTokens) {
  const RsaKeySet set = RsaKeySet::from_jwks(jwks({a().public_jwk("a")}));
  const std::string token = a().sign_rs256(rs256_header("a"), payload_);
  json forged = payload_;
  forged["sub"] = "1";
  EXPECT_EQ(verify_failure(set, with_payload(token, forged)), "bad_signature");
  EXPECT_EQ(verify_failure(set, with_flipped_signature_bit(token)), "bad_signature");
  const std::string signature = *base64url_decode(token.substr(token.rfind('.') + 1));
  EXPECT_EQ(verify_failure(set, with_signature(token, signature.substr(1))), "bad_signature");
  EXPECT_EQ(verify_failure(set, with_signature(token, signature + '\0')), "bad_signature");
  EXPECT_EQ(verify_failure(set, token.substr(0, token.rfind('.') + 1)), "bad_signature");
}

TEST_F(RsaKeySetTest, RejectsUnknownOrMissingKid) {
  const RsaKeySet set = RsaKeySet::from_jwks(jwks({a().public_jwk("a")}));
  EXPECT_EQ(verify_failure(set, a().sign_rs256(rs256_header("zzz"), payload_)), "unknown_kid");
  EXPECT_EQ(verify_failure(set, a().sign_rs256({{"alg", "RS256"}}, payload_)), "unknown_kid");
  EXPECT_EQ(verify_failure(RsaKeySet(), a().sign_rs256(rs256_header("a"), payload_)),
            "unknown_kid");
}

TEST_F(RsaKeySetTest, RejectsAlgNone) {
  const RsaKeySet set = RsaKeySet::from_jwks(jwks({a().public_jwk("a")}));
  const json none = {{"alg", "none"}, {"kid", "a"}};
  EXPECT_EQ(verify_failure(set, b64(none) + "." + b64(payload_) + "."), "unsupported_alg");
  // A real RS256 signature does not make "none" acceptable.
  EXPECT_EQ(verify_failure(set, a().sign_rs256(none, payload_)), "unsupported_alg");
  for (const char* alg : {"RS512", "PS256", "ES256", "rs256"}) {
    EXPECT_EQ(verify_failure(set, a().sign_rs256({{"alg", alg}, {"kid", "a"}}, payload_)),
              "unsupported_alg")
        << alg;
  }
}

TEST_F(RsaKeySetTest, RefusesHs256SignedWithThePublicKey) {
  const json jwk = a().public_jwk("a");
  const RsaKeySet set = RsaKeySet::from_jwks(jwks({jwk}));
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "a"}};
  const std::string n_bytes = *base64url_decode(jwk["n"].get<std::string>());
  EXPECT_EQ(verify_failure(set, hs256_token(header, payload_, n_bytes)), "unsupported_alg");
  EXPECT_EQ(verify_failure(set, hs256_token(header, payload_, jwk.dump())), "unsupported_alg");
}

TEST_F(RsaKeySetTest, RejectsMalformedJwks) {
  for (const json& bad :
       {json(nullptr), json("keys"), json::array(), json::object(),
        json({{"keys", json::object()}}), json({{"keys", "a"}}), json({{"key", json::array()}})}) {
    EXPECT_EQ(failure_of([&] { RsaKeySet::from_jwks(bad); }), "malformed") << bad;
  }
  EXPECT_EQ(RsaKeySet::from_jwks(jwks({})).size(), 0U);
  EXPECT_EQ(RsaKeySet().size(), 0U);
}

TEST_F(RsaKeySetTest, SkipsKeysItCannotUseForRs256) {
  const auto variant = [&](const std::string& kid, const char* field, const json& value) {
    json jwk = b().public_jwk(kid);
    if (value.is_discarded()) {
      jwk.erase(field);
    } else {
      jwk[field] = value;
    }
    return jwk;
  };
  const json removed = json::value_t::discarded;
  json small = RsaPrivateKey::generate(1024).public_jwk("small");
  const RsaKeySet set = RsaKeySet::from_jwks(jwks({
      json(42),
      json("a"),
      a().public_jwk("a"),
      b().public_jwk("a"),  // the kid is taken already: skipped, "a" stays key a
      {{"kty", "EC"}, {"kid", "ec"}, {"crv", "P-256"}, {"x", "AAAA"}, {"y", "AAAA"}},
      variant("oct", "kty", "oct"),
      variant("enc", "use", "enc"),
      variant("use-num", "use", 1),
      variant("rs512", "alg", "RS512"),
      variant("hs256", "alg", "HS256"),
      variant("no-kid", "kid", removed),
      variant("", "kid", ""),
      variant("no-n", "n", removed),
      variant("bad-n", "n", "not base64!"),
      variant("short-n", "n", "AQAB"),
      variant("no-e", "e", removed),
      variant("e-one", "e", "AQ"),
      variant("e-even", "e", "AQAA"),
      variant("e-num", "e", 65537),
      small,
      variant("plain", "use", removed),  // no "use": usable
  }));
  EXPECT_EQ(set.size(), 2U);
  EXPECT_TRUE(set.has("a"));
  EXPECT_TRUE(set.has("plain"));
  for (const char* skipped : {"ec", "oct", "enc", "use-num", "rs512", "hs256", "no-kid", "", "no-n",
                              "bad-n", "short-n", "no-e", "e-one", "e-even", "e-num", "small"}) {
    EXPECT_FALSE(set.has(skipped)) << skipped;
  }
  EXPECT_EQ(verify_failure(set, a().sign_rs256(rs256_header("a"), payload_)), "no error");
  EXPECT_EQ(verify_failure(set, b().sign_rs256(rs256_header("plain"), payload_)), "no error");

  json no_alg_no_use = b().public_jwk("bare");
  no_alg_no_use.erase("alg");
  no_alg_no_use.erase("use");
  EXPECT_TRUE(RsaKeySet::from_jwks(jwks({no_alg_no_use})).has("bare"));
}

TEST_F(RsaKeySetTest, CopiesShareKeysAndVerifyConcurrently) {
  const RsaKeySet original = RsaKeySet::from_jwks(jwks({a().public_jwk("a")}));
  const RsaKeySet copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  const Jwt good = decode_unverified(a().sign_rs256(rs256_header("a"), payload_));
  const Jwt bad = decode_unverified(b().sign_rs256(rs256_header("a"), payload_));
  std::vector<std::thread> threads;
  std::vector<int> verified(4, 0);
  for (std::size_t t = 0; t < verified.size(); ++t) {
    threads.emplace_back([&, t] {
      const RsaKeySet& set = t % 2 == 0 ? original : copy;
      for (int i = 0; i < 20; ++i) {
        if (set.verify(good) == payload_ && verify_failure(set, "") == "malformed") {
          ++verified[t];
        }
        if (failure_of([&] { set.verify(bad); }) != "bad_signature") {
          --verified[t];
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const int n : verified) {
    EXPECT_EQ(n, 20);
  }
}

// ---------------------------------------------------------------------------------- check_claims

namespace {

constexpr auto kNow = std::chrono::system_clock::time_point{seconds{1'700'000'000}};
constexpr std::int64_t kNowS = 1'700'000'000;

ClaimRules rules() {
  ClaimRules r;
  r.issuers = {"https://accounts.google.com", "accounts.google.com"};
  r.audience = "client-1";
  r.leeway = seconds{60};
  r.now = kNow;
  return r;
}

json good_claims() {
  return {{"iss", "https://accounts.google.com"},
          {"aud", "client-1"},
          {"sub", "1234"},
          {"iat", kNowS - 10},
          {"exp", kNowS + 3600}};
}

std::string claims_failure(const json& payload, const ClaimRules& r = rules()) {
  return failure_of([&] { check_claims(payload, r); });
}

json with(json payload, const char* claim, const json& value) {
  if (value.is_discarded()) {
    payload.erase(claim);
  } else {
    payload[claim] = value;
  }
  return payload;
}

json removed() {
  return json(json::value_t::discarded);
}

}  // namespace

TEST(CheckClaims, AcceptsGoodClaims) {
  EXPECT_EQ(claims_failure(good_claims()), "no error");
  EXPECT_EQ(claims_failure(with(good_claims(), "iss", "accounts.google.com")), "no error");
  EXPECT_EQ(claims_failure(with(good_claims(), "aud", json::array({"other", "client-1"}))),
            "no error");
  EXPECT_EQ(claims_failure(with(good_claims(), "iat", removed())), "no error");
  EXPECT_EQ(claims_failure(with(good_claims(), "nbf", kNowS - 5)), "no error");
}

TEST(CheckClaims, Issuer) {
  EXPECT_EQ(claims_failure(with(good_claims(), "iss", removed())), "missing_claim");
  EXPECT_EQ(claims_failure(with(good_claims(), "iss", "https://evil.example")), "wrong_issuer");
  EXPECT_EQ(claims_failure(with(good_claims(), "iss", "https://accounts.google.com/")),
            "wrong_issuer");
  EXPECT_EQ(claims_failure(with(good_claims(), "iss", "")), "wrong_issuer");
  EXPECT_EQ(
      claims_failure(with(good_claims(), "iss", json::array({"https://accounts.google.com"}))),
      "malformed");
  EXPECT_EQ(claims_failure(with(good_claims(), "iss", nullptr)), "malformed");
}

TEST(CheckClaims, Audience) {
  EXPECT_EQ(claims_failure(with(good_claims(), "aud", removed())), "missing_claim");
  EXPECT_EQ(claims_failure(with(good_claims(), "aud", "client-2")), "wrong_audience");
  EXPECT_EQ(claims_failure(with(good_claims(), "aud", "client-1 ")), "wrong_audience");
  EXPECT_EQ(claims_failure(with(good_claims(), "aud", json::array({"client-2", "client-3"}))),
            "wrong_audience");
  EXPECT_EQ(claims_failure(with(good_claims(), "aud", json::array())), "wrong_audience");
  EXPECT_EQ(claims_failure(with(good_claims(), "aud", json::array({1, json({{"a", "client-1"}})}))),
            "wrong_audience");
  EXPECT_EQ(claims_failure(with(good_claims(), "aud", 1)), "malformed");
  EXPECT_EQ(claims_failure(with(good_claims(), "aud", json::object({{"client-1", true}}))),
            "malformed");
}

TEST(CheckClaims, ExpiryIsRequiredAndNumeric) {
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", removed())), "missing_claim");
  for (const json& bad : {json(std::to_string(kNowS + 3600)), json(true), json(nullptr),
                          json::array({kNowS + 3600}), json::object()}) {
    EXPECT_EQ(claims_failure(with(good_claims(), "exp", bad)), "malformed") << bad;
  }
}

TEST(CheckClaims, ExpiryLeewayBoundaries) {
  // now == exp + leeway: still valid; one second (or one tick) later: expired.
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", kNowS - 60)), "no error");
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", kNowS - 61)), "expired");
  ClaimRules later = rules();
  later.now = kNow + std::chrono::nanoseconds{1};
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", kNowS - 60), later), "expired");
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", kNowS - 59), later), "no error");
  // Without leeway.
  ClaimRules strict = rules();
  strict.leeway = seconds{0};
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", kNowS), strict), "no error");
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", kNowS - 1), strict), "expired");
  // Fractional NumericDates.
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", static_cast<double>(kNowS) - 59.5)),
            "no error");
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", static_cast<double>(kNowS) - 60.5)),
            "expired");
  // Extremes neither overflow nor wrap around.
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", std::numeric_limits<std::uint64_t>::max())),
            "no error");
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", std::numeric_limits<std::int64_t>::max())),
            "no error");
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", std::numeric_limits<std::int64_t>::min())),
            "expired");
  EXPECT_EQ(claims_failure(with(good_claims(), "exp", -1e300)), "expired");
}

TEST(CheckClaims, NotBeforeAndIssuedAtLeewayBoundaries) {
  for (const char* claim : {"nbf", "iat"}) {
    // now + leeway == value: valid; one second later value: not yet valid.
    EXPECT_EQ(claims_failure(with(good_claims(), claim, kNowS + 60)), "no error") << claim;
    EXPECT_EQ(claims_failure(with(good_claims(), claim, kNowS + 61)), "not_yet_valid") << claim;
    ClaimRules earlier = rules();
    earlier.now = kNow - std::chrono::nanoseconds{1};
    EXPECT_EQ(claims_failure(with(good_claims(), claim, kNowS + 60), earlier), "not_yet_valid")
        << claim;
    ClaimRules strict = rules();
    strict.leeway = seconds{0};
    EXPECT_EQ(claims_failure(with(good_claims(), claim, kNowS), strict), "no error") << claim;
    EXPECT_EQ(claims_failure(with(good_claims(), claim, kNowS + 1), strict), "not_yet_valid")
        << claim;
    EXPECT_EQ(claims_failure(with(good_claims(), claim, static_cast<double>(kNowS) + 60.5)),
              "not_yet_valid")
        << claim;
    EXPECT_EQ(claims_failure(with(good_claims(), claim, std::numeric_limits<std::uint64_t>::max())),
              "not_yet_valid")
        << claim;
    EXPECT_EQ(claims_failure(with(good_claims(), claim, std::numeric_limits<std::int64_t>::min())),
              "no error")
        << claim;
    EXPECT_EQ(claims_failure(with(good_claims(), claim, "soon")), "malformed") << claim;
    EXPECT_EQ(claims_failure(with(good_claims(), claim, nullptr)), "malformed") << claim;
  }
}

TEST(CheckClaims, RejectsNonObjectPayloadsAndBadRules) {
  EXPECT_EQ(claims_failure(json::array()), "malformed");
  EXPECT_EQ(claims_failure(nullptr), "malformed");
  ClaimRules no_issuers = rules();
  no_issuers.issuers.clear();
  EXPECT_THROW(check_claims(good_claims(), no_issuers), std::invalid_argument);
  ClaimRules no_audience = rules();
  no_audience.audience.clear();
  EXPECT_THROW(check_claims(good_claims(), no_audience), std::invalid_argument);
  ClaimRules negative = rules();
  negative.leeway = seconds{-1};
  EXPECT_THROW(check_claims(good_claims(), negative), std::invalid_argument);
}

// An ID token from end to end: decode, verify with the JWKS, check the claims.
TEST_F(RsaKeySetTest, ClaimsOfAVerifiedIdToken) {
  const RsaKeySet set = RsaKeySet::from_jwks(jwks({a().public_jwk("a")}));
  const std::string token = a().sign_rs256(rs256_header("a"), good_claims());
  const Jwt jwt = decode_unverified(token);
  EXPECT_EQ(failure_of([&] { check_claims(set.verify(jwt), rules()); }), "no error");
  const Jwt expired =
      decode_unverified(a().sign_rs256(rs256_header("a"), with(good_claims(), "exp", kNowS - 61)));
  EXPECT_EQ(failure_of([&] { check_claims(set.verify(expired), rules()); }), "expired");
}
