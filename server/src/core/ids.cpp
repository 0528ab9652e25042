#include "core/ids.hpp"

#include <array>
#include <cstdint>
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

std::string new_request_id() {
  thread_local std::uint64_t state = [] {
    std::uint64_t seed = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    return seed;
  }();
  // splitmix64 (Steele, Lea, Flood 2014): a bijection of the counter, so ids of one thread never
  // repeat; another thread starts elsewhere in the 2^64 sequence.
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  z ^= z >> 31U;
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out(16, '0');
  for (std::size_t i = 0; i < 16; ++i) {
    out[15 - i] = kHex[(z >> (4 * i)) & 0x0FU];
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
  return new_request_id();
}

}  // namespace neuropod::core
