// The client address behind proxies: which peers are believed (NEUROPOD_TRUSTED_PROXIES), and
// which X-Forwarded-For hop is the client. Spoofed headers must neither change the rate-limit
// key of an untrusted peer nor let a client pick its own address through a trusted proxy.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "core/errors.hpp"
#include "core/ip_ranges.hpp"
#include "core/rate_limiter.hpp"
#include "core/time.hpp"
#include "http/security.hpp"

namespace {

using neuropod::core::IpRanges;
using neuropod::http::forwarded_client;
using neuropod::http::Request;

IpRanges loopback() {
  return IpRanges::parse({"127.0.0.0/8", "::1/128"});
}

TEST(IpRanges, MatchesAddressesInsideTheRangesOnly) {
  const auto r = IpRanges::parse({"10.0.0.0/8", "192.168.49.2", "fd00::/8", " 172.16.5.9/12 "});
  EXPECT_TRUE(r.contains("10.1.2.3"));
  EXPECT_TRUE(r.contains("10.255.255.255"));
  EXPECT_FALSE(r.contains("11.0.0.1"));
  EXPECT_TRUE(r.contains("192.168.49.2"));
  EXPECT_FALSE(r.contains("192.168.49.3")) << "a bare address is a /32";
  EXPECT_TRUE(r.contains("172.31.0.1")) << "host bits of the entry are ignored (172.16.0.0/12)";
  EXPECT_FALSE(r.contains("172.32.0.1"));
  EXPECT_TRUE(r.contains("fd12:3456::1"));
  EXPECT_FALSE(r.contains("fe80::1"));
  EXPECT_TRUE(r.contains("::ffff:10.9.8.7")) << "IPv4-mapped counts as IPv4";
  EXPECT_FALSE(r.contains("not an address"));
  EXPECT_FALSE(r.contains(""));
  EXPECT_TRUE(IpRanges::parse({"0.0.0.0/0"}).contains("203.0.113.9"));
  EXPECT_TRUE(IpRanges::parse({}).empty());
}

TEST(IpRanges, RefusesWhatIsNotARange) {
  for (const char* bad : {"10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8",
                          "example.com", "10.0.0.0/8/8", "", "1.2.3.4/-1"}) {
    EXPECT_THROW(IpRanges::parse({bad}), std::invalid_argument) << bad;
  }
}

Request with(std::initializer_list<std::pair<const char*, const char*>> headers) {
  Request req;
  req.remote_ip = "127.0.0.1";
  for (const auto& [k, v] : headers) {
    req.headers.add(k, v);
  }
  return req;
}

TEST(ForwardedClient, CloudflaresHeaderFirstThenTheRightmostUntrustedHop) {
  const auto trusted = IpRanges::parse({"127.0.0.0/8", "10.0.0.0/8"});
  EXPECT_EQ(forwarded_client(with({{"CF-Connecting-IP", " 203.0.113.7 "}}), trusted),
            "203.0.113.7");
  EXPECT_EQ(forwarded_client(
                with({{"X-Forwarded-For", "198.51.100.1"}, {"CF-Connecting-IP", "2001:db8::7"}}),
                trusted),
            "2001:db8::7");
  // The client claims 1.1.1.1; the first proxy saw 198.51.100.20; then two of ours.
  EXPECT_EQ(forwarded_client(
                with({{"X-Forwarded-For", "1.1.1.1, 198.51.100.20, 10.0.0.5,127.0.0.1"}}), trusted),
            "198.51.100.20");
  // Two header lines are one list.
  EXPECT_EQ(forwarded_client(
                with({{"X-Forwarded-For", "1.1.1.1"}, {"x-forwarded-for", "10.0.0.5"}}), trusted),
            "1.1.1.1");
  // Every hop is ours: the leftmost.
  EXPECT_EQ(forwarded_client(with({{"X-Forwarded-For", "10.0.0.9, 10.0.0.5"}}), trusted),
            "10.0.0.9");
  // Unreadable hops end the walk; nothing to go by is nothing.
  EXPECT_EQ(forwarded_client(with({{"X-Forwarded-For", "1.1.1.1, <script>, 10.0.0.5"}}), trusted),
            std::nullopt);
  EXPECT_EQ(forwarded_client(with({{"CF-Connecting-IP", "1.2.3.4\r\nX: y"}}), trusted),
            std::nullopt);
  EXPECT_EQ(forwarded_client(with({}), trusted), std::nullopt);
}

class Security : public ::testing::Test {
 protected:
  neuropod::http::SecurityMiddleware middleware(bool trust) {
    return neuropod::http::SecurityMiddleware(
        neuropod::http::SecurityOptions{.trust_proxy_headers = trust,
                                        .trusted_proxies = loopback()},
        limiter_);
  }
  std::string client_of(neuropod::http::SecurityMiddleware& m, const char* peer,
                        const char* cf_header) {
    Request req;
    req.method = "GET";
    req.path = "/api/health";
    req.remote_ip = peer;
    req.headers.set("CF-Connecting-IP", cf_header);
    m.before_routing(req);
    return req.remote_ip;
  }

  neuropod::core::SystemClock clock_;
  neuropod::core::RateLimiter limiter_{clock_, 100'000};
};

TEST_F(Security, ProxyHeadersCountOnlyFromTrustedPeersAndOnlyWhenEnabled) {
  auto trusting = middleware(true);
  EXPECT_EQ(client_of(trusting, "127.0.0.1", "203.0.113.7"), "203.0.113.7") << "cloudflared";
  EXPECT_EQ(client_of(trusting, "::1", "203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(client_of(trusting, "192.168.49.2", "203.0.113.7"), "192.168.49.2")
      << "a peer outside NEUROPOD_TRUSTED_PROXIES keeps its own address";
  EXPECT_EQ(client_of(trusting, "127.0.0.1", "garbage"), "127.0.0.1");
  auto plain = middleware(false);
  EXPECT_EQ(client_of(plain, "127.0.0.1", "203.0.113.7"), "127.0.0.1");
}

TEST_F(Security, AnUntrustedPeerCannotDodgeItsRateLimitWithForgedHeaders) {
  neuropod::core::RateLimiter tight(clock_, 3);
  neuropod::http::SecurityMiddleware m(
      neuropod::http::SecurityOptions{.trust_proxy_headers = true, .trusted_proxies = loopback()},
      tight);
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    const auto forged = "203.0.113." + std::to_string(i);
    try {
      client_of(m, "198.51.100.9", forged.c_str());
    } catch (const neuropod::core::Error&) {
      ++refused;
    }
  }
  EXPECT_EQ(refused, 3) << "one bucket (the peer's), three requests a minute";
}

}  // namespace
