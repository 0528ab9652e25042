#include "core/ids.hpp"

#include <array>
#include <stdexcept>
#include <vector>

#include <openssl/rand.h>

namespace neuropod::core {

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : buf) {
    out.push_back(kHex[b >> 4U]);
    out.push_back(kHex[b & 0x0FU]);
  }
  return out;
}

std::string request_id_or_new(std::string_view from_client) {
  if (!from_client.empty() && from_client.size() <= 64) {
    bool safe = true;
    for (char c : from_client) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
      if (!ok) {
        safe = false;
        break;
      }
    }
    if (safe) {
      return std::string(from_client);
    }
  }
  return random_hex(8);
}

}  // namespace neuropod::core
