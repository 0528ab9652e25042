#include "crypto/crypto.hpp"

#include <set>
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>

using neuropod::crypto::base64_decode_or_throw;
using neuropod::crypto::base64url_decode;
using neuropod::crypto::base64url_encode;
using neuropod::crypto::constant_time_equal;
using neuropod::crypto::hmac_sha256;
using neuropod::crypto::OpenSslError;
using neuropod::crypto::pkce_challenge_s256;
using neuropod::crypto::pkce_verifier;
using neuropod::crypto::random_bytes;
using neuropod::crypto::sha256;

namespace {

std::string hex(std::string_view bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4U]);
    out.push_back(kDigits[b & 0x0FU]);
  }
  return out;
}

}  // namespace

// RFC 4648 section 10 test vectors, in the URL alphabet without padding.
TEST(Base64Url, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, UsesTheUrlAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(base64url_encode("\xff"), "_w");
  EXPECT_EQ(base64url_decode("-_-_"), std::string("\xfb\xff\xbf"));
}

TEST(Base64Url, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(base64url_decode(""), std::string());
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_EQ(base64url_decode("Zg=="), "f");
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
  EXPECT_EQ(base64url_decode("Zm8="), "fo");
  EXPECT_EQ(base64url_decode("Zm9v"), "foo");
  EXPECT_EQ(base64url_decode("Zm9vYmFy"), "foobar");
}

TEST(Base64Url, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  for (std::size_t len = 0; len <= all.size(); len += 37) {
    const std::string bytes = all.substr(0, len);
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes) << len;
  }
}

TEST(Base64Url, RejectsInvalidInput) {
  for (const char* bad : {
           "Z",         // impossible length
           "Zm9vY",     // impossible length
           "Zg=",       // incomplete padding
           "Zg===",     // too much padding
           "Zm9v=",     // padding after a full group
           "====",      // only padding
           "=",         // only padding
           "Zg==Zg==",  // padding in the middle
           "=Zg",       // padding first
           "Zm+v",      // standard alphabet
           "Zm/v",      // standard alphabet
           "Zm 9v",     // space
           "Zm9v\n",    // line break
           "Zh",        // non-zero trailing bits: not the canonical spelling of "f"
           "Zm9=",      // non-zero trailing bits
           "Zm\x80v",   // not ASCII
       }) {
    EXPECT_EQ(base64url_decode(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(base64url_decode(std::string_view("Zm\0v", 4)), std::nullopt);
}

TEST(Base64Std, DecodesStandardAlphabetAndIgnoresLineBreaks) {
  EXPECT_EQ(base64_decode_or_throw("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64_decode_or_throw("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode_or_throw("Zm9vYg"), "foob");
  EXPECT_EQ(base64_decode_or_throw("+/+/"), "\xfb\xff\xbf");
  EXPECT_EQ(base64_decode_or_throw(" Zm9v\r\nYmFy\n\tZm9vYg==\n"), "foobarfoob");
  EXPECT_EQ(base64_decode_or_throw(""), "");
}

TEST(Base64Std, ThrowsWithoutRepeatingTheInput) {
  for (const char* bad : {"-_-_", "Zg=", "Z", "Zh==", "Zm9v!"}) {
    EXPECT_THROW(base64_decode_or_throw(bad), std::invalid_argument) << bad;
  }
  try {
    base64_decode_or_throw("c2VjcmV0*c2VjcmV0");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::Not(::testing::HasSubstr("c2VjcmV0")));
  }
}

TEST(CryptoHash, Sha256KnownVectors) {
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abc").size(), 32U);
}

TEST(CryptoHash, HmacSha256Rfc4231) {
  // Test case 1.
  EXPECT_EQ(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2.
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'),
                            "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(CryptoHash, HmacSha256AcceptsEmptyKeyAndData) {
  EXPECT_EQ(hex(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(CryptoCompare, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "bbc"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_TRUE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(CryptoRandom, GivesTheRequestedNumberOfFreshBytes) {
  EXPECT_EQ(random_bytes(0), "");
  EXPECT_EQ(random_bytes(1).size(), 1U);
  EXPECT_EQ(random_bytes(100'000).size(), 100'000U);
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) {
    seen.insert(random_bytes(32));
  }
  EXPECT_EQ(seen.size(), 16U);
}

TEST(CryptoError, OpenSslErrorNamesTheOperationAndDrainsTheQueue) {
  ERR_raise(ERR_LIB_EVP, ERR_R_MALLOC_FAILURE);
  const OpenSslError error("frobnicating");
  EXPECT_THAT(error.what(), ::testing::HasSubstr("frobnicating"));
  EXPECT_THAT(error.what(), ::testing::HasSubstr("malloc failure"));
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

// RFC 7636 appendix B.
TEST(Pkce, Rfc7636AppendixB) {
  EXPECT_EQ(pkce_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Pkce, VerifierIs43UrlSafeCharactersFrom32RandomBytes) {
  const std::string v = pkce_verifier();
  ASSERT_EQ(v.size(), 43U);
  EXPECT_EQ(v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  const auto raw = base64url_decode(v);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 32U);
  EXPECT_NE(pkce_verifier(), v);
  EXPECT_EQ(pkce_challenge_s256(v).size(), 43U);
}
