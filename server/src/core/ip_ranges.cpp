#include "core/ip_ranges.hpp"

#include <stdexcept>

namespace neuropod::core {

namespace asio = boost::asio;

namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

}  // namespace

std::optional<asio::ip::address> parse_ip(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 45) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto a = asio::ip::make_address(std::string(text), ec);
  if (ec) {
    return std::nullopt;
  }
  return a;
}

IpRanges IpRanges::parse(const std::vector<std::string>& entries) {
  IpRanges out;
  for (const auto& raw : entries) {
    const auto entry = trim(raw);
    const auto slash = entry.find('/');
    const auto addr = parse_ip(entry.substr(0, slash));
    if (!addr) {
      throw std::invalid_argument("'" + std::string(entry) + "' is not an IP address or range");
    }
    const unsigned max = addr->is_v4() ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
      const auto digits = entry.substr(slash + 1);
      if (digits.empty() || digits.size() > 3 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos) {
        throw std::invalid_argument("'" + std::string(entry) + "' has no prefix length after '/'");
      }
      prefix = static_cast<unsigned>(std::stoul(std::string(digits)));
      if (prefix > max) {
        throw std::invalid_argument("'" + std::string(entry) + "': the prefix length is above " +
                                    std::to_string(max));
      }
    }
    // The network of the address (host bits cleared): "10.1.2.3/8" means 10.0.0.0/8.
    if (addr->is_v4()) {
      out.v4_.push_back(
          asio::ip::network_v4(addr->to_v4(), static_cast<unsigned short>(prefix)).canonical());
    } else {
      out.v6_.push_back(
          asio::ip::network_v6(addr->to_v6(), static_cast<unsigned short>(prefix)).canonical());
    }
  }
  return out;
}

bool IpRanges::contains(const asio::ip::address& address) const {
  const auto a = unmapped(address);
  if (a.is_v4()) {
    const asio::ip::network_v4 host(a.to_v4(), 32);
    for (const auto& n : v4_) {
      if (host == n || host.is_subnet_of(n)) {
        return true;
      }
    }
    return false;
  }
  const asio::ip::network_v6 host(a.to_v6(), 128);
  for (const auto& n : v6_) {
    if (host == n || host.is_subnet_of(n)) {
      return true;
    }
  }
  return false;
}

bool IpRanges::contains(std::string_view address) const {
  const auto a = parse_ip(address);
  return a && contains(*a);
}

}  // namespace neuropod::core
