// Sets of IP address ranges ("10.0.0.0/8", "::1/128", or a bare address), for deciding which
// peers are trusted proxies. Parsing is strict: a bad entry is an error, never ignored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

namespace neuropod::core {

class IpRanges {
 public:
  // Throws std::invalid_argument naming the entry that is not an address or a range.
  static IpRanges parse(const std::vector<std::string>& entries);

  // Whether `address` (text, as a peer address is logged) lies in one of the ranges. An
  // IPv4-mapped IPv6 address (::ffff:127.0.0.1) counts as its IPv4 address.
  bool contains(std::string_view address) const;
  bool contains(const boost::asio::ip::address& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

// The address in `text` (trimmed), or nothing when it is not one.
std::optional<boost::asio::ip::address> parse_ip(std::string_view text);

}  // namespace neuropod::core
