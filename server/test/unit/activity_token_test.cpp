// access::ActivityTokens: the bearer token a pod's activity container reports with.
#include <gtest/gtest.h>

#include "access/activity.hpp"
#include "crypto/crypto.hpp"
#include "crypto/jwt.hpp"

namespace pa = neuropod::access;
namespace crypto = neuropod::crypto;

namespace {

constexpr const char* kPod = "65f1a2b3c4d5e6f708192a3b";
constexpr const char* kOtherPod = "65f1a2b3c4d5e6f708192a3c";

std::vector<std::pair<std::string, std::string>> keys(const std::string& kid, char fill) {
  return {{kid, std::string(32, fill)}};
}

}  // namespace

TEST(ActivityTokens, NameTheirPodAndOnlyIt) {
  const pa::ActivityTokens tokens(keys("k1", 'a'));
  const auto t = tokens.issue(kPod);
  EXPECT_EQ(tokens.verify(t), kPod);
  EXPECT_EQ(tokens.verify(tokens.issue(kOtherPod)), kOtherPod);
  EXPECT_NE(tokens.issue(kPod), tokens.issue(kOtherPod));
  EXPECT_EQ(tokens.issue(kPod), t);  // deterministic: the spec does not change between applies
}

TEST(ActivityTokens, RefuseForgedTamperedAndForeignTokens) {
  const pa::ActivityTokens tokens(keys("k1", 'a'));
  const auto t = tokens.issue(kPod);
  EXPECT_FALSE(tokens.verify(""));
  EXPECT_FALSE(tokens.verify("not a token"));
  EXPECT_FALSE(tokens.verify(t.substr(0, t.size() - 2)));
  auto flipped = t;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.verify(flipped));
  // Another installation's keys (same kid, other secret).
  EXPECT_FALSE(pa::ActivityTokens(keys("k1", 'b')).verify(t));
  // A token signed with the session key itself (a session JWT's key), not the derived one.
  const crypto::HmacKeyring session(keys("k1", 'a'));
  EXPECT_FALSE(tokens.verify(session.sign({{"typ", "pod_activity"}, {"pod", kPod}})));
  // The derived key, but another type, or a pod id that is not one.
  const crypto::HmacKeyring derived(
      {{"k1", crypto::hmac_sha256(std::string(32, 'a'), "neuropod pod activity v1")}});
  EXPECT_EQ(tokens.verify(derived.sign({{"typ", "pod_activity"}, {"pod", kPod}})), kPod);
  EXPECT_FALSE(tokens.verify(derived.sign({{"typ", "ticket"}, {"pod", kPod}})));
  EXPECT_FALSE(tokens.verify(derived.sign({{"typ", "pod_activity"}, {"pod", "../x"}})));
  EXPECT_FALSE(tokens.verify(derived.sign({{"typ", "pod_activity"}, {"pod", 7}})));
  EXPECT_FALSE(tokens.verify(derived.sign({{"typ", "pod_activity"}})));
}

TEST(ActivityTokens, SurviveKeyRotationWhileTheOldKeyIsListed) {
  const auto old_key = keys("old", 'a');
  const auto t = pa::ActivityTokens(old_key).issue(kPod);
  const pa::ActivityTokens rotated({{"new", std::string(32, 'n')}, old_key.front()});
  EXPECT_EQ(rotated.verify(t), kPod);
  EXPECT_FALSE(pa::ActivityTokens(keys("new", 'n')).verify(t));
}
