#include "k8s/naming.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/crypto.hpp"

namespace neuropod::k8s {

namespace {

void trim_dashes(std::string& s) {
  while (!s.empty() && s.back() == '-') {
    s.pop_back();
  }
  const auto first = s.find_first_not_of('-');
  s.erase(0, first == std::string::npos ? s.size() : first);
}

}  // namespace

std::string user_hash(std::string_view user_id) {
  static constexpr std::string_view kDigits = "0123456789abcdefghijklmnopqrstuvwxyz";
  const std::string digest = crypto::sha256(user_id);
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    n = (n << 8U) | static_cast<unsigned char>(digest[i]);
  }
  std::string out(kUserHashLength, '0');
  for (std::size_t i = kUserHashLength; i > 0; --i) {
    out[i - 1] = kDigits[n % kDigits.size()];
    n /= kDigits.size();
  }
  return out;
}

std::string safe_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x80U) {
      continue;  // a byte of a multi-byte UTF-8 sequence: dropped
    }
    if (b >= 'A' && b <= 'Z') {
      out.push_back(static_cast<char>(b - 'A' + 'a'));
    } else if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')) {
      out.push_back(c);
    } else if (out.empty() || out.back() != '-') {
      out.push_back('-');
    }
  }
  trim_dashes(out);
  if (out.size() > kMaxSafeNameLength) {
    out.resize(kMaxSafeNameLength);
    trim_dashes(out);
  }
  if (out.empty()) {
    out = "pod";
  }
  return out;
}

std::string host_label(std::string_view safe, std::string_view user_hash, std::int64_t port) {
  const std::string suffix = "-" + std::string(user_hash) + "-" + std::to_string(port);
  std::string name = safe_name(safe);
  if (name.size() + suffix.size() > kMaxDnsLabel) {
    name.resize(suffix.size() < kMaxDnsLabel ? kMaxDnsLabel - suffix.size() : 0);
    trim_dashes(name);
  }
  if (name.empty()) {
    name = "p";  // unreachable with a 6-character hash and a port of at most 5 digits
  }
  return name + suffix;
}

std::string pod_host(std::string_view safe, std::string_view user_hash, std::int64_t port,
                     std::string_view base_domain) {
  return host_label(safe, user_hash, port) + "." + std::string(base_domain);
}

std::string resource_name(std::string_view pod_id) {
  return "np-" + std::string(pod_id);
}

std::string workspace_claim_name(std::string_view user_hash) {
  return "workspace-" + std::string(user_hash);
}

}  // namespace neuropod::k8s
